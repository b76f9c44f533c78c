"""Activities (with their sign-ups) and reminder schedules in MongoDB."""

from __future__ import annotations

import asyncio
from datetime import datetime
from functools import partial
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from server.activities.models import Activity, Entry, Location, Participation, Price
from server.core.mongo import Db, Index, insert_new, retry_busy
from server.core.shared import shared_read

INDEXES = {
    "activities": [
        Index([("circle_id", 1), ("starts_at", 1)], "circle_starts"),
        Index([("participants", 1)], "participants"),
        Index([("organiser_id", 1), ("starts_at", 1)], "organiser_starts"),
        # the sweeper reads one hour of deadlines at a time, by equality (due_hour)
        Index([("due_hour", 1)], "due_hour"),
        # the flag of versions before due_hour: read once, by the first sweep of such a store
        Index([("has_deadline", 1)], "has_deadline"),
    ],
    "activity_states": [Index([("activity_id", 1), ("version", -1)], "activity_version")],
    "schedules": [
        Index([("due_hour", 1), ("done", 1)], "due_hour"),
        Index([("done", 1)], "undone"),  # read once, by the first sweep of a store
    ],
    "sweep_cursor": [],
    # one small row per (user, activity) sign-up: what a user signed up for, read by user
    "participations": [Index([("user_id", 1)], "user")],
}


def changed_users(before: dict[str, Any], a: Activity) -> set[str]:
    """The users whose sign-up a commit of ``a`` added or gave another status, or all of them
    when its time, category or tags changed (what their ``participations`` rows hold);
    ``before`` is the stored document the commit replaced."""
    held = ("starts_at", "ends_at", "category")
    if any(before.get(k) != getattr(a, k) for k in held) or list(before.get("tags", [])) != list(
        a.tags
    ):
        return set(a.entries) | set(before.get("entries", {}))
    was = before.get("entries", {})
    return {u for u, e in a.entries.items() if was.get(u, {}).get("status") != e.status}


BACKFILL_BATCH = 1000  # rows per insert of the one-off backfill
ROW_WRITES = 16  # rows of one commit replaced at once


def due_hour(t: datetime | None) -> int | None:
    """The hour a deadline falls in (hours since the epoch): the sweeper's equality key."""
    return None if t is None else int(t.timestamp() // 3600)


KEEP_STATES = 20  # committed versions kept per activity


def _state_id(activity_id: str, version: int) -> str:
    return f"{activity_id}:{version:010d}"


_ENTRY_FIELDS = (
    "waitlist_no",
    "offer_expires_at",
    "hold_expires_at",
    "payment_id",
    "reconfirmed_at",
    "checked_in_at",
)


def _entry_doc(e: Entry) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "status": e.status,
        "created_at": e.created_at,
        "updated_at": e.updated_at,
    }
    if e.reconfirm_pending:
        doc["reconfirm_pending"] = True
    for name in _ENTRY_FIELDS:
        value = getattr(e, name)
        if value is not None:
            doc[name] = value
    return doc


def _entry(user_id: str, d: dict[str, Any]) -> Entry:
    return Entry(
        user_id=user_id,
        status=d["status"],
        created_at=d["created_at"],
        updated_at=d["updated_at"],
        reconfirm_pending=bool(d.get("reconfirm_pending")),
        **{name: d.get(name) for name in _ENTRY_FIELDS},
    )


def to_doc(a: Activity) -> dict[str, Any]:
    return {
        "_id": a.id,
        "circle_id": a.circle_id,
        "conversation_id": a.conversation_id,
        "organiser_id": a.organiser_id,
        "title": a.title,
        "description": a.description,
        "category": a.category,
        "tags": a.tags,
        "starts_at": a.starts_at,
        "ends_at": a.ends_at,
        "location": {
            "name": a.location.name,
            "address": a.location.address,
            "lat": a.location.lat,
            "lng": a.location.lng,
        },
        "capacity": a.capacity,
        "price": {"amount": a.price.amount, "currency": a.price.currency} if a.price else None,
        "signup_deadline": a.signup_deadline,
        "offer_window_minutes": a.offer_window_minutes,
        "refund_cutoff_hours": a.refund_cutoff_hours,
        "hold_minutes": a.hold_minutes,
        "payment_review_hours": a.payment_review_hours,
        "created_at": a.created_at,
        "updated_at": a.updated_at,
        "cancelled": a.cancelled,
        "cancel_reason": a.cancel_reason,
        "card_message_id": a.card_message_id,
        "version": a.version,
        "ics_sequence": a.ics_sequence,
        "next_waitlist_no": a.next_waitlist_no,
        "deadline_swept": a.deadline_swept,
        "entries": {uid: _entry_doc(e) for uid, e in a.entries.items()},
        # Derived, for queries only; recomputed from the entries on every write.
        "participants": sorted(a.entries),
        "confirmed_count": a.confirmed_count,
        "held_count": a.held_count,
        "waitlist_count": a.waitlist_count,
        "next_deadline": a.next_deadline(),
        "due_hour": due_hour(a.next_deadline()),
    }


def from_doc(d: dict[str, Any]) -> Activity:
    loc = d["location"]
    price = d.get("price")
    return Activity(
        id=d["_id"],
        circle_id=d["circle_id"],
        conversation_id=d["conversation_id"],
        organiser_id=d["organiser_id"],
        title=d["title"],
        description=d.get("description", ""),
        category=d["category"],
        tags=list(d.get("tags", [])),
        starts_at=d["starts_at"],
        ends_at=d["ends_at"],
        location=Location(
            name=loc["name"], address=loc.get("address"), lat=loc.get("lat"), lng=loc.get("lng")
        ),
        capacity=d["capacity"],
        price=Price(amount=price["amount"], currency=price["currency"]) if price else None,
        signup_deadline=d["signup_deadline"],
        offer_window_minutes=d["offer_window_minutes"],
        refund_cutoff_hours=d["refund_cutoff_hours"],
        hold_minutes=d["hold_minutes"],
        payment_review_hours=d.get("payment_review_hours", 72),
        created_at=d["created_at"],
        updated_at=d["updated_at"],
        cancelled=bool(d.get("cancelled")),
        cancel_reason=d.get("cancel_reason"),
        card_message_id=d.get("card_message_id"),
        version=d["version"],
        ics_sequence=d.get("ics_sequence", 0),
        next_waitlist_no=d.get("next_waitlist_no", 1),
        deadline_swept=d.get("deadline_swept"),
        entries={uid: _entry(uid, e) for uid, e in d.get("entries", {}).items()},
    )


class ActivityRepository:
    def __init__(self, db: Db) -> None:
        self._activities = db["activities"]
        self._states = db["activity_states"]
        self._circle_of: dict[str, str] = {}
        self._circle_reads: dict[str, asyncio.Future[Any]] = {}
        self._latest: dict[str, int] = {}  # activity id -> a version known to be committed
        self._schedules = db["schedules"]
        self._cursor = db["sweep_cursor"]
        self._participations = db["participations"]
        self._rows_ready = False  # every store's sign-ups have their rows (backfilled)

    async def insert(self, a: Activity) -> None:
        await self._states.insert_one(self._state_doc(a))
        await self._activities.insert_one(to_doc(a))
        await self._write_rows(a, set(a.entries))

    @staticmethod
    def _state_doc(a: Activity) -> dict[str, Any]:
        return {
            "_id": _state_id(a.id, a.version),
            "activity_id": a.id,
            "version": a.version,
            "state": to_doc(a),
        }

    async def get(self, activity_id: str) -> Activity | None:
        """The latest committed state (``activity_states``), not the query projection.

        Versions are contiguous (each commit inserts version + 1), so from a version known to
        exist the latest is found by reading ``_id``s upwards until one is missing: lookups by
        ``_id`` only, which FerretDB answers without scanning the collection (it pushes down no
        other filter). Only an activity not seen before costs a query by ``activity_id``."""
        known = self._latest.get(activity_id)
        d = None
        if known is not None:
            d = await self._states.find_one({"_id": _state_id(activity_id, known)})
        if d is None:
            d = await self._states.find_one(
                {"activity_id": activity_id}, sort=[("version", DESCENDING)]
            )
            if d is None:
                return None
        while True:
            newer = await self._states.find_one({"_id": _state_id(activity_id, d["version"] + 1)})
            if newer is None:
                break
            d = newer
        if len(self._latest) > 50_000:
            self._latest.clear()
        self._latest[activity_id] = int(d["version"])
        return from_doc(d["state"])

    async def circle_of(self, activity_id: str) -> str | None:
        """The activity's circle. It never changes, so it is remembered (bounded)."""
        if activity_id in self._circle_of:
            return self._circle_of[activity_id]
        # One read for a burst of callers (a thousand people tapping a new card at once).
        d = await shared_read(
            self._circle_reads,
            activity_id,
            lambda: self._activities.find_one({"_id": activity_id}, {"circle_id": 1}),
        )
        if d is None:
            return None
        if len(self._circle_of) > 50_000:
            self._circle_of.clear()
        self._circle_of[activity_id] = str(d["circle_id"])
        return self._circle_of[activity_id]

    async def commit(self, a: Activity) -> bool:
        """Compare-and-set: store ``a`` as version ``a.version`` unless another writer stored
        that version first. The unique ``_id`` of the state document decides, which is atomic on
        MongoDB and on FerretDB alike (FerretDB's conditional updates are not)."""
        try:
            await retry_busy(lambda: self._states.insert_one(self._state_doc(a)))
            return True
        except DuplicateKeyError:
            return False

    async def project(self, a: Activity, users: set[str] | None = None) -> None:
        """Bring the query projections (``activities``, and the ``participations`` rows of
        ``users``, the sign-ups the commit added or changed; None: all) up to the latest state:
        write ours, then re-check, so the last committer always leaves the newest state
        behind (a newer state found has all its rows written)."""
        users = set(a.entries) if users is None else users
        current: Activity | None = a
        for _ in range(5):
            assert current is not None
            doc = to_doc(current)
            await asyncio.gather(  # independent writes, at once (a sign-up waits for them)
                retry_busy(partial(self._activities.replace_one, {"_id": doc["_id"]}, doc)),
                self._write_rows(current, users if current is a else set(current.entries)),
            )
            latest = await self.get(current.id)
            if latest is None or latest.version <= current.version:
                break
            current = latest
        if a.version > KEEP_STATES:  # old versions are history nobody reads; by _id, no scan
            await self._states.delete_one({"_id": _state_id(a.id, a.version - KEEP_STATES)})

    async def in_circle(
        self, circle_id: str, upcoming: bool, now: datetime, limit: int = 100
    ) -> list[Activity]:
        if upcoming:
            query: dict[str, Any] = {"circle_id": circle_id, "ends_at": {"$gte": now}}
            order = ASCENDING
        else:
            query = {"circle_id": circle_id, "ends_at": {"$lt": now}}
            order = DESCENDING
        cursor = self._activities.find(query, sort=[("starts_at", order)], limit=limit)
        return [from_doc(d) async for d in cursor]

    async def of_participant(
        self, user_id: str, upcoming: bool, now: datetime, limit: int = 200
    ) -> list[Activity]:
        past, ahead = await self.of_participant_split(user_id, now, limit)
        return ahead if upcoming else past

    async def of_participant_split(
        self, user_id: str, now: datetime, limit: int = 200
    ) -> tuple[list[Activity], list[Activity]]:
        """A participant's past (latest first) and upcoming (soonest first) activities, from one
        read: FerretDB v1 fetches every activity of the participant for either half (only the
        equality is pushed down), so asking for each half read them all twice."""
        past: list[Activity] = []
        upcoming: list[Activity] = []
        async for d in self._activities.find({"participants": user_id}):
            (upcoming if d["ends_at"] >= now else past).append(from_doc(d))
        past.sort(key=lambda a: a.starts_at, reverse=True)
        upcoming.sort(key=lambda a: a.starts_at)
        return past[:limit], upcoming[:limit]

    async def participations(self, user_id: str) -> list[Participation] | None:
        """Every sign-up of ``user_id`` as a small row (one equality read); None while this
        store's rows are not all written yet (the backfill of a store that predates them)."""
        if not self._rows_ready:
            marker = await self._cursor.find_one({"_id": "participations"})
            if marker is None:
                return None
            self._rows_ready = True
        return [_participation(d) async for d in self._participations.find({"user_id": user_id})]

    async def _write_rows(self, a: Activity, users: set[str]) -> None:
        """The ``participations`` rows of ``users`` from ``a``, each unless a newer version
        wrote it already (a row keeps the version it came from). New sign-ups' rows go in one
        insert (a burst of sign-ups committed together: one write); a row that exists is
        replaced, guarded by its version. (One ``bulk_write`` of guarded replaces would also
        be one round trip, but FerretDB v1 answers a batch with a duplicate key without the
        ``nModified`` PyMongo reads, and PyMongo fails on it.)"""
        docs = rows_of(a, users)
        taken = await insert_new(self._participations, docs)
        gate = asyncio.Semaphore(ROW_WRITES)

        async def replace(doc: dict[str, Any]) -> None:
            async with gate:
                try:
                    await retry_busy(
                        partial(
                            self._participations.replace_one,
                            {"_id": doc["_id"], "v": {"$lte": a.version}},
                            doc,
                            upsert=True,
                        )
                    )
                except DuplicateKeyError:  # a newer version's row is stored: the upsert hit it
                    pass

        await asyncio.gather(*(replace(docs[i]) for i in sorted(taken)))

    async def backfill_participations(self) -> int | None:
        """Write the ``participations`` rows of every activity, once per store (a store that
        predates them; a new store is marked at creation); None when done already. Returns how
        many activities it read. Rows are inserted in batches, and a row already stored is
        kept: a commit meanwhile wrote it from a newer version (a commit writes the rows of
        the sign-ups it changed; the others hold what the older version read here says)."""
        if await self._cursor.find_one({"_id": "participations"}) is not None:
            self._rows_ready = True
            return None
        n = 0
        batch: list[dict[str, Any]] = []
        async for d in self._activities.find({}):
            a = from_doc(d)
            batch.extend(rows_of(a, set(a.entries)))
            n += 1
            if len(batch) >= BACKFILL_BATCH:
                await insert_new(self._participations, batch)
                batch = []
        await insert_new(self._participations, batch)
        await self.rows_complete()
        return n

    async def rows_incomplete(self) -> None:
        """Activities were copied in (a migration): their rows are written again."""
        await self._cursor.delete_one({"_id": "participations"})
        self._rows_ready = False

    async def rows_complete(self) -> None:
        """Every sign-up has its row (the backfill is done, or the store is new)."""
        # an insert (a second one is a duplicate, ignored): an upsert reads first, and on a new
        # store that read would come before the table has its index
        await insert_new(self._cursor, [{"_id": "participations", "done": True}])
        self._rows_ready = True

    async def of_organiser(
        self, user_id: str, upcoming: bool, now: datetime, limit: int = 200
    ) -> list[Activity]:
        query: dict[str, Any] = {
            "organiser_id": user_id,
            "ends_at": {"$gte": now} if upcoming else {"$lt": now},
        }
        cursor = self._activities.find(
            query, sort=[("starts_at", ASCENDING if upcoming else DESCENDING)], limit=limit
        )
        return [from_doc(d) async for d in cursor]

    async def due_ids(self, hour: int, now: datetime, limit: int = 100) -> list[str]:
        """Activities whose next offer or hold expiry, or sign-up deadline, falls in ``hour``
        and has passed: one equality FerretDB v1 pushes down and the index serves, so a sweep
        reads that hour's few activities, not every activity with a deadline ahead (a flag
        such as ``has_deadline`` matched every upcoming activity: 67,000 rows a second at
        100,000 activities)."""
        cursor = self._activities.find(
            {"due_hour": hour, "next_deadline": {"$lte": now}}, {"_id": 1}, limit=limit
        )
        return [d["_id"] async for d in cursor]

    async def sweep_cursor(self) -> int | None:
        """The hour up to which every deadline and reminder was swept (None: never)."""
        d = await self._cursor.find_one({"_id": "due"})
        return None if d is None else int(d["hour"])

    async def set_sweep_cursor(self, hour: int) -> None:
        """Not atomic across processes: two may write in either order, and a cursor moved
        back only makes a later sweep read a few hours again."""
        await retry_busy(
            lambda: self._cursor.replace_one({"_id": "due"}, {"hour": hour}, upsert=True)
        )

    async def backfill_due_hours(self, everything: bool = False) -> tuple[int, int | None]:
        """Give ``due_hour`` to activities and unsent reminders stored without it, once per
        store (the first sweep): activities still flagged ``has_deadline`` by an earlier
        version (an equality an index serves; the flag is removed), or with ``everything``
        every activity (the SQLite migration, a batch job over documents that predate the
        flag). Returns how many deadlines it set, and the earliest hour of any pending
        deadline or reminder (None: there is none)."""
        n, earliest = 0, None

        def seen(hour: int | None) -> None:
            nonlocal earliest
            if hour is not None and (earliest is None or hour < earliest):
                earliest = hour

        shown = {"_id": 1, "next_deadline": 1, "due_hour": 1}
        found = self._activities.find({} if everything else {"has_deadline": True}, shown)
        async for d in found:
            hour = due_hour(d.get("next_deadline"))
            seen(hour)
            if everything and d.get("due_hour", "missing") == hour:
                continue
            await self._activities.update_one(
                {"_id": d["_id"]}, {"$set": {"due_hour": hour}, "$unset": {"has_deadline": ""}}
            )
            n += hour is not None
        async for d in self._schedules.find({"done": False}, {"_id": 1, "due_at": 1}):
            hour = due_hour(d["due_at"])
            seen(hour)
            await self._schedules.update_one({"_id": d["_id"]}, {"$set": {"due_hour": hour}})
        return n, earliest

    # reminder schedules -----------------------------------------------------------------

    async def add_schedule(
        self, schedule_id: str, activity_id: str, kind: str, due_at: datetime
    ) -> None:
        try:
            await self._schedules.insert_one(
                {
                    "_id": schedule_id,
                    "activity_id": activity_id,
                    "kind": kind,
                    "due_at": due_at,
                    "due_hour": due_hour(due_at),
                    "done": False,
                    "lease_until": datetime.min.replace(tzinfo=due_at.tzinfo),
                }
            )
        except DuplicateKeyError:
            pass

    async def drop_pending_schedules(self, activity_id: str) -> None:
        await self._schedules.delete_many({"activity_id": activity_id, "done": False})

    async def claim_due_schedule(
        self, hour: int, now: datetime, lease_until: datetime
    ) -> dict[str, Any] | None:
        """Lease one due, unsent reminder of ``hour`` to this process (others skip it until
        the lease ends, so a process that dies mid-send is replaced)."""
        return await self._schedules.find_one_and_update(
            {"due_hour": hour, "done": False, "due_at": {"$lte": now}, "lease_until": {"$lt": now}},
            {"$set": {"lease_until": lease_until}},
            return_document=ReturnDocument.AFTER,
        )

    async def finish_schedule(self, schedule_id: str) -> None:
        await self._schedules.update_one({"_id": schedule_id}, {"$set": {"done": True}})


def _participation(d: dict[str, Any]) -> Participation:
    return Participation(
        user_id=d["user_id"],
        activity_id=d["activity_id"],
        status=d["status"],
        starts_at=d["starts_at"],
        ends_at=d["ends_at"],
        category=d["category"],
        tags=tuple(d.get("tags", ())),
    )


def rows_of(a: Activity, users: set[str]) -> list[dict[str, Any]]:
    """The ``participations`` documents of ``users``' sign-ups in ``a``."""
    return [
        {
            "_id": f"{uid}:{a.id}",
            "user_id": uid,
            "activity_id": a.id,
            "v": a.version,
            "status": a.entries[uid].status,
            "starts_at": a.starts_at,
            "ends_at": a.ends_at,
            "category": a.category,
            "tags": list(a.tags),
        }
        for uid in sorted(users)
        if uid in a.entries
    ]
