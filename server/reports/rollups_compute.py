"""Pure: a circle's facts turned into one day's rollup (rollups.py keeps them, circle_report.py
reads them).

A *fact* is one thing that happened in a circle, stored once under an ``_id`` made of what it
describes (rollups_repository.py): a message (its current state: deleted or not, a question or
not), a reaction, a sign-up to one of the circle's activities, a join, a leave. A *day* is the
rollup of one circle and one UTC day, always rewritten whole from the facts of that day and the
next (a reply may come the next day) and the member count of the day before, never ``$inc``'d:
recomputing it from the same facts gives the same document, so two processes, a retry or a
rebuild cannot make it drift.

Definitions (docs/protocol.md, "Circle report"):
- *messages*: text messages not deleted, by the day they were sent (activity cards and
  system notices are not counted); deleted ones are counted apart;
- *active*: a member who posted (a message not deleted), reacted or signed up that day;
- *prompt*: a question (a message whose text ends in "?") or a newcomer's first message (the
  first message since a join at most ``NEWCOMER_DAYS`` days before; the owner is never a
  newcomer). Its *reply* is the next
  message in the circle chat by someone else (an explicit reply by someone else is such a
  message too, so it never comes earlier); replies the asker writes do not count. A prompt
  unanswered within ``REPLY_WINDOW`` is *unanswered*.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

NEWCOMER_DAYS = 14
REPLY_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Fact:
    id: str
    circle_id: str
    kind: str  # "msg", "react", "signup", "join", "leave"
    user_id: str
    at: datetime
    seq: int = 0  # msg: its seq in the circle chat
    deleted: bool = False  # msg
    question: bool = False  # msg
    founder: bool = False  # join: the circle's owner (never a newcomer)

    @property
    def day(self) -> str:
        return day_of(self.at)


@dataclass
class Day:
    circle_id: str
    day: str
    joins: list[tuple[str, datetime]] = field(default_factory=list)
    leaves: list[tuple[str, datetime]] = field(default_factory=list)
    newcomers: list[tuple[str, datetime]] = field(default_factory=list)  # joins but the owner's
    members: int = 0  # at the end of the day
    messages: int = 0
    deleted: int = 0
    posters: list[str] = field(default_factory=list)
    active: list[str] = field(default_factory=list)
    prompts: int = 0
    waits: list[float] = field(default_factory=list)  # seconds, answered prompts

    @property
    def month(self) -> str:
        return self.day[:7]


def day_of(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d")


def next_day(day: str, n: int = 1) -> str:
    return (date.fromisoformat(day) + timedelta(days=n)).isoformat()


def is_question(text: str) -> bool:
    return text.rstrip().endswith(("?", "\uff1f"))


def _first_since_join(f: Fact, joined: datetime | None, earlier: list[Fact]) -> bool:
    """Whether ``f`` is its sender's first message since a join within NEWCOMER_DAYS."""
    if joined is None or f.at - joined > timedelta(days=NEWCOMER_DAYS) or f.at < joined:
        return False
    return not any(
        e.kind == "msg"
        and not e.deleted
        and e.user_id == f.user_id
        and joined <= e.at
        and (e.at, e.seq) < (f.at, f.seq)
        for e in earlier
    )


def compute_day(
    circle_id: str,
    day: str,
    facts: list[Fact],
    following: list[Fact],
    members_before: int,
    last_joins: dict[str, datetime],
    history: dict[str, list[Fact]],
) -> Day:
    """The rollup of ``day``: ``facts`` are the day's, ``following`` the next day's (replies),
    ``members_before`` the count at the end of the day before, ``last_joins`` each member's
    latest join before this day within NEWCOMER_DAYS, ``history`` the earlier facts of the
    users that may be newcomers (their messages since that join)."""
    d = Day(circle_id=circle_id, day=day)
    for f in sorted(facts, key=lambda f: (f.at, f.id)):
        if f.kind == "join":
            d.joins.append((f.user_id, f.at))
            if not f.founder:
                d.newcomers.append((f.user_id, f.at))
        elif f.kind == "leave":
            d.leaves.append((f.user_id, f.at))
    d.members = members_before + len(d.joins) - len(d.leaves)
    said = [f for f in facts if f.kind == "msg" and not f.deleted]
    d.messages = len(said)
    d.deleted = sum(1 for f in facts if f.kind == "msg" and f.deleted)
    d.posters = sorted({f.user_id for f in said})
    d.active = sorted({f.user_id for f in facts if f.kind in ("react", "signup")} | set(d.posters))
    joined = dict(last_joins)
    chat = sorted(
        [*said, *(f for f in following if f.kind == "msg" and not f.deleted)],
        key=lambda f: f.seq,
    )
    events = sorted(
        [*said, *(f for f in facts if f.kind == "join")], key=lambda f: (f.at, f.kind != "join")
    )
    for f in events:
        if f.kind == "join":
            if not f.founder:
                joined[f.user_id] = f.at
            continue
        earlier = [*history.get(f.user_id, ()), *said]
        if not (f.question or _first_since_join(f, joined.get(f.user_id), earlier)):
            continue
        d.prompts += 1
        reply = next((r for r in chat if r.seq > f.seq and r.user_id != f.user_id), None)
        if reply is not None and reply.at - f.at <= REPLY_WINDOW:
            d.waits.append(round((reply.at - f.at).total_seconds(), 3))
    d.waits.sort()
    return d


def _id_list(value: Any) -> list[str]:
    """A stored list of user ids: one space-separated string (a list in days stored before)."""
    if isinstance(value, str):
        return value.split()
    return [str(u) for u in value or ()]


def day_doc(d: Day) -> dict[str, Any]:
    """(FerretDB v1 stores no nested arrays: pairs are objects.) The posters and the active
    members are each stored as one space-separated string of ids: FerretDB decodes an array
    element by element, and a busy circle's day holds a thousand or more of each: 90 days of
    1,500 ids cost it 2.2 s of CPU to read as arrays, 0.3 s as strings (bench/reports_days.py;
    docs/performance.md, "Reports at 5,000 members")."""
    return {
        "_id": f"{d.circle_id}:{d.day}",
        "circle_id": d.circle_id,
        "day": d.day,
        "month": d.month,
        "joins": [{"u": u, "at": at} for u, at in d.joins],
        "leaves": [{"u": u, "at": at} for u, at in d.leaves],
        "newcomers": [{"u": u, "at": at} for u, at in d.newcomers],
        "members": d.members,
        "messages": d.messages,
        "deleted": d.deleted,
        "posters": " ".join(d.posters),
        "active": " ".join(d.active),
        "prompts": d.prompts,
        "waits": d.waits,
    }


def day_of_doc(doc: dict[str, Any]) -> Day:
    def utc(at: datetime) -> datetime:
        return at if at.tzinfo else at.replace(tzinfo=UTC)

    return Day(
        circle_id=doc["circle_id"],
        day=doc["day"],
        joins=[(e["u"], utc(e["at"])) for e in doc.get("joins", ())],
        leaves=[(e["u"], utc(e["at"])) for e in doc.get("leaves", ())],
        newcomers=[(e["u"], utc(e["at"])) for e in doc.get("newcomers", ())],
        members=int(doc.get("members", 0)),
        messages=int(doc.get("messages", 0)),
        deleted=int(doc.get("deleted", 0)),
        posters=_id_list(doc.get("posters")),
        active=_id_list(doc.get("active")),
        prompts=int(doc.get("prompts", 0)),
        waits=[float(w) for w in doc.get("waits", ())],
    )
