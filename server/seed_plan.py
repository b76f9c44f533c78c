"""Pure: the demo community's generated history, as a plan of timed steps (server/seed_history.py
carries it out through the real services).

Deterministic: a fixed random seed and the first day of the history (``base``, a UTC midnight)
make the same plan, so a test can rebuild what the seed did from the day it names in its log
line and compare the reports with it. Nothing happens on or after ``base + DAYS`` (the day the
seed runs): the history is all in the past, and only the upcoming activities start later.

The people: ``EXTRA`` generated members on top of the four demo users, joining over the months
(more of them lately), each with a way of taking part: *regular* (talks now and then until
today), *fading* (talks for a few weeks, then goes quiet), *lurker* (never says anything),
*returning* (talks, goes quiet for weeks, came back lately), *leaver* (leaves after a few weeks;
some come back); those who joined in the last two weeks are *newbie* (half say hello). Each day
a circle has a few threads: a question and its replies (so reply speed has numbers), news, a
newcomer's hello and the organiser's welcome, and reactions. The hikers meet on Sundays, the
board gamers on Thursdays (capacity 8: waitlists), with sign-ups, late cancellations and their
offers, check-ins and no-shows, a cancelled evening, paid days (sandbox card payments with a
refund; manual transfers the organiser confirms, one left to review) and activities to come.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

SEED = 20261203
DAYS = 120  # the history's length: base .. base + DAYS (today)
EXTRA = 48
NEWBIE_DAYS = 14
FOUNDERS = {"hikers": ["maya", "tom", "lena"], "games": ["raj", "lena", "tom"]}
OWNER = {"hikers": "maya", "games": "raj"}
CIRCLE_KEYS = ("hikers", "games")

FIRST = (
    "Ava Noah Mia Liam Zoe Omar Ines Kai Nora Leo Sara Ivan Emma Ravi Lucy Hugo Anya Theo Priya "
    "Felix Chloe Mateo Hana Oscar Yara Jonas Elif Sam Maren Diego Lina Arjun Rosa Ben Aiko Tariq "
    "Clara Nils Dara Marco Isla Femi Greta Paulo Sofia Ezra Mira Jude"
).split()
LAST = (
    "Adams Brooks Costa Diaz Evans Fox Garcia Hart Ito Jensen Khan Lopez Moreau Novak Olsen "
    "Park Quinn Rossi Silva Tanaka Ueda Vega Weber Young Zhou"
).split()

SAY: dict[str, dict[str, list[str]]] = {
    "hikers": {
        "question": [
            "Anyone know if the river path is muddy after the rain?",
            "What time do we meet at the station on Sunday?",
            "Is the ridge route OK for beginners?",
            "Which boots do you all recommend for wet trails?",
            "Does anyone have a spare headlamp for the early start?",
            "Is there a cafe at the end of the lake loop?",
            "How long is the forest trail, roughly?",
            "Can I bring my dog on the next hike?",
            "Who's driving from the north side this week?",
            "Should we pack lunch or stop at the hut?",
        ],
        "answer": [
            "A bit muddy, gaiters help.",
            "9:00 at the main entrance, as usual.",
            "Yes, it's steady but never steep.",
            "Anything waterproof with a good grip, I like mine a lot.",
            "I have one, I'll bring it.",
            "Yes, the one by the boathouse, good cake too.",
            "About 14 km with the detour.",
            "Dogs on a lead are fine on that route.",
            "I can take two people, message me.",
            "Pack lunch, the hut is closed in the week.",
        ],
        "news": [
            "Photos from Sunday are up in the album, what a view!",
            "Lovely walk today, thanks everyone.",
            "Reminder: bring water, it's warm this week.",
            "The bridge on the east trail is closed for repairs.",
            "Saw deer near the lake this morning.",
            "New trail map at the visitor centre, worth a look.",
        ],
    },
    "games": {
        "question": [
            "Is anyone bringing Azul this week?",
            "Could we try a longer game next time?",
            "What's a good two-player game to buy?",
            "Is the back room booked for Thursday?",
            "Anyone up for a Twilight Struggle rematch?",
            "Which expansion of Catan is worth it?",
            "Does anyone know the rules of Root well?",
            "Can I bring a friend who has never played?",
            "Shall we start earlier, at six?",
            "Who has the scores from last week?",
        ],
        "answer": [
            "I'll bring it, and Patchwork too.",
            "Happy to, let's pick one on Thursday.",
            "Jaipur, easy to learn and great fun.",
            "Yes, booked until ten.",
            "Always, bring your best strategy.",
            "Seafarers, without a doubt.",
            "I do, I can teach it.",
            "Of course, newcomers are welcome.",
            "Six works for me.",
            "Posted them in the thread on Friday.",
        ],
        "news": [
            "Great night, thanks for the snacks!",
            "Codenames was hilarious yesterday.",
            "New game on the shelf: Cascadia.",
            "Lost my meeples again, someone has them?",
            "Tournament brackets are up.",
            "Thanks for teaching me Wingspan, loved it.",
        ],
    },
}
HELLO = [
    "Hi everyone, {first} here, just joined!",
    "Hello! I'm {first}, new in town and keen to meet people.",
    "Hey all, {first} here. Looking forward to the next one.",
]
WELCOME = [
    "Welcome {first}! Come along this week.",
    "Great to have you, {first}!",
    "Welcome aboard, {first}, see you soon.",
]
EMOJI = ["👍", "❤️", "😂", "🎉", "🙌"]


@dataclass(frozen=True)
class Step:
    """One thing to do at ``at``: ``kind`` and its fields (see seed_history.Runner)."""

    at: datetime
    order: int  # ties at one time keep the order they were planned in
    kind: str
    who: str = ""
    circle: str = ""
    data: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass
class Person:
    handle: str
    name: str
    persona: str
    circles: list[str]
    # per circle: (join day, leave day or None, rejoin day or None)
    spans: dict[str, tuple[int, int | None, int | None]] = field(default_factory=dict)
    # per circle: the days this person may take part in it
    talks: dict[str, set[int]] = field(default_factory=dict)


@dataclass
class Plan:
    base: datetime
    people: list[Person]
    steps: list[Step]
    # per activity key, once it ended: seats taken at the start, checked in, no-shows
    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """What the plan makes, per circle, for the seed's log and the tests."""
        out: dict[str, Any] = {"people": len(self.people)}
        for key in CIRCLE_KEYS:
            kinds = Counter(s.kind for s in self.steps if s.circle == key)
            acts = [s for s in self.steps if s.circle == key and s.kind == "activity"]
            out[key] = {
                "joins": kinds["join"],
                "leaves": kinds["leave"],
                "messages": kinds["say"],
                "questions": sum(
                    1
                    for s in self.steps
                    if s.circle == key and s.kind == "say" and s.data["text"].endswith("?")
                ),
                "reactions": kinds["react"],
                "deleted": kinds["delete"],
                "activities": len(acts),
                "signups": kinds["signup"],
                "checkins": kinds["checkin"],
                "cancelled_activities": kinds["cancel_activity"],
                "payments": kinds["pay"],
                "refunds": sum(
                    1
                    for s in self.steps
                    if s.kind == "cancel" and s.circle == key and s.data.get("refund")
                ),
            }
        return out

    def members_now(self, key: str) -> set[str]:
        """The handles that are members of the circle at the end of the history."""
        state: dict[str, bool] = {}
        for s in sorted(self.steps, key=lambda s: (s.at, s.order)):
            if s.circle == key and s.kind in ("join", "leave"):
                state[s.who] = s.kind == "join"
        return {h for h, member in state.items() if member}


class _Builder:
    def __init__(self, base: datetime) -> None:
        self.base = base
        self.rng = random.Random(SEED)
        self.steps: list[Step] = []
        self.outcomes: dict[str, dict[str, int]] = {}

    def at(self, day: int, hour: float) -> datetime:
        return self.base + timedelta(days=day, hours=hour)

    def add(self, at: datetime, kind: str, who: str = "", circle: str = "", **data: Any) -> None:
        self.steps.append(Step(at, len(self.steps), kind, who, circle, data))


def make_people(rng: random.Random) -> list[Person]:
    people: list[Person] = []
    used: set[str] = set()
    newbies = 0
    for i in range(EXTRA):
        first, last = FIRST[i % len(FIRST)], rng.choice(LAST)
        handle = f"{first.lower()}_{last.lower()[:4]}"
        while handle in used:
            handle += "x"
        used.add(handle)
        roll = rng.random()
        circles = ["hikers"] if roll < 0.55 else ["games"] if roll < 0.85 else ["hikers", "games"]
        # more people join lately: the day is skewed towards the end of the history
        first_day = 1 + int((DAYS - 2) * rng.random() ** 0.7)
        if i % 8 == 0:  # a few newcomers of the last two weeks in any case
            first_day = DAYS - 1 - rng.randrange(NEWBIE_DAYS)
        if first_day >= DAYS - NEWBIE_DAYS:
            persona = "newbie"
        else:
            persona = rng.choices(
                ["regular", "fading", "lurker", "returning", "leaver"], [32, 18, 14, 18, 18]
            )[0]
            if persona == "returning" and first_day > DAYS - 50:
                persona = "regular"
        p = Person(handle, f"{first} {last}", persona, circles)
        newbies += persona == "newbie"  # every second one says hello, the others nothing yet
        for n, key in enumerate(circles):
            join = min(DAYS - 1, first_day + n * rng.randrange(0, 10))
            leave = rejoin = None
            talk = set(range(join + 1, DAYS))
            if persona == "fading":
                talk = set(range(join + 1, min(DAYS, join + rng.randrange(10, 40))))
            elif persona == "lurker":
                talk = set()
            elif persona == "returning":
                quiet = join + rng.randrange(10, 25)
                back = DAYS - rng.randrange(2, 10)
                talk = set(range(join + 1, quiet)) | set(range(back, DAYS))
            elif persona == "leaver":
                leave = min(DAYS - 2, join + rng.randrange(7, 30))
                talk = set(range(join + 1, leave))
                if rng.random() < 0.35 and leave + 12 < DAYS - 1:
                    rejoin = leave + rng.randrange(10, min(30, DAYS - 1 - leave))
                    talk |= set(range(rejoin + 1, DAYS))
            elif persona == "newbie":
                talk = set(range(join + 1, DAYS)) if newbies % 2 == 0 else set()
            p.spans[key] = (join, leave, rejoin)
            p.talks[key] = talk
        people.append(p)
    return people


def build(base: datetime) -> Plan:
    """The whole plan for a history starting at ``base`` (a UTC midnight)."""
    b = _Builder(base)
    people = make_people(b.rng)
    for p in people:
        for key, (join, leave, rejoin) in p.spans.items():
            b.add(b.at(join, 8 + b.rng.random() * 12), "join", p.handle, key)
            if leave is not None:
                b.add(b.at(leave, 7 + b.rng.random() * 14), "leave", p.handle, key)
            if rejoin is not None:
                b.add(b.at(rejoin, 8 + b.rng.random() * 12), "join", p.handle, key)
    for key in CIRCLE_KEYS:
        _chat(b, key, people)
    from server.seed_plan_activities import plan_activities  # (split for size)

    plan_activities(b, people)
    return Plan(base, people, sorted(b.steps, key=lambda s: (s.at, s.order)), b.outcomes)


def talkers(key: str, people: list[Person], day: int) -> list[str]:
    """Who may take part in circle ``key`` on ``day`` (the founders always may)."""
    return [*FOUNDERS[key], *(p.handle for p in people if day in p.talks.get(key, ()))]


def _chat(b: _Builder, key: str, people: list[Person]) -> None:
    rng, say = b.rng, SAY[key]
    greeted: set[str] = set()
    for day in range(1, DAYS):
        here = talkers(key, people, day)
        for p in people:  # a newcomer's hello on their first day taking part, then a welcome
            if day in p.talks.get(key, ()) and p.handle not in greeted:
                greeted.add(p.handle)
                first = p.name.split()[0]
                t = b.at(day, 9 + rng.random() * 11)
                b.add(t, "say", p.handle, key, text=rng.choice(HELLO).format(first=first))
                wait = timedelta(minutes=5 + rng.random() * 180)
                b.add(
                    t + wait, "say", OWNER[key], key, text=rng.choice(WELCOME).format(first=first)
                )
        busy = max(1, round(len(here) / 10))
        for _ in range(rng.randrange(0, busy + 2)):
            _thread(b, key, here, day, say)
        if rng.random() < 0.3:
            who = rng.choice(here)
            t = b.at(day, 7 + rng.random() * 15)
            b.add(t, "say", who, key, text=rng.choice(say["news"]), ref=f"n{len(b.steps)}")
            if rng.random() < 0.1:  # "wrong group, sorry": the sender takes it back
                ref = b.steps[-1].data["ref"]
                b.add(t + timedelta(minutes=1 + rng.random() * 10), "delete", who, key, ref=ref)


def _thread(b: _Builder, key: str, here: list[str], day: int, say: dict[str, list[str]]) -> None:
    rng = b.rng
    asker = rng.choice(here)
    n = rng.randrange(len(say["question"]))
    t = b.at(day, 7 + rng.random() * 14)
    b.add(t, "say", asker, key, text=say["question"][n], ref=f"q{len(b.steps)}")
    ref = b.steps[-1].data["ref"]
    others = [h for h in here if h != asker]
    if not others or rng.random() < 0.1:
        return  # left unanswered
    # mostly quick, sometimes hours later
    t += timedelta(minutes=2 + rng.expovariate(1 / 40) if rng.random() < 0.8 else 60 * 4)
    answerer = rng.choice(others)
    b.add(t, "say", answerer, key, text=say["answer"][n], reply_to=ref)
    for h in rng.sample(here, min(len(here), rng.randrange(0, 3))):
        if h != asker:
            b.add(
                t + timedelta(minutes=1 + rng.random() * 60),
                "react",
                h,
                key,
                ref=ref,
                emoji=rng.choice(EMOJI),
            )
    if rng.random() < 0.4:
        b.add(t + timedelta(minutes=3 + rng.random() * 30), "say", asker, key, text="Thanks!")
