"""The circle report (owners/admins): members, activity, speakers, reply speed, newcomer
activation per day, week or month, and retention cohorts by join week, answered from the day
rollups only (rollups.py keeps them; no message is read here).

Cost per request: one equality lookup per month of ``from - 29 days .. to + 63 days`` (up to
today) on ``(circle_id, month)``, plus the gate (the circle and the reader's membership); then
pure arithmetic over at most ~820 day documents (``answer``), where each day's active members
and posters are a bitmask (stored as such: circle_cohorts.Days) and every distinct count is an
OR of masks.
"""

from __future__ import annotations

import math
import statistics
from datetime import date, timedelta

from server.accounts.models import User
from server.core import clock
from server.core.errors import Invalid
from server.reports import access
from server.reports.circle_cohorts import COHORT_WEEKS, Days, activation, cohorts
from server.reports.circle_schemas import (
    CircleBucketOut,
    CircleReportOut,
    CircleReportQuery,
    CohortOut,
    Period,
    ReplySpeedOut,
)
from server.reports.rollups_compute import Day, day_of
from server.reports.rollups_days import months_between
from server.reports.rollups_repository import RollupRepository
from server.rooms.service import CircleService

MAX_DAYS = 731  # the longest from..to a report answers
DEFAULT_SPAN = {"day": 30, "week": 7 * 12, "month": 366}
MAU_DAYS, WAU_DAYS = 30, 7


def _bad(field: str, why: str) -> Invalid:
    return Invalid("the input failed validation", {"fields": {field: why}})


def _date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _bad(field, "is not a day (YYYY-MM-DD)") from None


def span_of(q: CircleReportQuery, today: date) -> tuple[Period, date, date]:
    period: Period = q.period or "day"
    end = _date(q.to, "to") if q.to else today
    start = _date(q.from_, "from") if q.from_ else end - timedelta(days=DEFAULT_SPAN[period] - 1)
    if start > end:
        raise _bad("from", "is after to")
    if (end - start).days + 1 > MAX_DAYS:
        raise _bad("from", f"from..to spans more than {MAX_DAYS} days")
    return period, start, end


def buckets(period: Period, start: date, end: date) -> list[tuple[date, date]]:
    """Consecutive buckets covering start..end: days, ISO weeks (Monday first) or calendar
    months, the first and last clipped to the span."""
    out: list[tuple[date, date]] = []
    d = start
    while d <= end:
        if period == "day":
            last = d
        elif period == "week":
            last = d + timedelta(days=6 - d.weekday())
        else:
            last = (d.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        out.append((d, min(last, end)))
        d = min(last, end) + timedelta(days=1)
    return out


def _nearest_rank(values: list[float], share: float) -> float:
    return values[max(0, math.ceil(share * len(values)) - 1)]


def bucket(days: Days, first: date, last: date, today: date) -> CircleBucketOut:
    inside = days.between(first, last)
    latest = days.latest(last)
    members = latest.members if latest is not None else 0
    counted_days = (min(last, today) - first).days + 1
    daily = sum(len(d.active) for d in inside)
    dau = round(daily / counted_days, 2) if counted_days > 0 else 0.0
    mau = days.active(last - timedelta(days=MAU_DAYS - 1), last).bit_count()
    wau = days.active(last - timedelta(days=WAU_DAYS - 1), last).bit_count()
    speakers = days.posters(first, last)
    last_event: dict[str, str] = {}  # who joined or left last, within the bucket
    for d in inside:
        events = [
            *((u, at, "join") for u, at in d.joins),
            *((u, at, "leave") for u, at in d.leaves),
        ]
        for u, _, kind in sorted(events, key=lambda e: e[1]):
            last_event[u] = kind
    gone = 0
    for u, kind in last_event.items():
        if kind == "leave":
            gone |= days.bit(u)
    staying = (speakers & ~gone).bit_count()  # speakers still members at the end
    waits = sorted(w for d in inside for w in d.waits)
    prompts = sum(d.prompts for d in inside)
    newcomers, activated = activation(days, first, last)
    return CircleBucketOut(
        start=first.isoformat(),
        end=last.isoformat(),
        joined=sum(len(d.joins) for d in inside),
        left=sum(len(d.leaves) for d in inside),
        net=sum(len(d.joins) - len(d.leaves) for d in inside),
        members=members,
        messages=sum(d.messages for d in inside),
        deleted_messages=sum(d.deleted for d in inside),
        active=days.active(first, last).bit_count(),
        dau=dau,
        wau=wau,
        mau=mau,
        stickiness=round(dau / mau, 4) if mau else None,
        speakers=speakers.bit_count(),
        silent=max(members - staying, 0),
        newcomers=newcomers,
        activated=activated,
        activation=round(activated / newcomers, 4) if newcomers else None,
        reply_speed=ReplySpeedOut(
            prompts=prompts,
            answered=len(waits),
            unanswered=prompts - len(waits),
            ratio=round(len(waits) / prompts, 4) if prompts else None,
            median_seconds=round(statistics.median(waits), 3) if waits else None,
            p90_seconds=_nearest_rank(waits, 0.9) if waits else None,
        ),
    )


def answer(
    circle_id: str, stored: dict[str, Day], period: Period, start: date, end: date, today: date
) -> CircleReportOut:
    """The report of ``start..end`` from the ``stored`` days (keyed by day): pure arithmetic."""
    days = Days(stored)
    return CircleReportOut(
        circle_id=circle_id,
        period=period,
        start=start.isoformat(),
        end=end.isoformat(),
        buckets=[bucket(days, a, b, today) for a, b in buckets(period, start, end)],
        cohorts=[
            CohortOut(week=week.isoformat(), joined=n, retained=kept)
            for week, n, kept in cohorts(days, start, end, today)
        ],
    )


class CircleReportService:
    def __init__(self, repo: RollupRepository, circles: CircleService) -> None:
        self._repo = repo
        self._circles = circles

    async def report(self, user: User, circle_id: str, q: CircleReportQuery) -> CircleReportOut:
        await access.require_circle_reader(self._circles, user, circle_id)
        today = date.fromisoformat(day_of(clock.now()))
        period, start, end = span_of(q, today)
        # The stored days from 29 days before ``start`` (the first bucket's MAU) to 63 days
        # after ``end`` (whether its newcomers were activated, and stayed 8 weeks); the member
        # count carries over days with no events, so if none comes before ``start`` the
        # months before are read back until one has a stored day.
        low = start - timedelta(days=MAU_DAYS - 1)
        high = min(max(today, end), end + timedelta(days=7 * (COHORT_WEEKS + 1)))
        months = months_between(low.isoformat(), high.isoformat())
        found = await self._repo.days_of_months(circle_id, months)
        days = {d.day: d for d in found}
        if not any(k < start.isoformat() for k in days):
            earlier = await self._latest_before(circle_id, low)
            if earlier is not None:
                days[earlier.day] = earlier
        return answer(circle_id, days, period, start, end, today)

    async def _latest_before(self, circle_id: str, low: date) -> Day | None:
        """The last stored day before ``low``: months walked back until one has a day, at most
        back to the circle's creation."""
        circle = await self._repo.circle(circle_id)
        if circle is None:
            return None
        first = circle.created_at.date().replace(day=1)
        month = low.replace(day=1)
        while month > first:
            month = (month - timedelta(days=1)).replace(day=1)
            found = await self._repo.days_of_months(circle_id, [month.isoformat()[:7]])
            found = [d for d in found if d.day < low.isoformat()]
            if found:
                return max(found, key=lambda d: d.day)
        return None
