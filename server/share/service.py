"""Share views: the facts a page or poster shows, read for the anonymous public."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from server.accounts.models import User
from server.accounts.service import AccountService
from server.activities.models import Activity
from server.activities.service import ActivityService
from server.core import clock
from server.referrals.models import Channel, Kind
from server.referrals.visits import VisitCounter
from server.rooms.service import CircleService
from server.share import access
from server.share.access import NotShared
from server.share.facts import ActivityFacts, CircleFacts, activity_facts, circle_facts
from server.share.links import Links

GOING = ("confirmed", "attended")  # what "I'm going" means: a seat that is the user's
UPCOMING_ON_PAGE = 10


@dataclass(frozen=True)
class ActivityView:
    id: str
    circle_id: str
    facts: ActivityFacts
    organiser_verified: bool = False  # the "verified organiser" badge (server/trust/)


@dataclass(frozen=True)
class CircleView:
    id: str
    facts: CircleFacts
    upcoming: list[ActivityView]
    owner_verified: bool = False


@dataclass(frozen=True)
class GoingView:
    activity: ActivityView
    who: str | None  # the sharer's display name while they are still going; else None


@dataclass(frozen=True)
class ShareLinks:
    activity: str
    circle: str
    going: str | None
    poster_png: str
    poster_svg: str


class ShareService:
    def __init__(
        self,
        activities: ActivityService,
        circles: CircleService,
        accounts: AccountService,
        links: Links,
        zone: ZoneInfo,
    ) -> None:
        self._activities = activities
        self._circles = circles
        self._accounts = accounts
        self.links = links
        self._zone = zone
        # counts share-page visits that carry a ref (server/referrals/visits.py); None: off
        self.visits: VisitCounter | None = None
        # whether a user is a verified organiser (server/trust/); None: no badges
        self.verified: Callable[[str], Awaitable[bool]] | None = None

    async def _is_verified(self, user_id: str) -> bool:
        return self.verified is not None and await self.verified(user_id)

    def _facts(self, a: Activity, circle_name: str) -> ActivityFacts:
        return activity_facts(a, circle_name, clock.now(), self._zone)

    async def activity(self, activity_id: str) -> ActivityView:
        """``NotShared`` unless the activity is in a public circle."""
        a, circle = await access.shared_activity(self._activities, self._circles, activity_id)
        verified = await self._is_verified(a.organiser_id)
        return ActivityView(a.id, a.circle_id, self._facts(a, circle.name), verified)

    async def circle(self, circle_id: str) -> CircleView:
        """``NotShared`` unless the circle is public. Lists its next activities."""
        circle = await access.shared_circle(self._circles, circle_id)
        found = await self._activities.upcoming_in(circle.id)
        upcoming = [
            ActivityView(a.id, a.circle_id, self._facts(a, circle.name))
            for a in found[:UPCOMING_ON_PAGE]
            if not a.cancelled
        ]
        verified = await self._is_verified(circle.owner_id)
        return CircleView(circle.id, circle_facts(circle), upcoming, verified)

    async def going(self, activity_id: str, user_id: str, sig: str) -> GoingView:
        """One person's "I'm going" link: ``NotShared`` for a forged signature, as for a private
        or missing activity. The page names the sharer only while their seat is theirs."""
        if not self.links.going_ok(activity_id, user_id, sig):
            raise NotShared
        a, circle = await access.shared_activity(self._activities, self._circles, activity_id)
        entry = a.entries.get(user_id)
        who = None
        if entry is not None and entry.status in GOING:
            user = await self._accounts.get_user(user_id)
            who = user.display_name if user else None
        verified = await self._is_verified(a.organiser_id)
        view = ActivityView(a.id, a.circle_id, self._facts(a, circle.name), verified)
        return GoingView(view, who)

    async def visited(
        self, kind: Kind, target_id: str, ref: str | None, ch: Channel | None, visitor: str
    ) -> None:
        """A page of a public activity or circle was shown: counted when it came from a share
        (a ref), per channel, once per visitor; nothing about the visitor is kept."""
        if ref and self.visits is not None:
            await self.visits.visit(kind, target_id, ch or "link", visitor)

    async def links_for(self, user: User, activity_id: str) -> ShareLinks:
        """The share URLs of an activity for a signed-in user who can see it (members of a
        private circle too: their links still show outsiders only the refusal). The going link
        exists while the user's own seat does."""
        a = await self._activities.get(user, activity_id)
        entry = a.entries.get(user.id)
        page = self.links.activity(a.id, user.handle)
        return ShareLinks(
            activity=page,
            circle=self.links.circle(a.circle_id, user.handle),
            going=self.links.going(a.id, user.id) if entry and entry.status in GOING else None,
            poster_png=self.links.poster(page, "png"),
            poster_svg=self.links.poster(page, "svg"),
        )


__all__ = ["ActivityView", "CircleView", "GoingView", "NotShared", "ShareLinks", "ShareService"]
