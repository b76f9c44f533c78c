"""Each member's lifecycle stage, RFM score and segments (owners/admins), and the circle's
thresholds (lifecycle_compute.py has the definitions).

Cost per request, all equality reads on declared indexes and none of a message: the gate (the
circle and the reader's membership), the thresholds (one ``_id``), the circle's people table
(people.py: one ``_id``, or two when the stored standings are of another day or thresholds),
the members' tags (one query on ``circle_id``) and the names and roles of the page's members
(one ``_id`` and one membership lookup each, at most ``limit``). The table is kept by the
rollup sweeper, so the members and numbers a page shows are at most one sweep
(``REPORT_ROLLUP_SECONDS``) behind the chat, the memberships, the activities and the payments.
"""

from __future__ import annotations

import asyncio
from typing import Any

from server.accounts.models import User
from server.accounts.service import AccountService
from server.core.errors import Invalid, NotFound
from server.reports import access
from server.reports.book import BookKeeper
from server.reports.lifecycle_compute import Thresholds
from server.reports.lifecycle_repository import LifecycleRepository
from server.reports.lifecycle_schemas import (
    DEFAULT_PAGE,
    LifecycleIn,
    LifecycleOut,
    LifecycleQuery,
    MembersLifecycleOut,
    MemberStandingOut,
    MemberTagsIn,
    MemberTagsOut,
    RfmOut,
)
from server.reports.people import People, Table
from server.reports.tags_repository import TagRepository
from server.rooms.service import CircleService


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
        people: People,
        book: BookKeeper,
        circles: CircleService,
        accounts: AccountService,
        tags: TagRepository,
    ) -> None:
        self._repo = repo
        self._tags = tags
        self._people = people
        self._book = book
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
        await self._book.mark_whole(circle_id)  # the stored standings follow at the next sweep
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
        table, found, tags = await self._matching(circle_id, q)
        offset = int(q.offset or 0)
        page = [Table.read(row) for row in found[offset : offset + int(q.limit or DEFAULT_PAGE)]]
        names, roles = await asyncio.gather(
            self._accounts.get_users([p.user_id for p, _ in page]),
            # a role changes no member count, so the table may not have seen it: read now
            asyncio.gather(*(self._circles.role_of(circle_id, p.user_id) for p, _ in page)),
        )
        role = {p.user_id: r or p.role for (p, _), r in zip(page, roles, strict=True)}
        return MembersLifecycleOut(
            circle_id=circle_id,
            day=table.day,
            thresholds=_out(circle_id, table.thresholds),
            main_currency=table.currency,
            total=len(found),
            offset=offset,
            members=[
                MemberStandingOut(
                    user_id=p.user_id,
                    display_name=names[p.user_id].display_name if p.user_id in names else "",
                    role=role[p.user_id],
                    joined_at=p.joined_at,
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
                    tags=tags.get(p.user_id, []),
                )
                for p, s in page
            ],
        )

    async def matching(self, circle_id: str, q: LifecycleQuery) -> list[str]:
        """Every member the filters match, by join (outreach.py resolves its audience from it;
        the caller has passed the readers' gate)."""
        return [Table.user_id(row) for row in (await self._matching(circle_id, q))[1]]

    async def _matching(
        self, circle_id: str, q: LifecycleQuery
    ) -> tuple[Table, list[list[Any]], dict[str, list[str]]]:
        table = await self._people.table(circle_id, lambda: self._book.read(circle_id))
        tags = await self._tags.of_circle(circle_id)
        found = [
            row
            for row in table.rows
            if (q.stage is None or Table.stage(row) == q.stage)
            and (q.segment is None or q.segment in Table.segments(row))
            and (q.tag is None or q.tag in tags.get(Table.user_id(row), ()))
        ]
        return table, found, tags
