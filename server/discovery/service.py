"""Discovery logic: the activity list with its filters, the Explore sections, "push to members".

Who may see what is decided here, once per card: a public circle's activity to everyone signed
in, a private circle's only to its members (whatever bucket it came from).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta

from server.accounts.models import User
from server.accounts.service import AccountService
from server.activities.service import ActivityService
from server.core import clock
from server.core.errors import Conflict, Forbidden, Invalid, NotFound
from server.core.recent import Recent
from server.core.shared import shared_read
from server.discovery import keys, notices, recommend
from server.discovery.models import Card, Item, Reason
from server.discovery.repository import DiscoveryRepository
from server.discovery.schemas import Filters, encode_cursor
from server.discovery.walk import Keep, Stream, merge
from server.notifications.service import NotificationService
from server.rooms.follows import FollowService
from server.rooms.models import Circle, Role
from server.search.tokens import query_terms

log = logging.getLogger(__name__)

MAX_PRIVATE_STREAMS = 50  # private circles of a user merged into a list
MAX_FOR_YOU_STREAMS = 8
# How long a user's "for you" profile (tastes, sign-ups) and whom they know are reused. Each
# is dropped at once, in every process, when what it was read from changes (``changed``): so
# this bounds what no event announces (a signed-up activity that ends and becomes a past one)
# and a copy whose announcement was lost.
USER_SECONDS = 600.0
USERS = "discovery_users"  # what a ``forget`` announcement names (key: user ids, one per line)
CIRCLES = "discovery_circles"  # (key: circle ids whose members changed, one per line)
Announce = Callable[[str, str], Awaitable[None]]
# Circles (name, category, tags: tastes and reasons) and people (display names: who you know is
# going) as read by id, kept this long in each process: the first "discover" of many users
# shares most of them. Visibility never changes, so no permission rests on a kept copy; a
# renamed circle or person shows within this time.
META_SECONDS = 60.0
MAX_KNOWN_CIRCLES = 20  # circles whose members count as "people you know"
SECTION_SIZE = 10
KNOWN_SHOWN = 3


class DiscoveryService:
    def __init__(
        self,
        repo: DiscoveryRepository,
        follows: FollowService,
        activities: ActivityService,
        accounts: AccountService,
        notifications: NotificationService,
    ) -> None:
        self._repo = repo
        self._follows = follows
        self._activities = activities
        self._accounts = accounts
        self._notes = notifications
        self._profiles: dict[str, tuple[float, recommend.Profile]] = {}
        self._people: dict[str, tuple[float, recommend.Profile]] = {}
        # reads under way, shared: the sections of one "discover" all need them at once
        self._profile_reads: dict[str, asyncio.Future[recommend.Profile]] = {}
        self._people_reads: dict[str, asyncio.Future[recommend.Profile]] = {}
        self._visibility: dict[str, str] = {}  # circle id -> visibility (it never changes)
        self._circles: Recent[Circle] = Recent(META_SECONDS)
        self._names: Recent[User] = Recent(META_SECONDS)
        # when a user's or a circle's members last changed (monotonic), for a read that raced
        # the change (it is not kept); and the users whose kept reads a circle's members shaped
        self._changed_at: dict[str, float] = {}
        self._readers_of: dict[str, set[str]] = {}
        self.announce: Announce | None = None  # tells every process (this one too)

    # the list ----------------------------------------------------------------------------

    async def search(
        self, user: User, f: Filters, roles: dict[str, Role] | None = None
    ) -> tuple[list[Item], str | None]:
        """Upcoming activities matching ``f`` that ``user`` may see, by start time; paged by a
        cursor of the last (start, id) given, so a page never repeats or skips an item that did
        not move. ``roles``: the user's memberships, when the caller has just read them."""
        if roles is None:
            roles = await self._follows.memberships_of(user.id)
        streams = await self._streams(user, f, roles)
        terms = query_terms(f.q) if f.q else []
        if f.q and not terms:
            raise Invalid("the input failed validation", {"fields": {"q": "has no word in it"}})
        cards = await merge(streams, f.after, self._keep(f, roles, terms), f.limit + 1)
        items = await self._decorate(user, cards[: f.limit], f)
        more = len(cards) > f.limit
        last = cards[f.limit - 1] if more else None
        return items, encode_cursor(last.starts_at, last.id) if last else None

    async def _streams(self, user: User, f: Filters, roles: dict[str, Role]) -> list[Stream]:
        # a later page starts its walk at the cursor's bucket: walking from ``start`` read
        # every bucket before it only to skip its cards (95 bucket reads for a page a month on)
        start = max(f.start, f.after[0]) if f.after is not None else f.start

        def stream(family: str) -> Stream:
            return Stream(self._repo, family, start, f.end)

        if f.circle is not None:
            # visibility never changes: known to the process after the circle's first list
            if f.circle not in roles and f.circle not in await self._public_ids([f.circle]):
                raise NotFound("no such circle")
            return [stream(f"c:{f.circle}")]
        if f.following:
            return [stream(f"c:{c}") for c in await self._follows.followed_ids(user.id)]
        terms = query_terms(f.q) if f.q else []
        if terms:
            main = [stream(keys.term_family(max(terms, key=len)))]
        elif f.tag:
            main = [stream(f"tag:{f.tag}")]
        elif f.category:
            main = [stream(f"cat:{f.category}")]
        elif f.near:
            main = [stream(f"geo:{c}") for c in keys.cells_near(*f.near, f.radius_km)]
        else:
            main = [stream("t")]
        public = await self._public_ids(list(roles))
        private = [c for c in roles if c not in public]
        return main + [stream(f"c:{c}") for c in private[:MAX_PRIVATE_STREAMS]]

    async def _public_ids(self, circle_ids: list[str]) -> set[str]:
        missing = [c for c in circle_ids if c not in self._visibility]
        if missing:
            if len(self._visibility) > 100_000:
                self._visibility.clear()
            for cid, c in (await self._circles.get(missing, self._follows.circles)).items():
                self._visibility[cid] = c.visibility
        return {c for c in circle_ids if self._visibility.get(c) == "public"}

    def _keep(self, f: Filters, roles: dict[str, Role], terms: list[str]) -> Keep:
        def keep(c: Card) -> bool:
            if c.cancelled or not (f.start <= c.starts_at <= f.end):
                return False
            if c.visibility != "public" and c.circle_id not in roles:
                return False  # the one visibility rule, applied to every card read
            if f.circle is not None and c.circle_id != f.circle:
                return False
            if f.category and c.category != f.category:
                return False
            if f.tag and f.tag not in c.tags:
                return False
            if terms and not set(terms) <= set(c.terms):
                return False
            if f.near is not None:
                if c.lat is None or c.lng is None:
                    return False
                return keys.distance_km(*f.near, c.lat, c.lng) <= f.radius_km
            return True

        return keep

    async def _decorate(self, user: User, cards: list[Card], f: Filters | None) -> list[Item]:
        """Distance, and the people the user knows who are going (names of the first few)."""
        profile = await self.people(user)
        items: list[Item] = []
        wanted: set[str] = set()
        for c in cards:
            known = [u for u in c.going_ids if u != user.id and u in profile.known]
            item = Item(c, known_going_count=len(known))
            item.known_going = known[:KNOWN_SHOWN]
            wanted.update(item.known_going)
            if f is not None and f.near is not None and c.lat is not None and c.lng is not None:
                item.distance_km = keys.distance_km(*f.near, c.lat, c.lng)
            items.append(item)
        names = await self._names.get(sorted(wanted), self._accounts.get_users) if wanted else {}
        for item in items:
            item.known_going = [names[u].display_name for u in item.known_going if u in names]
        return items

    # the Explore page --------------------------------------------------------------------

    async def discover(
        self, user: User, near: tuple[float, float] | None, radius_km: float
    ) -> list[tuple[str, str, list[Item]]]:
        """The sections (key, title, items): for you, this week, popular, from circles you
        follow, near you (empty without a place)."""
        now = clock.now()
        base = Filters(start=now, end=now + timedelta(days=7), limit=SECTION_SIZE)
        later = Filters(start=now, end=now + timedelta(days=90), limit=SECTION_SIZE)
        near_f = Filters(
            start=now,
            end=now + timedelta(days=30),
            near=near,
            radius_km=radius_km,
            limit=SECTION_SIZE,
        )

        # the user's memberships once for every section (each applies the visibility rule)
        roles = await self._follows.memberships_of(user.id)

        async def listed(f: Filters) -> list[Item]:
            return (await self.search(user, f, roles))[0]

        async def nothing() -> list[Item]:
            return []

        for_you, this_week, popular, following, near_you = await asyncio.gather(
            self.for_you(user, now, roles),
            listed(base),
            self.popular(user, now),
            listed(Filters(start=later.start, end=later.end, following=True, limit=SECTION_SIZE)),
            listed(near_f) if near is not None else nothing(),
        )
        return [
            ("for_you", "For you", for_you),
            ("this_week", "This week", this_week),
            ("popular", "Popular", popular),
            ("following", "From circles you follow", following),
            ("near_you", "Near you", near_you),
        ]

    async def popular(self, user: User, now: datetime) -> list[Item]:
        """The most signed-up public activities of the next fourteen days: popularity buckets
        read from the top tier down until enough are found."""
        weeks = keys.weeks_between(now, now + timedelta(days=14))
        tiers = await asyncio.gather(*(self._repo.marks(f"pop:{wk}") for wk in weeks))
        found: dict[str, Card] = {}
        for level in sorted({int(t) for ts in tiers for t in ts}, reverse=True):
            held = [wk for wk, ts in zip(weeks, tiers, strict=True) if str(level) in ts]
            buckets = await asyncio.gather(
                *(self._repo.bucket(keys.key(f"pop:{wk}", str(level))) for wk in held)
            )
            for c in (c for b in buckets for c in b):
                fresh = not c.cancelled and now <= c.starts_at <= now + timedelta(days=14)
                if fresh and c.visibility == "public":
                    found[c.id] = c
            if len(found) >= SECTION_SIZE:
                break
        ranked = sorted(found.values(), key=lambda c: (-c.going, c.starts_at, c.id))
        items = await self._decorate(user, ranked[:SECTION_SIZE], None)
        for item in items:
            item.reason = Reason("popular", f"{item.card.going} going", float(item.card.going))
        return items

    async def for_you(self, user: User, now: datetime, roles: dict[str, Role]) -> list[Item]:
        """Candidates from the user's liked categories and tags and from their circles and
        followed circles over the next two weeks, ranked by recommend.rank. ``roles``: the
        user's memberships, read for this request."""
        p = await self.profile(user, roles)
        families = [f"cat:{c}" for c, _ in p.categories.most_common(3)]
        families += [f"tag:{t}" for t, _ in p.tags.most_common(3)]
        families += [f"c:{c}" for c in list({**p.followed, **p.my_circles})[:MAX_FOR_YOU_STREAMS]]
        if not families:
            return []
        end = now + timedelta(days=recommend.SOON_DAYS)
        streams = [Stream(self._repo, fam, now, end) for fam in families]
        keep = self._keep(Filters(start=now, end=end), roles, [])
        cards = await merge(streams, None, keep, 60)
        ranked = recommend.rank(cards, p, now, SECTION_SIZE)
        items = await self._decorate(user, [c for c, _, _ in ranked], None)
        for item, (_, total, reason) in zip(items, ranked, strict=True):
            item.reason, item.score = reason, total
        return items

    async def people(self, user: User) -> recommend.Profile:
        """Whom the user knows (the people of their circles, by a circle they share) and their
        circles; what every list needs, kept until it changes (``changed``). Concurrent
        callers (the sections of one "discover") share one read."""
        cached = self._people.get(user.id)
        if cached is not None and time.monotonic() - cached[0] < USER_SECONDS:
            return cached[1]
        return await shared_read(self._people_reads, user.id, lambda: self._read_people(user))

    async def _read_people(self, user: User) -> recommend.Profile:
        started = time.monotonic()
        p = recommend.Profile(user_id=user.id)
        roles = await self._follows.memberships_of(user.id)
        shown = list(roles)[:MAX_KNOWN_CIRCLES]
        circles, members = await asyncio.gather(
            self._circles.get(roles, self._follows.circles),
            asyncio.gather(*(self._follows.member_ids(cid) for cid in shown)),
        )
        for cid in roles:
            if cid in circles:
                mine = circles[cid]
                p.my_circles[cid] = mine.name
                _like(p, mine.category, mine.tags, "circles you joined")
        for cid, ids in zip(shown, members, strict=True):
            if cid in p.my_circles:
                for uid in ids:
                    p.known.setdefault(uid, p.my_circles[cid])
        p.known.pop(user.id, None)
        self._kept(self._people, user.id, p, started, list(p.my_circles))
        return p

    async def profile(self, user: User, roles: dict[str, Role] | None = None) -> recommend.Profile:
        """``people`` plus what the user likes (from their circles and the activities they
        attended), the circles they follow and what they signed up for; kept until one of
        them changes (reading someone's sign-ups is the costly part). ``roles``: the user's
        memberships, when the caller has just read them. Concurrent callers share one read."""
        cached = self._profiles.get(user.id)
        if cached is not None and time.monotonic() - cached[0] < USER_SECONDS:
            return cached[1]
        return await shared_read(
            self._profile_reads, user.id, lambda: self._read_profile(user, roles)
        )

    async def _read_profile(self, user: User, roles: dict[str, Role] | None) -> recommend.Profile:
        started = time.monotonic()

        async def memberships() -> dict[str, Role]:
            return roles if roles is not None else await self._follows.memberships_of(user.id)

        async def followed_circles() -> tuple[list[str], dict[str, Circle]]:
            ids = await self._follows.followed_ids(user.id)
            return ids, await self._circles.get(ids, self._follows.circles)

        # independent reads, at once (one after the other they made a cold "discover" slow)
        people, mine, (followed_ids, circles), signups = await asyncio.gather(
            self.people(user),
            memberships(),
            followed_circles(),
            self._activities.participations(user.id),
        )
        p = dataclasses.replace(people)
        p.categories, p.tags, p.sources = Counter(p.categories), Counter(p.tags), dict(p.sources)
        p.followed = {}
        for cid in followed_ids:
            followed = circles.get(cid)
            if followed is not None and (followed.visibility == "public" or cid in mine):
                p.followed[cid] = followed.name
        now = clock.now()
        for row in signups:
            if row.ends_at < now and row.status == "attended":
                _like(p, row.category, row.tags, "activities you attended")
        p.signed_up = {row.activity_id for row in signups if row.ends_at >= now}
        self._kept(self._profiles, user.id, p, started, list(p.my_circles))
        return p

    # kept until they change --------------------------------------------------------------

    def _kept(
        self,
        cache: dict[str, tuple[float, recommend.Profile]],
        user_id: str,
        p: recommend.Profile,
        started: float,
        circle_ids: list[str],
    ) -> None:
        """Keep a read that started at ``started``, unless the user or the members of one of
        ``circle_ids`` changed since (the read may have missed it)."""
        names = [f"u:{user_id}", *(f"c:{c}" for c in circle_ids)]
        if any(self._changed_at.get(n, 0.0) >= started for n in names):
            return
        if len(cache) > 10_000:
            cache.clear()
            self._readers_of.clear()
        cache[user_id] = (started, p)
        for c in circle_ids:
            self._readers_of.setdefault(c, set()).add(user_id)

    def forget(self, user_ids: Iterable[str], circle_ids: Iterable[str] = ()) -> None:
        """Drop what is kept of these users, and of every user whose kept reads the members
        of these circles shaped; a read under way serves only the callers already waiting."""
        now = time.monotonic()
        if len(self._changed_at) > 50_000:  # older marks no longer matter to any read
            self._changed_at = {k: t for k, t in self._changed_at.items() if now - t < 60}
        users = set(user_ids)
        for c in circle_ids:
            self._changed_at[f"c:{c}"] = now
            users |= self._readers_of.pop(c, set())
        for u in users:
            self._changed_at[f"u:{u}"] = now
            self._profiles.pop(u, None)
            self._people.pop(u, None)
            self._profile_reads.pop(u, None)
            self._people_reads.pop(u, None)

    async def changed(self, user_ids: Iterable[str], circle_ids: Iterable[str] = ()) -> None:
        """These users' memberships, follows or sign-ups changed, or these circles' members:
        dropped here at once, and announced to every process."""
        users, circles = sorted(set(user_ids)), sorted(set(circle_ids))
        self.forget(users, circles)
        if self.announce is None:
            return
        try:
            if users:
                await self.announce(USERS, "\n".join(users))
            if circles:
                await self.announce(CIRCLES, "\n".join(circles))
        except Exception:  # the copies elsewhere expire instead (USER_SECONDS)
            log.exception("announcing a discovery change failed")

    def on_announced(self, what: str, key: str) -> None:
        """The other end of ``changed``, for the broadcaster's ``forget`` listener."""
        if what == USERS:
            self.forget(key.split("\n"))
        elif what == CIRCLES:
            self.forget([], key.split("\n"))

    # push to members ---------------------------------------------------------------------

    async def push(self, user: User, activity_id: str) -> int:
        """Tell every member of the activity's circle about it, once per activity: owners and
        admins only; ``conflict`` (``already_pushed``) the second time. Returns how many were
        told."""
        a = await self._activities.get(user, activity_id)
        roles = await self._follows.memberships_of(user.id)
        if roles.get(a.circle_id) not in ("owner", "admin"):
            raise Forbidden("circle owners and admins push activities to members")
        if not await self._repo.mark_pushed(a.id, user.id, clock.now()):
            raise Conflict("already_pushed", "this activity was pushed to the members already")
        circle = await self._follows.circle(a.circle_id)
        members = [u for u in await self._follows.member_ids(a.circle_id) if u != user.id]
        gate = asyncio.Semaphore(16)

        title, body, data = notices.about(a, circle.name)

        async def one(uid: str) -> None:
            async with gate:
                await self._notes.notify(
                    uid, "activity_push", title, body, data, key=f"activity_push:{a.id}:{uid}"
                )

        await asyncio.gather(*(one(u) for u in members))
        return len(members)


def _like(p: recommend.Profile, category: str, tags: tuple[str, ...] | list[str], src: str) -> None:
    p.categories[category] += 1
    p.sources.setdefault(f"cat:{category}", src)
    for t in tags:
        p.tags[t] += 1
        p.sources.setdefault(f"tag:{t}", src)
