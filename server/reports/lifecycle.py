"""Each member's lifecycle stage, RFM score and segments (owners/admins), and the circle's
thresholds (lifecycle_compute.py has the definitions).

Cost per request, all equality reads on declared indexes and none of a message: the gate (the
circle and the reader's membership), the thresholds (one ``_id``), the memberships (one query on
``circle_id``), the day rollups of the last ``LOOKBACK_DAYS`` (one query per month, ~7), the
circle's activities (their list, then each state by ``_id``) and their payments with ledgers
(as the revenue report reads them), the members' tags (one query on ``circle_id``) and the
members' names (one ``_id`` each).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from server.accounts.models import User
from server.accounts.service import AccountService
from server.core import clock
from server.core.errors import Invalid, NotFound
from server.reports import access
from server.reports.lifecycle_compute import (
    LOOKBACK_DAYS,
    MemberFacts,
    Thresholds,
    main_currency,
    standing,
)
from server.reports.lifecycle_repository import LifecycleRepository
from server.reports.lifecycle_schemas import (
    LifecycleIn,
    LifecycleOut,
    LifecycleQuery,
    MembersLifecycleOut,
    MemberStandingOut,
    MemberTagsIn,
    MemberTagsOut,
    RfmOut,
)
from server.reports.rollups_compute import day_of
from server.reports.rollups_days import months_between
from server.reports.rollups_repository import RollupRepository
from server.reports.service import ReportService
from server.reports.tags_repository import TagRepository
from server.rooms.service import CircleService


def _day(at: datetime) -> date:
    return date.fromisoformat(day_of(at))


def _out(circle_id: str, t: Thresholds) -> LifecycleOut:
    return LifecycleOut(
        circle_id=circle_id,
        new_days=t.new_days,
        cooling_days=t.cooling_days,
        silent_days=t.silent_days,
        churned_days=t.churned_days,
    )


class LifecycleService:
    def __init__(
        self,
        repo: LifecycleRepository,
        rollups: RollupRepository,
        reports: ReportService,
        circles: CircleService,
        accounts: AccountService,
        tags: TagRepository,
    ) -> None:
        self._repo = repo
        self._tags = tags
        self._rollups = rollups
        self._reports = reports
        self._circles = circles
        self._accounts = accounts

    async def put_thresholds(self, user: User, circle_id: str, body: LifecycleIn) -> LifecycleOut:
        await access.require_circle_reader(self._circles, user, circle_id)
        for field, low, name in (
            ("silent_days", body.cooling_days, "cooling_days"),
            ("churned_days", body.silent_days, "silent_days"),
        ):
            if getattr(body, field) <= low:
                why = f"must be more than {name}"
                raise Invalid("the input failed validation", {"fields": {field: why}})
        t = Thresholds(body.new_days, body.cooling_days, body.silent_days, body.churned_days)
        await self._repo.put_thresholds(circle_id, t)
        return _out(circle_id, t)

    async def put_tags(
        self, user: User, circle_id: str, member_id: str, body: MemberTagsIn
    ) -> MemberTagsOut:
        """Replace a current member's tags (repeats dropped, order kept)."""
        await access.require_circle_reader(self._circles, user, circle_id)
        if await self._circles.role_of(circle_id, member_id) is None:
            raise NotFound("no such member of this circle")
        tags = list(dict.fromkeys(body.tags))
        await self._tags.put(circle_id, member_id, tags)
        return MemberTagsOut(circle_id=circle_id, user_id=member_id, tags=tags)

    async def members(self, user: User, circle_id: str, q: LifecycleQuery) -> MembersLifecycleOut:
        await access.require_circle_reader(self._circles, user, circle_id)
        return await self.standings(user, circle_id, q)

    async def standings(self, user: User, circle_id: str, q: LifecycleQuery) -> MembersLifecycleOut:
        """The list itself, for a caller that has passed the readers' gate (outreach.py resolves
        its audience from it)."""
        t = await self._repo.thresholds(circle_id)
        today = _day(clock.now())
        low = today - timedelta(days=LOOKBACK_DAYS - 1)
        joined = await self._rollups.members(circle_id)
        facts = {u: MemberFacts(u, _day(at)) for u, (at, _) in joined.items()}
        months = months_between(low.isoformat(), today.isoformat())
        for d in await self._rollups.days_of_months(circle_id, months):
            when = date.fromisoformat(d.day)
            if low <= when <= today:
                for u in d.active:
                    if u in facts:
                        facts[u].active_days.add(when)
        for a in await self._reports.circle_activities(user, circle_id):
            for e in a.entries.values():
                if e.status == "attended" and e.user_id in facts:
                    facts[e.user_id].attended.append(_day(e.checked_in_at or a.starts_at))
            for item in await self._reports.paid_for(user, a):
                p = item.payment
                if p.test or p.user_id not in facts:
                    continue  # sandbox money moved nothing; a former member is not listed
                money = facts[p.user_id].money
                for ev in item.ledger:
                    if ev.status in ("paid", "refunded"):
                        sign = 1 if ev.status == "paid" else -1
                        money[p.currency] = money.get(p.currency, 0) + sign * p.amount
        currency = main_currency(list(facts.values()))
        found = [standing(f, today, t, currency) for f in facts.values()]
        tags = await self._tags.of_circle(circle_id)
        found = [
            s
            for s in found
            if (q.stage is None or s.stage == q.stage)
            and (q.segment is None or q.segment in s.segments)
            and (q.tag is None or q.tag in tags.get(s.user_id, ()))
        ]
        names = await self._accounts.get_users([s.user_id for s in found])
        return MembersLifecycleOut(
            circle_id=circle_id,
            day=today.isoformat(),
            thresholds=_out(circle_id, t),
            main_currency=currency,
            members=[
                MemberStandingOut(
                    user_id=s.user_id,
                    display_name=names[s.user_id].display_name if s.user_id in names else "",
                    role=joined[s.user_id][1],
                    joined_at=joined[s.user_id][0],
                    stage=s.stage,
                    rfm=RfmOut(
                        recency_days=s.recency_days,
                        frequency=s.frequency,
                        attended=s.attended,
                        active_days=s.active_days,
                        monetary=s.monetary,
                        r=s.r,
                        f=s.f,
                        m=s.m,
                    ),
                    segments=s.segments,
                    tags=tags.get(s.user_id, []),
                )
                for s in sorted(found, key=lambda s: (joined[s.user_id][0], s.user_id))
            ],
        )
