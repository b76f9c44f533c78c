"""The circle report's own arithmetic at the benchmark's scale, before and after the bitmasks.

    .venv/bin/python -m bench.reports_arith [--members 5000] [--active 1500] [--newcomers 30]
                                            [--days 180] [--repeat 5]

Builds in memory the day rollups (``rollups_compute.Day``) of one busy circle: ``--days`` days
up to today, ``--newcomers`` joins a day (and a few leaves) growing to about ``--members``
members, ``--active`` of them active and most of those posting every day. For each view the
server answers by default (``period=day`` 30 days, ``week`` 12 weeks, ``month`` a year), given
the days the server would read for it, times ``circle_report.answer`` (now) against
``reference``, a copy of the code before (sets rebuilt per bucket, newcomer and cohort week),
checks that both give the same report, and prints milliseconds per report. No database: the
read of the day documents is measured apart (bench/reports_days.py). See docs/performance.md
("Reports at 5,000 members").
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from server.reports.circle_cohorts import ACTIVATION_DAYS, COHORT_WEEKS, monday
from server.reports.circle_report import (
    DEFAULT_SPAN,
    MAU_DAYS,
    WAU_DAYS,
    answer,
    buckets,
)
from server.reports.circle_schemas import (
    CircleBucketOut,
    CircleReportOut,
    CohortOut,
    Period,
    ReplySpeedOut,
)
from server.reports.rollups_compute import Day
from server.reports.rollups_days import months_between

CIRCLE = "c" * 24


def world(opts: argparse.Namespace, today: date, seed: int = 13) -> dict[str, Day]:
    """``opts.days`` days ending ``today``: member ids are 24 hex digits, like the server's."""
    rnd = random.Random(seed)
    new_id = lambda: f"{rnd.getrandbits(96):024x}"  # noqa: E731
    leaves_a_day = opts.newcomers // 2
    grow = opts.newcomers - leaves_a_day
    members = [new_id() for _ in range(max(opts.members - grow * opts.days, opts.active))]
    out: dict[str, Day] = {}
    for i in range(opts.days):
        day = today - timedelta(days=opts.days - 1 - i)
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        joins = [(new_id(), noon + timedelta(minutes=m)) for m in range(opts.newcomers)]
        leaves = [
            (u, noon + timedelta(hours=2, minutes=m))
            for m, u in enumerate(rnd.sample(members, leaves_a_day))
        ]
        gone = {u for u, _ in leaves}
        members = [u for u in members if u not in gone] + [u for u, _ in joins]
        active = sorted(rnd.sample(members, min(opts.active, len(members))))
        posters = sorted(rnd.sample(active, len(active) * 14 // 15))
        waits = sorted(round(rnd.expovariate(1 / 600), 3) for _ in range(150))
        out[day.isoformat()] = Day(
            circle_id=CIRCLE,
            day=day.isoformat(),
            joins=joins,
            leaves=leaves,
            newcomers=list(joins),
            members=len(members),
            messages=len(posters) * 3,
            deleted=5,
            posters=posters,
            active=active,
            prompts=200,
            waits=waits,
        )
    return out


def read_for(stored: dict[str, Day], start: date, end: date, today: date) -> dict[str, Day]:
    """The days the server reads for ``start..end`` (whole months, as ``report`` asks them)."""
    low = start - timedelta(days=MAU_DAYS - 1)
    high = min(max(today, end), end + timedelta(days=7 * (COHORT_WEEKS + 1)))
    months = set(months_between(low.isoformat(), high.isoformat()))
    return {k: d for k, d in stored.items() if k[:7] in months}


# -- reference: the arithmetic as it was before the bitmasks (server/reports at 5d45dd2) -----


def _active_between(days: dict[str, Day], first: date, last: date) -> set[str]:
    out: set[str] = set()
    d = first
    while d <= last:
        found = days.get(d.isoformat())
        if found is not None:
            out.update(found.active)
        d += timedelta(days=1)
    return out


def _activation(days: dict[str, Day], first: date, last: date) -> tuple[int, int]:
    joined = activated = 0
    d = first
    while d <= last:
        found = days.get(d.isoformat())
        for user_id, _ in found.newcomers if found is not None else ():
            joined += 1
            if user_id in _active_between(days, d, d + timedelta(days=ACTIVATION_DAYS)):
                activated += 1
        d += timedelta(days=1)
    return joined, activated


def _cohorts(
    days: dict[str, Day], first: date, last: date, today: date
) -> list[tuple[date, int, list[int | None]]]:
    out: list[tuple[date, int, list[int | None]]] = []
    week = monday(first)
    while week <= last:
        members: set[str] = set()
        for i in range(7):
            found = days.get((week + timedelta(days=i)).isoformat())
            if found is not None:
                members.update(u for u, _ in found.newcomers)
        retained: list[int | None] = []
        for k in range(1, COHORT_WEEKS + 1):
            start = week + timedelta(days=7 * k)
            if start > today:
                retained.append(None)
            else:
                active = _active_between(days, start, start + timedelta(days=6))
                retained.append(len(members & active))
        out.append((week, len(members), retained))
        week += timedelta(days=7)
    return out


def _bucket(days: dict[str, Day], first: date, last: date, today: date) -> CircleBucketOut:
    def span(a: date, b: date) -> list[Day]:
        out, d = [], a
        while d <= b:
            found = days.get(d.isoformat())
            if found is not None:
                out.append(found)
            d += timedelta(days=1)
        return out

    inside = span(first, last)
    stored = [d for k, d in days.items() if k <= last.isoformat()]
    members = max(stored, key=lambda d: d.day).members if stored else 0
    counted_days = (min(last, today) - first).days + 1
    daily = sum(len(d.active) for d in inside)
    dau = round(daily / counted_days, 2) if counted_days > 0 else 0.0
    mau = len({u for d in span(last - timedelta(days=MAU_DAYS - 1), last) for u in d.active})
    wau = len({u for d in span(last - timedelta(days=WAU_DAYS - 1), last) for u in d.active})
    speakers = {u for d in inside for u in d.posters}
    last_event: dict[str, str] = {}
    for d in inside:
        events = [
            *((u, at, "join") for u, at in d.joins),
            *((u, at, "leave") for u, at in d.leaves),
        ]
        for u, _, kind in sorted(events, key=lambda e: e[1]):
            last_event[u] = kind
    staying = {u for u in speakers if last_event.get(u) != "leave"}
    waits = sorted(w for d in inside for w in d.waits)
    prompts = sum(d.prompts for d in inside)
    newcomers, activated = _activation(days, first, last)
    return CircleBucketOut(
        start=first.isoformat(),
        end=last.isoformat(),
        joined=sum(len(d.joins) for d in inside),
        left=sum(len(d.leaves) for d in inside),
        net=sum(len(d.joins) - len(d.leaves) for d in inside),
        members=members,
        messages=sum(d.messages for d in inside),
        deleted_messages=sum(d.deleted for d in inside),
        active=len({u for d in inside for u in d.active}),
        dau=dau,
        wau=wau,
        mau=mau,
        stickiness=round(dau / mau, 4) if mau else None,
        speakers=len(speakers),
        silent=max(members - len(staying), 0),
        newcomers=newcomers,
        activated=activated,
        activation=round(activated / newcomers, 4) if newcomers else None,
        reply_speed=ReplySpeedOut(
            prompts=prompts,
            answered=len(waits),
            unanswered=prompts - len(waits),
            ratio=round(len(waits) / prompts, 4) if prompts else None,
            median_seconds=round(statistics.median(waits), 3) if waits else None,
            p90_seconds=waits[max(0, math.ceil(0.9 * len(waits)) - 1)] if waits else None,
        ),
    )


def reference(
    circle_id: str, days: dict[str, Day], period: Period, start: date, end: date, today: date
) -> CircleReportOut:
    return CircleReportOut(
        circle_id=circle_id,
        period=period,
        start=start.isoformat(),
        end=end.isoformat(),
        buckets=[_bucket(days, a, b, today) for a, b in buckets(period, start, end)],
        cohorts=[
            CohortOut(week=week.isoformat(), joined=n, retained=kept)
            for week, n, kept in _cohorts(days, start, end, today)
        ],
    )


# -- timing -------------------------------------------------------------------------------------


def timed(fn: Callable[[], CircleReportOut], repeat: int) -> tuple[float, CircleReportOut]:
    """(the median milliseconds of ``repeat`` runs, the last answer)."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.process_time()
        out = fn()
        times.append((time.process_time() - t0) * 1000)
    assert out is not None
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=5000)
    ap.add_argument("--active", type=int, default=1500)
    ap.add_argument("--newcomers", type=int, default=30)
    ap.add_argument("--days", type=int, default=180)
    ap.add_argument("--repeat", type=int, default=5)
    opts = ap.parse_args()
    today = date(2026, 12, 3)
    stored = world(opts, today)
    last = stored[max(stored)]
    print(
        f"{len(stored)} days, {last.members} members at the end, "
        f"~{opts.active} active a day, {opts.newcomers} newcomers a day (CPU ms per report)"
    )
    print(f"{'period':8} {'buckets':>7} {'days read':>9} {'before':>9} {'now':>8} {'ratio':>7}")
    periods: tuple[Period, ...] = ("day", "week", "month")
    for period in periods:
        start = today - timedelta(days=DEFAULT_SPAN[period] - 1)
        days = read_for(stored, start, today, today)
        args = (CIRCLE, days, period, start, today, today)
        old_ms, old = timed(lambda: reference(*args), opts.repeat)  # noqa: B023 (called here)
        new_ms, new = timed(lambda: answer(*args), opts.repeat)  # noqa: B023
        if new.model_dump() != old.model_dump():
            raise SystemExit(f"{period}: the new arithmetic answers differently")
        print(
            f"{period:8} {len(new.buckets):>7} {len(days):>9} {old_ms:>9.1f} {new_ms:>8.1f} "
            f"{old_ms / new_ms:>6.0f}x"
        )


if __name__ == "__main__":
    main()
