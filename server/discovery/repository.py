"""Cards and marks in MongoDB.

Every request read is an equality FerretDB v1 pushes down: cards by one element of ``keys``
(a GIN mirror serves it) or by ``_id``, marks by ``f``. Only the reconciler reads a whole
collection, as a batch job.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from server.core.mongo import Db, Index, find_by_ids, insert_new, retry_busy
from server.core.shared import shared_read
from server.discovery import keys
from server.discovery.models import Card

INDEXES = {
    "discovery": [Index([("keys", 1)], "keys")],
    "discovery_marks": [Index([("f", 1)], "family")],
    "discovery_pushes": [],
}
log = logging.getLogger(__name__)
# How long a process keeps a bucket's cards and a part's marks. Every change is announced to
# every process at once (``announce``), so this only bounds how stale a copy can get when an
# announcement is lost (Redis down or reconnecting). Each copy is kept for a random time
# between half this and this: copies read together (a fresh process's first minute) do not
# all expire in the same second and send their readers to the database at once.
KEPT_SECONDS = 300.0
MAX_BUCKETS = 2000
BUCKETS = "discovery_buckets"  # what a ``forget`` announcement names (key: keys, one per line)
MARKS = "discovery_marks"
Announce = Callable[[str, str], Awaitable[None]]
# A bucket read needs all of a card but its keys.
SHOWN = {"keys": 0}


def _kept_until(now: float) -> float:
    return now + KEPT_SECONDS * random.uniform(0.5, 1.0)  # a spread, not a secret


def to_doc(c: Card) -> dict[str, Any]:
    return {
        "_id": c.id,
        "v": c.version,
        "circle_id": c.circle_id,
        "circle_name": c.circle_name,
        "vis": c.visibility,
        "organiser_id": c.organiser_id,
        "title": c.title,
        "description": c.description,
        "category": c.category,
        "tags": list(c.tags),
        "s": c.starts_at,
        "e": c.ends_at,
        "place": c.location_name,
        "address": c.address,
        "lat": c.lat,
        "lng": c.lng,
        "capacity": c.capacity,
        "going": c.going,
        "waitlist": c.waitlist,
        "price": c.price_amount,
        "currency": c.price_currency,
        "deadline": c.signup_deadline,
        "cancelled": c.cancelled,
        "created_at": c.created_at,
        "going_ids": list(c.going_ids),
        "terms": list(c.terms),
        "keys": list(c.keys),
    }


def from_doc(d: dict[str, Any]) -> Card:
    return Card(
        id=d["_id"],
        version=int(d["v"]),
        circle_id=d["circle_id"],
        circle_name=d.get("circle_name", ""),
        visibility="public" if d.get("vis") == "public" else "private",
        organiser_id=d["organiser_id"],
        title=d["title"],
        description=d.get("description", ""),
        category=d["category"],
        tags=tuple(d.get("tags", ())),
        starts_at=d["s"],
        ends_at=d["e"],
        location_name=d.get("place", ""),
        address=d.get("address"),
        lat=d.get("lat"),
        lng=d.get("lng"),
        capacity=int(d["capacity"]),
        going=int(d.get("going", 0)),
        waitlist=int(d.get("waitlist", 0)),
        price_amount=d.get("price"),
        price_currency=d.get("currency"),
        signup_deadline=d["deadline"],
        cancelled=bool(d.get("cancelled")),
        created_at=d["created_at"],
        going_ids=tuple(d.get("going_ids", ())),
        terms=tuple(d.get("terms", ())),
        keys=tuple(d.get("keys", ())),
    )


class DiscoveryRepository:
    def __init__(self, db: Db) -> None:
        self._cards = db["discovery"]
        self._marks = db["discovery_marks"]
        self._activities = db["activities"]  # read by the reconciler only
        self._known_marks: set[str] = set()
        self._marks_seen: dict[str, tuple[float, set[str]]] = {}
        self._buckets: OrderedDict[str, tuple[float, list[Card]]] = OrderedDict()
        self._reading: dict[str, asyncio.Future[list[Card]]] = {}
        self._generation = 0
        self._drops: list[tuple[int, str]] = []
        self._pushes = db["discovery_pushes"]
        self.announce: Announce | None = None  # tells every process (this one too) what changed

    async def _tell(self, what: str, names: list[str]) -> None:
        if self.announce is None or not names:
            return
        try:
            await self.announce(what, "\n".join(sorted(set(names))))
        except Exception:  # the copies elsewhere expire instead (KEPT_SECONDS)
            log.exception("announcing a discovery change failed")

    def on_announced(self, what: str, key: str) -> None:
        """The other end of ``announce``, for the broadcaster's ``forget`` listener."""
        if what == BUCKETS:
            self.forget(key.split("\n"))
        elif what == MARKS:
            self.forget_marks(key.split("\n"))

    async def bucket(self, key: str) -> list[Card]:
        """The live cards of one bucket (unordered; a bucket is small by construction).

        Buckets hold no one's private view (each reader filters the cards), so one read serves
        every request of this process until a card leaves, enters or changes in the bucket:
        the writer drops its own copy at once and announces the change to every process
        (``announce``); KEPT_SECONDS bounds a copy whose announcement was lost. A read that
        raced a change is not kept. Concurrent readers of a bucket share one read."""
        now = time.monotonic()
        cached = self._buckets.get(key)
        if cached is not None and now < cached[0]:
            self._buckets.move_to_end(key)
            return cached[1]
        return await shared_read(self._reading, key, lambda: self._read_bucket(key, now))

    async def _read_bucket(self, key: str, started: float) -> list[Card]:
        generation = self._generation
        found = [from_doc(d) async for d in self._cards.find({"keys": key}, SHOWN)]
        if self._unchanged_since(generation, key):
            self._buckets[key] = (_kept_until(started), found)
            while len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)
        return found

    def _unchanged_since(self, generation: int, name: str) -> bool:
        """Whether nothing dropped ``name`` (a bucket key or ``_marks_key``) since a read that
        started at ``generation``: a read that raced a change is not kept."""
        return generation == self._generation or all(
            k != name for g, k in self._drops if g > generation
        )

    def _drop(self, names: list[str]) -> None:
        self._generation += 1
        self._drops.extend((self._generation, n) for n in names)
        del self._drops[: max(0, len(self._drops) - 10_000)]

    def forget(self, keys: list[str]) -> None:
        """Drop cached buckets (a card left, entered or changed in them)."""
        for k in keys:
            self._buckets.pop(k, None)
            self._reading.pop(k, None)  # later readers start a read of their own
        self._drop(keys)

    async def _changed(self, keys: list[str]) -> None:
        """Cards left, entered or changed in these buckets: dropped here, announced to all."""
        self.forget(keys)
        await self._tell(BUCKETS, keys)

    async def cards(self, ids: list[str]) -> dict[str, Card]:
        return {d["_id"]: from_doc(d) for d in await find_by_ids(self._cards, ids)}

    async def get(self, activity_id: str) -> Card | None:
        d = await self._cards.find_one({"_id": activity_id})
        return from_doc(d) if d else None

    async def put(self, card: Card) -> bool:
        """Replace the card unless a newer version is stored already (then False). Not atomic
        on FerretDB v1: two writers may cross, which is why the indexer re-reads the activity
        after writing and writes again when it is newer."""
        doc = to_doc(card)
        before = await self._cards.find_one({"_id": card.id}, {"keys": 1})
        touched = [*(before or {}).get("keys", []), *card.keys]
        self.forget(touched)
        try:
            result = await retry_busy(
                lambda: self._cards.replace_one(
                    {"_id": card.id, "v": {"$lte": card.version}}, doc, upsert=True
                )
            )
        except DuplicateKeyError:  # a newer card is stored: the filter missed, the upsert hit it
            return False
        await self._changed(touched)  # reads that raced the write, here and elsewhere
        return bool(result.matched_count or result.upserted_id is not None)

    async def marks(self, family: str) -> list[str]:
        """The buckets of a family whose marks are kept whole (a week's slots or popularity
        tiers; the others are read by part, ``part``)."""
        return sorted(await self.part(family))

    async def part(self, part: str) -> set[str]:
        """The buckets that have held a card (never fewer: marks stay) whose marks are kept in
        ``part`` (``keys.mark_part``). Read at most every KEPT_SECONDS per part and process: a
        bucket another process opened meanwhile is walked that much later (this process's own
        are known at once)."""
        now = time.monotonic()
        cached = self._marks_seen.get(part)
        if cached is not None and now < cached[0]:
            return cached[1]
        generation = self._generation
        found = {str(d["b"]) async for d in self._marks.find({"f": part}, {"b": 1})}
        if len(self._marks_seen) > 50_000:
            self._marks_seen.clear()
        if self._unchanged_since(generation, _marks_key(part)):
            self._marks_seen[part] = (_kept_until(now), found)
        return found

    def forget_marks(self, parts: list[str]) -> None:
        """Drop cached marks (another process added a bucket to them)."""
        for part in parts:
            self._marks_seen.pop(part, None)
        self._drop([_marks_key(part) for part in parts])

    async def add_marks(self, pairs: list[tuple[str, str]]) -> None:
        """Idempotent; remembers what this process wrote, so a busy activity's every sign-up
        does not write its marks again."""
        rows: dict[str, dict[str, str]] = {}
        for f, b in pairs:
            part = keys.mark_part(f, b)
            mark_id = f"{part}@{b}"
            if mark_id not in self._known_marks:
                rows[mark_id] = {"_id": mark_id, "f": part, "b": b}
        if not rows:
            return
        await insert_new(self._marks, list(rows.values()))
        if len(self._known_marks) > 200_000:
            self._known_marks.clear()
        self._known_marks.update(rows)
        for row in rows.values():
            cached = self._marks_seen.get(row["f"])
            if cached is not None:
                cached[1].add(row["b"])
        # the other processes read these parts again (this one's copy was just completed)
        await self._tell(MARKS, [row["f"] for row in rows.values()])

    async def card_keys(self) -> AsyncIterator[list[str]]:
        """For the marks' rebuild: every card's bucket keys, in one pass (a batch job)."""
        async for d in self._cards.find({}, {"keys": 1}):
            yield list(d.get("keys", []))

    async def mark_pushed(self, activity_id: str, user_id: str, at: datetime) -> bool:
        """False if the activity was pushed already (its id is the marker's ``_id``)."""
        try:
            await retry_busy(
                lambda: self._pushes.insert_one({"_id": activity_id, "by": user_id, "at": at})
            )
            return True
        except DuplicateKeyError:
            return False

    async def activity_ids(self) -> list[str]:
        """For the reconciler: every activity id, in one pass over the collection (a batch
        job; FerretDB v1 would read the whole collection for each page of a paged scan)."""
        return [str(d["_id"]) async for d in self._activities.find({}, {"_id": 1})]

    async def card_ids(self) -> list[str]:
        return [str(d["_id"]) async for d in self._cards.find({}, {"_id": 1})]

    async def delete(self, activity_id: str) -> None:
        before = await self._cards.find_one({"_id": activity_id}, {"keys": 1})
        await self._cards.delete_one({"_id": activity_id})
        await self._changed((before or {}).get("keys", []))


def _marks_key(part: str) -> str:
    """A part's marks in the drops (beside bucket keys, which never start with a space)."""
    return f" {part}"
