"""The data set of ``bench.discovery``: 2,000 users, 1,000 circles (a tenth private), 100,000
activities over a year, and how they get into the database.

Users, circles, memberships and follows are made through the real server (HTTP). Activities are
written with the server's own mapping (``server.activities.repository``: the committed state and
the query projection, as ``ActivityRepository.insert`` stores them) in batches, and their
discovery cards with the indexer's own ``card_of`` and ``DiscoveryRepository`` (cards and marks
exactly as the after-commit path writes them), straight through FerretDB, so PostgreSQL keeps
the GIN mirrors as it does in production.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from bench.run import _api
from server.activities.models import Activity, Entry, Location, Price
from server.activities.repository import ActivityRepository, rows_of, to_doc
from server.core.ids import new_id
from server.core.mongo import make_client
from server.discovery import keys
from server.discovery.indexer import card_of
from server.discovery.repository import DiscoveryRepository
from server.discovery.repository import to_doc as card_doc

Log = Callable[[str], None]
CATEGORIES = [
    "hiking",
    "running",
    "cycling",
    "climbing",
    "boardgames",
    "books",
    "cooking",
    "music",
    "photography",
    "language",
    "yoga",
    "volunteering",
]
TAGS = [f"tag{i:02d}" for i in range(40)]
CITIES = [
    (52.52, 13.40),
    (48.86, 2.35),
    (51.51, -0.13),
    (40.42, -3.70),
    (41.90, 12.50),
    (59.33, 18.07),
    (35.68, 139.69),
    (37.57, 126.98),
    (31.23, 121.47),
    (22.32, 114.17),
    (40.71, -74.01),
    (34.05, -118.24),
    (43.65, -79.38),
    (-33.87, 151.21),
    (19.43, -99.13),
    (-23.55, -46.63),
    (55.76, 37.62),
    (50.08, 14.44),
    (47.50, 19.04),
    (52.23, 21.01),
]
_rng = random.Random(7)
TITLE_WORDS = [f"t{_rng.randrange(36**4):04x}" for _ in range(300)]  # 300 title words
DESC_WORDS = [f"d{_rng.randrange(36**5):05x}" for _ in range(2000)]


@dataclass
class World:
    users: int = 2000
    circles: int = 1000
    activities: int = 100_000
    private_every: int = 10  # every tenth circle is private
    per_user: int = 3  # circles each user joins
    # the days the starts spread over (a third past, two thirds ahead): 360 at 100,000 is
    # about 275 a day; a smaller run over fewer days has the same buckets to read
    span_days: float = 360
    tokens: list[str] = field(default_factory=list)
    user_ids: list[str] = field(default_factory=list)
    circle_ids: list[str] = field(default_factory=list)
    circle_cats: list[str] = field(default_factory=list)
    members: dict[int, list[int]] = field(default_factory=dict)  # circle -> user indexes

    def private(self, c: int) -> bool:
        return c % self.private_every == 0


async def build(url: str, world: World, log: Log) -> None:
    """Users, circles, memberships (public circles by joining, private ones by invite) and
    follows, through the server."""
    t0 = time.monotonic()
    sem = asyncio.Semaphore(32)
    rng = random.Random(11)
    async with aiohttp.ClientSession(base_url=url) as s:

        async def register(u: int) -> None:
            async with sem:
                body = {"handle": f"dx_{u:05d}", "password": "bench-password-1"}
                body["display_name"] = f"User {u}"
                got = await _api(s, "POST", "/api/auth/register", body)
                world.tokens[u], world.user_ids[u] = got["token"], got["user"]["id"]

        world.tokens, world.user_ids = [""] * world.users, [""] * world.users
        await asyncio.gather(*(register(u) for u in range(world.users)))
        log(f"  registered {world.users} users ({time.monotonic() - t0:.0f}s)")

        async def circle(c: int) -> None:
            owner = c % world.users
            cat = CATEGORIES[c % len(CATEGORIES)]
            body = {
                "name": f"Circle {c}",
                "category": cat,
                "tags": rng.sample(TAGS, 3),
                "visibility": "private" if world.private(c) else "public",
            }
            async with sem:
                got = await _api(s, "POST", "/api/circles", body, token=world.tokens[owner])
            world.circle_ids[c], world.circle_cats[c] = got["circle"]["id"], cat
            world.members[c] = [owner]

        world.circle_ids, world.circle_cats = [""] * world.circles, [""] * world.circles
        await asyncio.gather(*(circle(c) for c in range(world.circles)))
        log(f"  {world.circles} circles ({time.monotonic() - t0:.0f}s)")
        invites: dict[int, str] = {}
        for c in range(0, world.circles, world.private_every):
            path = f"/api/circles/{world.circle_ids[c]}/invites"
            got = await _api(s, "POST", path, {}, token=world.tokens[world.members[c][0]])
            invites[c] = got["invite"]
        plan = [
            (u, c)
            for u in range(world.users)
            for c in rng.sample(range(world.circles), world.per_user)
        ]

        async def join(u: int, c: int) -> None:
            if u in world.members[c]:
                return
            world.members[c].append(u)
            body = {"invite": invites[c]} if c in invites else {}
            async with sem:
                await _api(
                    s,
                    "POST",
                    f"/api/circles/{world.circle_ids[c]}/join",
                    body,
                    token=world.tokens[u],
                )

        await asyncio.gather(*(join(u, c) for u, c in plan))
        log(f"  {len(plan)} joins ({time.monotonic() - t0:.0f}s)")

        async def follow(u: int, c: int) -> None:
            async with sem:
                await _api(
                    s,
                    "POST",
                    f"/api/circles/{world.circle_ids[c]}/follow",
                    None,
                    token=world.tokens[u],
                )

        public = [c for c in range(world.circles) if not world.private(c)]
        fans = range(min(200, world.users))
        await asyncio.gather(*(follow(u, c) for u in fans for c in rng.sample(public, 10)))
        log(f"  {len(fans) * 10:,} follows ({time.monotonic() - t0:.0f}s)")


def make_activity(world: World, i: int, now: datetime, rng: random.Random) -> Activity:
    """Activity ``i``: a start within the span (a third past), daytime; a city for 70%."""
    c = rng.randrange(world.circles)
    members = world.members[c]
    starts = now + timedelta(days=rng.uniform(-world.span_days / 3, world.span_days * 2 / 3))
    starts = starts.replace(
        hour=rng.randrange(8, 21), minute=rng.choice((0, 15, 30, 45)), second=0, microsecond=0
    )
    loc = Location(name=f"Place {i % 500}")
    if rng.random() < 0.7:
        lat, lng = rng.choice(CITIES)
        loc = Location(loc.name, None, lat + rng.uniform(-0.2, 0.2), lng + rng.uniform(-0.2, 0.2))
    # how many are going follows a long tail (most activities have a few, some very many);
    # anyone may sign up for a public circle's activity (joining it), members only otherwise
    # (at most 60: FerretDB's btree on ``activities.participants`` refuses an array row over
    # 2,704 bytes, about 75 ids; see the report in docs/performance.md)
    want = min(60, int(rng.paretovariate(1.2)) - 1)
    pool = members if world.private(c) else range(world.users)
    going = rng.sample(pool, min(len(pool), want))
    capacity = max(len(going), rng.randrange(4, 40))
    created = starts - timedelta(days=14)
    a = Activity(
        id=new_id(),
        circle_id=world.circle_ids[c],
        conversation_id="",
        organiser_id=world.user_ids[members[0]],
        title=" ".join(rng.sample(TITLE_WORDS, 3)),
        description=" ".join(rng.sample(DESC_WORDS, 8)),
        category=world.circle_cats[c] if rng.random() < 0.8 else rng.choice(CATEGORIES),
        tags=rng.sample(TAGS, 2),
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        location=loc,
        capacity=capacity,
        price=Price(1500, "EUR") if rng.random() < 0.1 else None,
        signup_deadline=starts,
        offer_window_minutes=60,
        refund_cutoff_hours=24,
        hold_minutes=15,
        created_at=created,
        updated_at=created,
    )
    if starts < now:  # the sweeper closed its sign-ups when the deadline passed, long ago
        a.deadline_swept = a.signup_deadline
    for u in going:
        uid = world.user_ids[int(u)]
        a.entries[uid] = Entry(uid, "confirmed", created, created)
    return a


class Populator:
    """Writes activities and their cards with the server's own code, in batches."""

    def __init__(self, mongo_url: str, db_name: str, world: World, with_states: bool) -> None:
        # Without the committed states (``activity_states``) a third fewer writes: discovery's
        # reads never touch them (cards, marks, memberships, follows, the ``activities``
        # projection and the sign-ups' ``participations`` rows are all written).
        self.with_states = with_states
        # generous timeouts: on a shared machine one batch may wait long for the database
        self.client: Any = make_client(mongo_url, 600_000, [], 32)
        db = self.client[db_name]
        self.activities = db["activities"]
        self.states = db["activity_states"]
        self.participations = db["participations"]
        self.cards = db["discovery"]
        self.discovery = DiscoveryRepository(db)
        self.world = world
        self.names = {
            cid: (f"Circle {c}", world.private(c)) for c, cid in enumerate(world.circle_ids)
        }

    async def close(self) -> None:
        await self.client.close()

    async def fill(self, log: Log, batch: int = 250, writers: int = 4) -> float:
        t0 = time.monotonic()
        now = datetime.now(UTC)
        rng = random.Random(13)
        done = 0
        queue: asyncio.Queue[list[Activity] | None] = asyncio.Queue(maxsize=writers * 2)

        failed: list[BaseException] = []

        async def writer() -> None:
            nonlocal done
            while (chunk := await queue.get()) is not None:
                if failed:
                    continue  # drain, so the producer is never stuck on a full queue
                try:
                    await self._write(chunk)
                except Exception as exc:
                    failed.append(exc)
                    continue
                done += len(chunk)
                if done % 10_000 < batch:
                    log(f"    {done:,} activities with cards ({time.monotonic() - t0:.0f}s)")

        tasks = [asyncio.create_task(writer()) for _ in range(writers)]
        for start in range(0, self.world.activities, batch):
            n = min(batch, self.world.activities - start)
            await queue.put([make_activity(self.world, start + k, now, rng) for k in range(n)])
        for _ in tasks:
            await queue.put(None)
        await asyncio.gather(*tasks)
        if failed:
            raise failed[0]
        return time.monotonic() - t0

    async def _write(self, chunk: list[Activity]) -> None:
        """Cards first: the server's own after-commit path may write a card of a committed
        activity meanwhile (its sweeper, say), and a newer card must not be refused."""
        cards = []
        for a in chunk:
            name, private = self.names[a.circle_id]
            cards.append(card_of(a, name, "private" if private else "public"))
        await self.discovery.add_marks([m for c in cards for m in keys.marks_for(list(c.keys))])
        await self.cards.insert_many([card_doc(c) for c in cards], ordered=False)
        if self.with_states:
            states = [ActivityRepository._state_doc(a) for a in chunk]
            await self.states.insert_many(states, ordered=False)
        await self.activities.insert_many([to_doc(a) for a in chunk], ordered=False)
        # the sign-ups' rows, as a commit writes them (the server marked its new store as
        # having them all, so nothing would backfill these)
        rows = [r for a in chunk for r in rows_of(a, set(a.entries))]
        if rows:
            await self.participations.insert_many(rows, ordered=False)
