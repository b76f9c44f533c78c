"""The circle report's arithmetic (issue 13, items 2 and 6) answers exactly what the plain
definitions answer: ``circle_report.answer`` (per-day bitmasks of the active members, built once
per request) against the straightforward set unions below, kept here as the oracle, on seeded
random day rollups: joins, rejoins, leaves (speakers among them), the owner's join, newcomers
never active, days with nothing stored, for every period and spans that begin before the first
stored day or end after today. Pure: no server."""

from __future__ import annotations

import math
import random
import statistics
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from server.reports import circle_cohorts, circle_report
from server.reports.circle_report import answer, buckets
from server.reports.circle_schemas import Period
from server.reports.rollups_compute import Day
from server.reports.rollups_days import months_between

FIRST = date(2026, 3, 5)  # a Thursday: weeks and months cut the stored days unevenly
STORED_DAYS = 120
PERIODS: tuple[Period, ...] = ("day", "week", "month")


def world(seed: int, users: int) -> dict[str, Day]:
    """``STORED_DAYS`` days from FIRST, about one in eight missing (nothing stored that day)."""
    rnd = random.Random(seed)
    ids = [f"{rnd.getrandbits(96):024x}" for _ in range(users)]
    owner, members = ids[0], {ids[0]}
    out: dict[str, Day] = {}
    count = 0
    for i in range(STORED_DAYS):
        day = FIRST + timedelta(days=i)
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        if i > 0 and rnd.random() < 0.12:
            continue
        d = Day(circle_id="c", day=day.isoformat())
        if i == 0:
            d.joins.append((owner, noon - timedelta(hours=3)))  # the owner: never a newcomer
        for _ in range(rnd.randrange(4)):
            u = rnd.choice(ids[1:])
            at = noon + timedelta(minutes=rnd.randrange(600))
            if u in members and rnd.random() < 0.6:
                d.leaves.append((u, at))
                members.discard(u)
            else:  # a join, or a rejoin the same day or later
                d.joins.append((u, at))
                d.newcomers.append((u, at))
                members.add(u)
        if rnd.random() < 0.3 and d.joins:  # joined, then left again that day
            u, at = d.joins[-1]
            if u != owner:
                d.leaves.append((u, at + timedelta(minutes=5)))
                members.discard(u)
        count += len(d.joins) - len(d.leaves)
        d.members = count
        pool = sorted(members) + rnd.sample(ids, 3)  # some active ids left already
        d.active = sorted(set(rnd.sample(pool, rnd.randrange(len(pool) + 1))))
        d.posters = sorted(set(rnd.sample(d.active, rnd.randrange(len(d.active) + 1))))
        d.messages = len(d.posters) * 2 + rnd.randrange(3)
        d.deleted = rnd.randrange(2)
        d.prompts = rnd.randrange(6)
        d.waits = sorted(round(rnd.uniform(1, 90_000), 3) for _ in range(rnd.randrange(4)))
        out[d.day] = d
    return out


# -- the oracle: each number by its definition, unions rebuilt every time ------------------------


def between(days: dict[str, Day], first: date, last: date) -> list[Day]:
    n = (last - first).days + 1
    found = (days.get((first + timedelta(days=i)).isoformat()) for i in range(max(n, 0)))
    return [d for d in found if d is not None]


def active(days: dict[str, Day], first: date, last: date) -> set[str]:
    return {u for d in between(days, first, last) for u in d.active}


def oracle_bucket(days: dict[str, Day], first: date, last: date, today: date) -> dict[str, Any]:
    inside = between(days, first, last)
    before = [k for k in days if k <= last.isoformat()]
    members = days[max(before)].members if before else 0
    counted = (min(last, today) - first).days + 1
    dau = round(sum(len(d.active) for d in inside) / counted, 2) if counted > 0 else 0.0
    mau = len(active(days, last - timedelta(days=29), last))
    wau = len(active(days, last - timedelta(days=6), last))
    speakers = {u for d in inside for u in d.posters}
    last_event: dict[str, str] = {}
    for d in inside:
        events = [(at, u, "join") for u, at in d.joins] + [(at, u, "leave") for u, at in d.leaves]
        for _, u, kind in sorted(events, key=lambda e: e[0]):
            last_event[u] = kind
    staying = [u for u in speakers if last_event.get(u) != "leave"]
    newcomers = [(d.day, u) for d in inside for u, _ in d.newcomers]
    activated = sum(
        1
        for day, u in newcomers
        if u in active(days, date.fromisoformat(day), date.fromisoformat(day) + timedelta(days=7))
    )
    waits = sorted(w for d in inside for w in d.waits)
    prompts = sum(d.prompts for d in inside)
    return {
        "start": first.isoformat(),
        "end": last.isoformat(),
        "joined": sum(len(d.joins) for d in inside),
        "left": sum(len(d.leaves) for d in inside),
        "net": sum(len(d.joins) - len(d.leaves) for d in inside),
        "members": members,
        "messages": sum(d.messages for d in inside),
        "deleted_messages": sum(d.deleted for d in inside),
        "active": len(active(days, first, last)),
        "dau": dau,
        "wau": wau,
        "mau": mau,
        "stickiness": round(dau / mau, 4) if mau else None,
        "speakers": len(speakers),
        "silent": max(members - len(staying), 0),
        "newcomers": len(newcomers),
        "activated": activated,
        "activation": round(activated / len(newcomers), 4) if newcomers else None,
        "reply_speed": {
            "prompts": prompts,
            "answered": len(waits),
            "unanswered": prompts - len(waits),
            "ratio": round(len(waits) / prompts, 4) if prompts else None,
            "median_seconds": round(statistics.median(waits), 3) if waits else None,
            "p90_seconds": waits[max(0, math.ceil(0.9 * len(waits)) - 1)] if waits else None,
        },
    }


def oracle_cohorts(
    days: dict[str, Day], first: date, last: date, today: date
) -> list[dict[str, Any]]:
    out = []
    week = first - timedelta(days=first.weekday())
    while week <= last:
        members = {u for d in between(days, week, week + timedelta(days=6)) for u, _ in d.newcomers}
        retained: list[int | None] = []
        for k in range(1, 9):
            start = week + timedelta(days=7 * k)
            kept = members & active(days, start, start + timedelta(days=6))
            retained.append(None if start > today else len(kept))
        out.append({"week": week.isoformat(), "joined": len(members), "retained": retained})
        week += timedelta(days=7)
    return out


def oracle(
    days: dict[str, Day], period: Period, start: date, end: date, today: date
) -> dict[str, Any]:
    return {
        "circle_id": "c",
        "period": period,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "buckets": [oracle_bucket(days, a, b, today) for a, b in buckets(period, start, end)],
        "cohorts": oracle_cohorts(days, start, end, today),
    }


# -- the spans compared ------------------------------------------------------------------------

LAST = FIRST + timedelta(days=STORED_DAYS - 1)


def spans(seed: int) -> list[tuple[date, date, date]]:
    """(start, end, today): the edges named, then random ones."""
    rnd = random.Random(seed)
    named = [
        (FIRST - timedelta(days=45), FIRST + timedelta(days=20), LAST),  # begins before any day
        (FIRST - timedelta(days=3), LAST, LAST),  # everything
        (LAST - timedelta(days=29), LAST, LAST),  # the default day view
        (LAST - timedelta(days=20), LAST + timedelta(days=25), LAST),  # ends after today
        (LAST - timedelta(days=70), LAST - timedelta(days=10), LAST - timedelta(days=40)),
        (FIRST - timedelta(days=90), FIRST - timedelta(days=31), LAST),  # nothing stored in it
        (LAST + timedelta(days=3), LAST + timedelta(days=50), LAST),  # all to come
        (FIRST + timedelta(days=40), FIRST + timedelta(days=40), LAST),  # one day
    ]
    drawn = []
    for _ in range(10):
        start = FIRST + timedelta(days=rnd.randrange(-60, STORED_DAYS + 10))
        end = start + timedelta(days=rnd.randrange(0, 200))
        today = LAST + timedelta(days=rnd.randrange(-50, 30))
        drawn.append((start, end, today))
    return named + drawn


@pytest.mark.parametrize("seed,users", [(1, 12), (2, 40), (3, 150), (4, 400)])
@pytest.mark.parametrize("period", PERIODS)
def test_the_report_answers_what_the_definitions_answer(
    seed: int, users: int, period: Period
) -> None:
    days = world(seed, users)
    assert sum(len(d.newcomers) for d in days.values()) > 20  # the seeds make a real history
    for start, end, today in spans(seed):
        got = answer("c", days, period, start, end, today).model_dump()
        assert got == oracle(days, period, start, end, today), (period, start, end, today)


def test_the_report_from_the_months_the_server_reads() -> None:
    """The server reads the whole months from 29 days before the span to 63 days after it (or
    today): a report from only those days (the first stored days, and the member count they
    carry, left out) agrees too."""
    days = world(5, 80)
    start, end = FIRST + timedelta(days=70), FIRST + timedelta(days=85)
    high = min(LAST, end + timedelta(days=63))
    months = set(months_between((start - timedelta(days=29)).isoformat(), high.isoformat()))
    part = {k: d for k, d in days.items() if k[:7] in months}
    assert FIRST.isoformat() not in part and len(part) > 40
    for period in PERIODS:
        got = answer("c", part, period, start, end, LAST).model_dump()
        assert got == oracle(part, period, start, end, LAST)


def test_the_numbers_are_not_trivially_equal() -> None:
    """The compared numbers vary (an oracle and a report both all zeros would prove nothing):
    MAU above WAU, partial activation, cohorts that keep some members and lose others."""
    days = world(3, 150)
    got = answer("c", days, "week", FIRST, LAST, LAST)
    assert any(0 < b.wau < b.mau for b in got.buckets)
    assert any(b.activated and b.activated < b.newcomers for b in got.buckets)
    kept = {k for c in got.cohorts for k in c.retained if k is not None}
    assert len(kept) > 2
    joins = [u for d in days.values() for u, _ in d.newcomers]
    assert len(set(joins)) < len(joins)  # rejoins
    assert any(u in d.posters for d in days.values() for u, _ in d.leaves)  # speakers who left
    assert circle_cohorts.ACTIVATION_DAYS == 7 and circle_report.MAU_DAYS == 30
