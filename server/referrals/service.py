"""Referral logic: record an attribution after a sign-up or join; counts for organisers."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

from server.accounts.models import User
from server.accounts.service import AccountService
from server.activities.service import ActivityService
from server.core import clock
from server.core.errors import Forbidden
from server.referrals.models import CHANNELS, Attribution, Channel, Kind, Via
from server.referrals.repository import ReferralRepository
from server.referrals.visits import VisitCounter
from server.rooms.service import CircleService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SharerCount:
    sharer: User | None  # None: the account is gone; its id is still counted
    sharer_id: str
    count: int
    by_channel: dict[Channel, int]


@dataclass(frozen=True)
class Counts:
    total: int
    by_channel: dict[Channel, int]
    by_sharer: list[SharerCount]  # most referrals first
    visits: dict[Channel, int] | None  # share-page visitors per channel; None: not counted


def _by_channel(found: list[Attribution]) -> dict[Channel, int]:
    seen = Counter(a.channel for a in found)
    return {ch: seen.get(ch, 0) for ch in CHANNELS}


class ReferralService:
    def __init__(
        self,
        repo: ReferralRepository,
        accounts: AccountService,
        activities: ActivityService,
        circles: CircleService,
        visits: VisitCounter,
    ) -> None:
        self._repo = repo
        self._accounts = accounts
        self._activities = activities
        self._circles = circles
        self.visits = visits

    async def _sharer(self, ref: str) -> User | None:
        """A ref is a handle (what share links carry) or a user id; both are index lookups."""
        by_handle = await self._accounts.users_by_handles([ref])
        return by_handle.get(ref) or await self._accounts.get_user(ref)

    async def record(self, kind: Kind, target_id: str, user: User, via: Via) -> None:
        """Credit ``via``'s sharer for ``user`` joining ``target_id``. Called only after the
        sign-up or join is stored. Never raises: a self-referral, an unknown ref and a second
        attribution are dropped, and a failed write is logged, because the sign-up it would
        credit has happened either way."""
        try:
            sharer = await self._sharer(via.ref)
            if sharer is None or sharer.id == user.id:
                return
            a = Attribution(kind, target_id, user.id, sharer.id, via.channel, clock.now())
            await self._repo.add(a)
        except Exception:
            log.exception("referral of %s %s not recorded", kind, target_id)

    async def for_activity(self, user: User, activity_id: str) -> Counts:
        """The organiser (or the circle's owner/admins): else ``forbidden``, and ``not_found``
        to whoever cannot see the activity at all."""
        a = await self._activities.require_organiser(user, activity_id)
        return await self._counts("activity", a.id)

    async def activity_counts(self, activity_id: str) -> Counts:
        """An activity's counts for another domain's service whose gate has decided already
        (the organiser's activity report: one read of the activity, not two)."""
        return await self._counts("activity", activity_id)

    async def for_circle(self, user: User, circle_id: str) -> Counts:
        """The circle's owner/admins: else ``forbidden``; ``not_found`` to non-members of a
        private circle."""
        circle, role = await self._circles.get(user, circle_id)
        if role not in ("owner", "admin"):
            raise Forbidden("circle owners and admins only")
        return await self._counts("circle", circle.id)

    async def _counts(self, kind: Kind, target_id: str) -> Counts:
        found = await self._repo.for_target(kind, target_id)
        per: dict[str, list[Attribution]] = {}
        for a in found:
            per.setdefault(a.sharer_id, []).append(a)
        users = await self._accounts.get_users(list(per))
        sharers = [
            SharerCount(users.get(sid), sid, len(items), _by_channel(items))
            for sid, items in per.items()
        ]
        sharers.sort(key=lambda s: (-s.count, s.sharer_id))
        visits = await self.visits.counts(kind, target_id)
        return Counts(len(found), _by_channel(found), sharers, visits)
