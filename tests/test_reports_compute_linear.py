"""A day's rollup is computed in time linear in its facts (reports/rollups_compute.compute_day).

Before, every message of a day copied the list of the day's messages to look for an earlier one
by its sender since a join, and every prompt walked the chat from its first message to find its
reply: a day of n messages cost n² steps, in one piece on the event loop (3,000 messages, a busy
chat's half hour in the chat benchmark, about 30 ms; 6,000 about 100 ms), and every send waited
behind it. The previous implementation is kept below as the oracle: on seeded random days (joins,
rejoins, the owner, deleted messages, questions, replies the next day, earlier history) the new
one answers exactly the same. Then the work is counted, not timed: reads of the facts' fields
for a day four times as long grow about four times, not sixteen. Pure: no server.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.reports.rollups_compute import (
    NEWCOMER_DAYS,
    REPLY_WINDOW,
    Day,
    Fact,
    compute_day,
)

DAY = datetime(2026, 12, 5, tzinfo=UTC)


def _oracle_first_since_join(f: Fact, joined: datetime | None, earlier: list[Fact]) -> bool:
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


def oracle(
    circle_id: str,
    day: str,
    facts: list[Fact],
    following: list[Fact],
    members_before: int,
    last_joins: dict[str, datetime],
    history: dict[str, list[Fact]],
) -> Day:
    """compute_day as it was: the plain definitions, quadratic."""
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
        if not (f.question or _oracle_first_since_join(f, joined.get(f.user_id), earlier)):
            continue
        d.prompts += 1
        reply = next((r for r in chat if r.seq > f.seq and r.user_id != f.user_id), None)
        if reply is not None and reply.at - f.at <= REPLY_WINDOW:
            d.waits.append(round((reply.at - f.at).total_seconds(), 3))
    d.waits.sort()
    return d


def random_day(seed: int, n: int, fact: type[Fact] = Fact) -> tuple[Any, ...]:
    rnd = random.Random(seed)
    users = [f"u{i}" for i in range(rnd.randint(2, 12))]
    owner = users[0]
    seq = 0
    facts: list[Fact] = []
    history: dict[str, list[Fact]] = {}
    last_joins: dict[str, datetime] = {}
    for u in users[1:]:
        if rnd.random() < 0.5:  # joined on an earlier day, maybe long ago
            last_joins[u] = DAY - timedelta(days=rnd.choice([1, 3, 13, 20]), hours=rnd.random())
            if rnd.random() < 0.5:  # and said something since
                at = last_joins[u] + timedelta(hours=1)
                history[u] = [fact(f"h:{u}", "c", "msg", u, at, seq=0, deleted=rnd.random() < 0.3)]
    t = DAY
    for i in range(n):
        t += timedelta(seconds=rnd.choice([0, 1, 5, 60]))
        u = rnd.choice(users)
        roll = rnd.random()
        if roll < 0.04:
            facts.append(fact(f"j:{i}", "c", "join", u, t, founder=u == owner))
        elif roll < 0.06:
            facts.append(fact(f"l:{i}", "c", "leave", u, t))
        elif roll < 0.1:
            facts.append(fact(f"r:{i}", "c", rnd.choice(["react", "signup"]), u, t))
        else:
            seq += 1
            facts.append(
                fact(
                    f"m:{i}",
                    "c",
                    "msg",
                    u,
                    t,
                    seq=seq,
                    deleted=rnd.random() < 0.1,
                    question=rnd.random() < 0.15,
                )
            )
    rnd.shuffle(facts)  # the store gives them in no particular order
    following = []
    for i in range(rnd.randint(0, 5)):
        seq += 1
        at = DAY + timedelta(days=1, hours=i)
        following.append(fact(f"n:{i}", "c", "msg", rnd.choice(users), at, seq=seq))
    return "c", "2026-12-05", facts, following, rnd.randint(0, 30), last_joins, history


@pytest.mark.parametrize("seed", range(200))
def test_a_day_is_what_the_plain_definitions_say(seed: int) -> None:
    args = random_day(seed, random.Random(seed).choice([0, 1, 5, 40, 300]))
    assert compute_day(*args) == oracle(*args)


READS = [0]


class Counted(Fact):
    """A fact that counts reads of its fields."""

    def __getattribute__(self, name: str) -> Any:
        READS[0] += 1
        return super().__getattribute__(name)


def reads(n: int) -> int:
    args = random_day(7, n, Counted)
    READS[0] = 0
    compute_day(*args)
    return READS[0]


def test_a_day_four_times_as_long_costs_about_four_times_the_work() -> None:
    small, large = reads(1_000), reads(4_000)
    assert large / small < 6, (small, large)  # the quadratic version: about 14
