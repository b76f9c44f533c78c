"""Keeps the cards up to date with the activities, from the activity service's after-commit path.

``on_commit`` runs after every committed change of an activity (created, edited, cancelled, a
seat taken or given back). It writes the activity's card whole, with the bucket keys its new
time, place, category, tags, text and popularity give it (so an edit moves it between buckets in
one write), then re-reads the activity: if a newer version was committed meanwhile (by another
process, whose card write may have crossed ours), it writes again from that one. A cancelled
activity keeps its card without keys: it drops out of every bucket.
"""

from __future__ import annotations

import asyncio
import logging

from server.activities.cards import going_ids
from server.activities.models import Activity
from server.activities.service import ActivityService
from server.discovery import keys, notices
from server.discovery.models import Card, Visibility
from server.discovery.repository import DiscoveryRepository
from server.notifications.service import NotificationService
from server.rooms.follows import FollowService
from server.search.tokens import index_terms

log = logging.getLogger(__name__)
GOING_KEPT = 100  # going ids a card keeps for "people you know are going"
DESCRIPTION_KEPT = 280  # what an item shows (a bucket read decodes whole cards: keep them small)


def terms_of(a: Activity) -> list[str]:
    return index_terms(f"{a.title}\n{a.description}")[: keys.MAX_TERMS]


def card_of(a: Activity, circle_name: str, visibility: Visibility) -> Card:
    terms = terms_of(a)
    live = not a.cancelled
    bucket_keys = (
        keys.keys_for(
            public=visibility == "public",
            circle_id=a.circle_id,
            starts_at=a.starts_at,
            category=a.category,
            tags=a.tags,
            lat=a.location.lat,
            lng=a.location.lng,
            terms=terms,
            going=a.seats_taken,
        )
        if live
        else []
    )
    return Card(
        id=a.id,
        version=a.version,
        circle_id=a.circle_id,
        circle_name=circle_name,
        visibility=visibility,
        organiser_id=a.organiser_id,
        title=a.title,
        description=a.description[:DESCRIPTION_KEPT],
        category=a.category,
        tags=tuple(a.tags),
        starts_at=a.starts_at,
        ends_at=a.ends_at,
        location_name=a.location.name,
        address=a.location.address,
        lat=a.location.lat,
        lng=a.location.lng,
        capacity=a.capacity,
        going=a.seats_taken,
        waitlist=a.waitlist_count,
        price_amount=a.price.amount if a.price else None,
        price_currency=a.price.currency if a.price else None,
        signup_deadline=a.signup_deadline,
        cancelled=a.cancelled,
        created_at=a.created_at,
        going_ids=tuple(going_ids(a)[:GOING_KEPT]),
        terms=tuple(terms),
        keys=tuple(bucket_keys),
    )


class DiscoveryIndexer:
    def __init__(
        self,
        repo: DiscoveryRepository,
        activities: ActivityService,
        follows: FollowService,
        notifications: NotificationService,
    ) -> None:
        self._repo = repo
        self._activities = activities
        self._follows = follows
        self._notes = notifications
        self._circle_info: dict[str, tuple[str, Visibility]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def circle_info(self, circle_id: str) -> tuple[str, Visibility]:
        """Name and visibility (neither changes after creation: there is no rename)."""
        found = self._circle_info.get(circle_id)
        if found is None:
            c = await self._follows.circle(circle_id)
            if len(self._circle_info) > 100_000:
                self._circle_info.clear()
            found = self._circle_info[circle_id] = (c.name, c.visibility)
        return found

    async def on_commit(self, a: Activity, created: bool) -> None:
        """The activity service's watcher; never raises (a failure is healed by the next
        commit of the activity or by the reconciler)."""
        try:
            await self.index(a)
        except Exception:
            log.exception("discovery card of activity %s failed", a.id)
        if created:
            task = asyncio.get_running_loop().create_task(self._tell_followers(a))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def index(self, a: Activity) -> Card:
        """Write ``a``'s card, then again from any newer committed version (at most a few
        rounds: each round only follows a commit that really happened)."""
        current = a
        for _ in range(4):
            name, visibility = await self.circle_info(current.circle_id)
            card = card_of(current, name, visibility)
            await self._repo.add_marks(list(keys.marks_for(list(card.keys))))
            await self._repo.put(card)
            latest = await self._activities.state(current.id)
            if latest is None or latest.version <= current.version:
                return card
            current = latest
        return card

    async def _tell_followers(self, a: Activity) -> None:
        """``new_activity`` to each follower who can see the circle, once per (activity,
        follower) by its key, so a retry or a second process sends nothing twice."""
        try:
            name, visibility = await self.circle_info(a.circle_id)
            followers = await self._follows.followers(a.circle_id)
            if visibility == "private":
                members = set(await self._follows.member_ids(a.circle_id))
                followers = [u for u in followers if u in members]
            gate = asyncio.Semaphore(16)
            title, body, data = notices.about(a, name)
            title = f"New in {title}"

            async def one(user_id: str) -> None:
                async with gate:
                    await self._notes.notify(
                        user_id,
                        "new_activity",
                        title,
                        body,
                        data,
                        key=f"new_activity:{a.id}:{user_id}",
                    )

            await asyncio.gather(*(one(u) for u in followers if u != a.organiser_id))
        except Exception:
            log.exception("telling the followers of circle %s failed", a.circle_id)

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.wait(list(self._tasks))
