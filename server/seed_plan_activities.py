"""Pure: the demo circles' activities in the seed's plan (seed_plan.py has the people and the
chat). The hikers meet on Sundays, every fourth a paid guided day (sandbox card payments, one
refunded); the board gamers on Thursdays with 8 seats (waitlists, late cancellations and the
offers they free), every fourth and the next one a paid tournament (manual transfers the
organiser confirms, but one of the next one: left for them to review), one evening cancelled.
Every activity that has ended had its door check-in, with a no-show or two. Each circle has one
activity to come, with sign-ups.

The sign-up rules are followed here as the services apply them (activities/rules.py: a seat
while one is free and nobody waits, else the waitlist; a freed seat offered to the first in
line), so every planned step is one the services accept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from server.seed_plan import Person, _Builder

SUNDAY, THURSDAY = 6, 3
NO_SHOW = 0.12


@dataclass(frozen=True)
class Kind:
    title: str
    place: str
    hours: tuple[int, int]
    capacity: int
    weekday: int


@dataclass(frozen=True)
class Paid:
    title: str
    amount: int
    currency: str
    provider: str


HIKE = Kind("Sunday hike", "Riverside station", (9, 13), 12, SUNDAY)
GAMES = Kind("Board game night", "The Meeple Cafe", (18, 22), 8, THURSDAY)
GUIDED = Paid("Guided ridge day", 2500, "EUR", "sandbox")
TOURNAMENT = Paid("Tournament night", 1000, "EUR", "manual")


def plan_activities(b: _Builder, people: list[Person]) -> None:
    from server.seed_plan import DAYS, OWNER, talkers

    end_of_history = b.at(DAYS, 0) - timedelta(minutes=5)

    def by_midnight(t: datetime) -> datetime:
        # a follow-up of a late step still happens yesterday (after it: steps end at
        # end_of_history + 2 minutes), as the seed cannot travel past its real now
        return min(t, end_of_history + timedelta(minutes=4))

    refunded = False
    for key, spec in (("hikers", HIKE), ("games", GAMES)):
        first = next(
            d for d in range(7, 14) if (b.base + timedelta(days=d)).weekday() == spec.weekday
        )
        # weekly; none today (whose start may already be past when the seed runs), the next
        # one within a week after today
        days = [d for d in range(first, DAYS + 8, 7) if d != DAYS]
        for n, day in enumerate(days):
            paid = None
            if key == "hikers" and n % 4 == 2:
                paid = GUIDED
            elif key == "games" and (n % 4 == 3 or day > DAYS):  # the next one too
                paid = TOURNAMENT
            akey = f"{key}-{n}"
            start = b.at(day, spec.hours[0])
            opened = min(day - 6, DAYS - 2)  # posted in the history, even a week ahead
            created = b.at(opened, 12 + b.rng.random() * 6)
            cap = 10 if paid else spec.capacity
            b.add(
                created,
                "activity",
                OWNER[key],
                key,
                key=akey,
                title=paid.title if paid else spec.title,
                starts_at=start,
                ends_at=b.at(day, spec.hours[1]),
                capacity=cap,
                price=(paid.amount, paid.currency) if paid else None,
                place=spec.place,
            )
            upcoming = day > DAYS
            cancelled = key == "games" and n == 5  # two days before it starts
            last_signup = min(start - timedelta(hours=54 if cancelled else 30), end_of_history)
            # members who take part all week long (a sign-up by someone not in the circle
            # would join them on the way)
            week = range(opened, min(day, DAYS - 1) + 1)
            cands = [
                h
                for h in talkers(key, people, opened)
                if h != OWNER[key] and all(h in talkers(key, people, d) for d in week)
            ]
            most = min(len(cands), cap if paid else cap + 3)
            who = b.rng.sample(cands, b.rng.randint(min(3, most), most)) if most else []
            span = (last_signup - created).total_seconds()
            times = sorted(
                created + timedelta(seconds=600 + b.rng.random() * (span - 1200)) for _ in who
            )
            when = dict(zip(who, times, strict=True))
            seats: list[str] = []
            waiting: list[str] = []
            for h, t in when.items():
                b.add(t, "signup", h, key, key=akey)
                if len(seats) < cap and not waiting:
                    seats.append(h)
                    if paid:
                        b.add(
                            t + timedelta(minutes=2),
                            "pay",
                            h,
                            key,
                            key=akey,
                            provider=paid.provider,
                        )
                        if paid.provider == "manual" and not (upcoming and len(seats) == 1):
                            b.add(
                                by_midnight(t + timedelta(hours=2)),
                                "confirm",
                                OWNER[key],
                                key,
                                key=akey,
                                payer=h,
                            )
                else:
                    waiting.append(h)
            if cancelled:
                b.add(
                    start - timedelta(days=2),
                    "cancel_activity",
                    OWNER[key],
                    key,
                    key=akey,
                    reason="The cafe is closed for a private event, sorry!",
                )
                continue
            if paid and paid.provider == "sandbox" and not refunded and len(seats) >= 2:
                # the first guided day: a payer cancels in good time and is refunded
                refunded = True
                gone = seats.pop(1)
                b.add(
                    by_midnight(when[gone] + timedelta(hours=1)),
                    "cancel",
                    gone,
                    key,
                    key=akey,
                    refund=True,
                )
            if not paid and len(seats) == cap and waiting and b.rng.random() < 0.7:
                _late_cancel(b, key, akey, start, seats, waiting, min(start, end_of_history))
            for due in (start - timedelta(hours=24), start - timedelta(hours=1)):
                if due < end_of_history:
                    b.add(due + timedelta(minutes=1), "sweep", "", key)
            if upcoming:
                continue
            shows = [h for h in seats if b.rng.random() >= NO_SHOW]
            if n == 0 and len(shows) == len(seats) and shows:
                shows.pop()  # at least one no-show in the first activity of each circle
            b.outcomes[akey] = {
                "seats": len(seats),
                "attended": len(shows),
                "no_shows": len(seats) - len(shows),
            }
            for h in shows:
                t = start + timedelta(minutes=5 + b.rng.random() * 20)
                b.add(t, "checkin", OWNER[key], key, key=akey, attendee=h)


def _late_cancel(
    b: _Builder,
    key: str,
    akey: str,
    start: datetime,
    seats: list[str],
    waiting: list[str],
    limit: datetime,
) -> None:
    """A confirmed member cancels late; the first in line is offered the seat and takes it, or
    declines and the next one takes it."""
    gone = b.rng.choice(seats)
    t = start - timedelta(hours=2 + b.rng.random() * 20)
    if t + timedelta(minutes=30) >= limit:
        return
    b.add(t, "cancel", gone, key, key=akey)
    seats.remove(gone)
    first = waiting.pop(0)
    if waiting and b.rng.random() < 0.4:
        b.add(t + timedelta(minutes=6), "decline", first, key, key=akey)
        first = waiting.pop(0)
    b.add(t + timedelta(minutes=12), "accept", first, key, key=akey)
    seats.append(first)
