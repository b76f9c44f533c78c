"""The circle report's facts, days, per-circle state and leases in MongoDB, and the few reads of
other domains' collections the rollups need (the circles, a circle's memberships, a message's
reactions). Every read is a top-level equality on a declared index (or an ``_id``)."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from server.core.mongo import Db, Index, find_by_ids, insert_new, retry_busy
from server.core.pace import Rest
from server.reports.rollups_compute import Day, Fact, Numbering, day_doc, day_of_doc

INDEXES = {
    "rollup_facts": [
        Index([("circle_id", 1), ("day", 1)], "circle_day", equality=2),
        # A day's sign-ups, which every sweep with news reads afresh: on FerretDB v1 with
        # (circle_id, day) alone PostgreSQL fetched every fact of the day and dropped all but
        # the sign-ups (tests/test_reports_signups_index.py).
        Index([("circle_id", 1), ("day", 1), ("kind", 1)], "circle_day_kind", equality=3),
        Index([("circle_id", 1), ("user_id", 1)], "circle_user", equality=2),
        # a user's message facts, kept in packs (``put_messages``): a pack holding any of theirs
        Index([("circle_id", 1), ("senders", 1)], "circle_senders", equality=2),
    ],
    "rollup_days": [Index([("circle_id", 1), ("month", 1)], "circle_month", equality=2)],
    # read and written by ``_id`` only (declared so that ``_id`` gets its GIN mirror)
    "rollup_state": [],
    "rollup_leases": [],
    # versions by ``_id`` (readers); all of a circle's, by ``circle_id``, only when a process
    # first writes days of the circle (its latest version unknown)
    "rollup_numbers": [Index([("circle_id", 1)], "circle")],
}
# A writer trusts the latest numbering version it knows this long before reading the circle's
# versions again: days it encodes meanwhile with an older version stay correct (any later
# version reads them); this only bounds how far a reader may have to probe upward.
NUMBERING_FRESH_SECONDS = 60.0
# A version is deleted once this many newer ones exist: a writer that read the latest version
# and appends after it must not meet its own next ``_id`` deleted and free again (which would
# take that many versions written by another sweep between its read and its insert).
NUMBERING_KEPT = 4
NUMBERING_PROBES = 10_000  # upward lookups before a missing version is an error
MEMORY = 1_000  # circles whose latest numbering a process keeps
# facts per batch when a paced sweep reads a day (a batch costs FerretDB about 15-30 ms)
FACT_BATCH = 200
# Documents per batch of such a read: a pack holds up to a sync page of facts, a sign-up or a
# join one; the rest comes after each FACT_BATCH facts, whatever the documents held.
DOC_BATCH = 20
PACK = "pack"  # the kind of a document holding message facts (``put_messages``)
DELETED, QUESTION = 1, 2  # a packed message fact's flags


@dataclass(frozen=True)
class CircleRef:
    id: str
    conversation_id: str
    member_count: int
    created_at: datetime


@dataclass
class RollupState:
    """Where the keeper of one circle got to: ``rev`` of the circle chat read up to, the
    members (id -> join time) and their count it last saw, the last day written."""

    circle_id: str
    rev: int = 0
    member_count: int = -1
    members: dict[str, datetime] = field(default_factory=dict)
    through: str | None = None
    # new at every write of the state: a process that finds its own mark knows no other
    # writer (another process's sweep, a rebuild) has been at the circle's facts since
    mark: str | None = None


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _fact_doc(f: Fact) -> dict[str, Any]:
    return {
        "_id": f.id,
        "circle_id": f.circle_id,
        "day": f.day,
        "kind": f.kind,
        "user_id": f.user_id,
        "at": f.at,
        "seq": f.seq,
        "deleted": f.deleted,
        "question": f.question,
        "founder": f.founder,
    }


def _pack_doc(circle_id: str, day: str, facts: list[Fact]) -> dict[str, Any]:
    """One document for message facts of one circle and day, under an ``_id`` made of the
    revs they reflect: written again from the same changes, it is the same document."""
    low, high = min(f.rev for f in facts), max(f.rev for f in facts)
    return {
        "_id": f"p:{circle_id}:{day}:{low}-{high}",
        "circle_id": circle_id,
        "day": day,
        "kind": PACK,
        # one array per field, a fact per position (FerretDB v1 stores no arrays in arrays)
        "ids": [f.id.removeprefix("m:") for f in facts],
        "senders": [f.user_id for f in facts],
        "at": [f.at for f in facts],
        "seqs": [f.seq for f in facts],
        "flags": [(DELETED if f.deleted else 0) | (QUESTION if f.question else 0) for f in facts],
        "revs": [f.rev for f in facts],
    }


def _unpacked(d: dict[str, Any]) -> list[Fact]:
    circle_id = d["circle_id"]
    columns = zip(d["ids"], d["senders"], d["at"], d["seqs"], d["flags"], d["revs"], strict=True)
    return [
        Fact(
            f"m:{mid}",
            circle_id,
            "msg",
            uid,
            _utc(at),
            seq=int(seq),
            deleted=bool(flags & DELETED),
            question=bool(flags & QUESTION),
            rev=int(rev),
        )
        for mid, uid, at, seq, flags, rev in columns
    ]


def _facts_of(d: dict[str, Any]) -> list[Fact]:
    return _unpacked(d) if d.get("kind") == PACK else [_fact(d)]


def _latest(facts: list[Fact]) -> list[Fact]:
    """Each fact once, as of the highest rev it was written at: a message changed after its
    fact was packed is in a later pack too; one stored alone, before packs, has rev 0."""
    out: dict[str, Fact] = {}
    for f in facts:
        prior = out.get(f.id)
        if prior is None or prior.rev <= f.rev:
            out[f.id] = f
    return list(out.values())


def _fact(d: dict[str, Any]) -> Fact:
    return Fact(
        id=d["_id"],
        circle_id=d["circle_id"],
        kind=d["kind"],
        user_id=d["user_id"],
        at=_utc(d["at"]),
        seq=int(d.get("seq", 0)),
        deleted=bool(d.get("deleted")),
        question=bool(d.get("question")),
        founder=bool(d.get("founder")),
    )


class RollupRepository:
    def __init__(self, db: Db) -> None:
        self._facts = db["rollup_facts"]
        self._days = db["rollup_days"]
        self._state = db["rollup_state"]
        self._leases = db["rollup_leases"]
        self._circles = db["circles"]
        self._memberships = db["memberships"]
        self._reactions = db["reactions"]
        self._numbers = db["rollup_numbers"]
        # circle -> the latest numbering version known here (versions are immutable), and when
        # a writer last made sure no newer one existed
        self._numbering: dict[str, Numbering] = {}
        self._checked: dict[str, float] = {}

    # facts -------------------------------------------------------------------------------

    async def add_facts(self, facts: list[Fact]) -> int:
        """Insert facts not stored yet (a taken ``_id`` is the same fact recorded before); the
        number that were stored already."""
        if not facts:
            return 0
        return len(await insert_new(self._facts, [_fact_doc(f) for f in facts]))

    async def put_messages(self, facts: list[Fact]) -> None:
        """Store message facts (each as of its ``rev``) a few documents at a time: one pack per
        day they fall on, not one document each. A message changed since (edited, deleted) is
        written again in a later pack at a higher rev, and readers take each fact's highest
        (``_latest``): a pack is never rewritten. In the chat benchmark a sweep stored about
        12,000 message facts in its 30-s step, each a row and five index entries in PostgreSQL
        (docs/performance.md, "Message facts in packs"). A pack whose ``_id`` is taken holds
        the same changes already."""
        days: dict[str, list[Fact]] = {}
        for f in facts:
            days.setdefault(f.day, []).append(f)
        docs = [_pack_doc(fs[0].circle_id, day, fs) for day, fs in sorted(days.items())]
        await insert_new(self._facts, docs)

    async def facts_of_day(self, circle_id: str, day: str, rest: Rest | None = None) -> list[Fact]:
        """With ``rest``, read ``DOC_BATCH`` documents at a time, resting after each
        ``FACT_BATCH`` facts (the database reads the next batch only when asked: a busy day's
        thousands of facts are not one long burst of its work)."""
        query = {"circle_id": circle_id, "day": day}
        if rest is None:
            return _latest([f async for d in self._facts.find(query) for f in _facts_of(d)])
        out: list[Fact] = []
        since_rest = 0
        cursor = self._facts.find(query, batch_size=DOC_BATCH)
        try:
            async for d in cursor:
                got = _facts_of(d)
                out.extend(got)
                since_rest += len(got)
                if since_rest >= FACT_BATCH:
                    since_rest = 0
                    await rest()
        finally:
            await cursor.close()
        if since_rest:
            await rest()
        return _latest(out)

    async def signups_of_day(self, circle_id: str, day: str) -> list[Fact]:
        """The day's sign-up facts alone (any process records them, without the lease)."""
        found = self._facts.find({"circle_id": circle_id, "day": day, "kind": "signup"})
        return [_fact(d) async for d in found]

    async def facts_of_user(self, circle_id: str, user_id: str) -> list[Fact]:
        """The user's facts in the circle: those stored alone, and their messages' in packs."""
        query = {"circle_id": circle_id, "user_id": user_id}
        alone = [_fact(d) async for d in self._facts.find(query)]
        packed = [
            f
            async for d in self._facts.find({"circle_id": circle_id, "senders": user_id})
            for f in _unpacked(d)
            if f.user_id == user_id
        ]
        return _latest([*alone, *packed])

    # days --------------------------------------------------------------------------------

    async def put_day(self, d: Day) -> None:
        await self.put_days(d.circle_id, [d])

    async def put_days(self, circle_id: str, days: list[Day]) -> None:
        """Write each day whole, its posters and active members as bitmaps over the circle's
        numbering (extended first, once, by the ids it lacks). Only under the circle's lease."""
        if not days:
            return
        numbering = await self._numbering_for(
            circle_id, {u for d in days for u in (*d.posters, *d.active)}
        )

        async def put(doc: dict[str, Any]) -> None:
            await retry_busy(lambda: self._days.replace_one({"_id": doc["_id"]}, doc, upsert=True))

        await asyncio.gather(*(put(day_doc(d, numbering)) for d in days))

    async def day(self, circle_id: str, day: str) -> Day | None:
        doc = await self._days.find_one({"_id": f"{circle_id}:{day}"})
        return (await self._decoded(circle_id, [doc]))[0] if doc else None

    async def days_of_months(self, circle_id: str, months: list[str]) -> list[Day]:
        pages = await asyncio.gather(
            *(self._days.find({"circle_id": circle_id, "month": m}).to_list() for m in months)
        )
        found = await self._decoded(circle_id, [d for docs in pages for d in docs])
        return sorted(found, key=lambda d: d.day)

    async def _decoded(self, circle_id: str, docs: list[dict[str, Any]]) -> list[Day]:
        """The days of ``docs``, those stored as bitmaps read with one numbering: the highest
        version they were encoded with (or a later one), which reads them all."""
        nv = max((int(d["nv"]) for d in docs if "nv" in d), default=None)
        numbering = None if nv is None else await self._numbering_at_least(circle_id, nv)
        return [day_of_doc(d, numbering) for d in docs]

    async def drop_days(self, circle_id: str, days: list[str]) -> None:
        """Delete these days (a rebuild), each by ``_id``."""
        await asyncio.gather(*(self._days.delete_one({"_id": f"{circle_id}:{d}"}) for d in days))

    # the numbering of member ids ----------------------------------------------------------
    # ``rollup_numbers``: immutable versions ``<circle>:<v>`` holding every id numbered so far
    # (position = number), each starting with the one before; inserted under the circle's
    # lease, but two sweeps may overlap across a lease slot, so a version's ``_id`` is unique
    # and the loser of an insert appends after the winner's list. Never updated in place
    # (FerretDB v1 updates are not atomic: ../shared/STYLE.md, "Data rules").

    def _remember(self, n: Numbering) -> None:
        known = self._numbering.get(n.circle_id)
        if known is None or known.v < n.v:
            if len(self._numbering) >= MEMORY:
                self._numbering.clear()
                self._checked.clear()
            self._numbering[n.circle_id] = n

    async def _version(self, circle_id: str, v: int) -> Numbering | None:
        doc = await self._numbers.find_one({"_id": f"{circle_id}:{v}"})
        if doc is None:
            return None
        n = Numbering(circle_id, int(doc["v"]), str(doc["ids"]).split())
        self._remember(n)
        return n

    async def _numbering_at_least(self, circle_id: str, v: int) -> Numbering:
        """A version ``v`` or later (a reader): the one known here, else ``v`` by ``_id``, or,
        deleted since (newer ones exist), the next ones up."""
        known = self._numbering.get(circle_id)
        if known is not None and known.v >= v:
            return known
        if v == 0:
            return Numbering(circle_id, 0, [])
        for w in range(v, v + NUMBERING_PROBES):
            found = await self._version(circle_id, w)
            if found is not None:
                return found
        raise LookupError(f"no numbering of circle {circle_id} from version {v}")

    async def _latest(self, circle_id: str) -> Numbering:
        """The latest version (a writer): the one known here while fresh, else every stored
        version of the circle read (a few: older ones are deleted) and the highest kept. Not
        probed upward by ``_id``: a version deleted since would look free, and inserting it
        again would fork the numbering."""
        known = self._numbering.get(circle_id)
        fresh = time.monotonic() - self._checked.get(circle_id, -1e9) < NUMBERING_FRESH_SECONDS
        if known is not None and fresh:
            return known
        docs = await self._numbers.find({"circle_id": circle_id}).to_list()
        top = max(docs, key=lambda d: int(d["v"]), default=None)
        if top is None:
            self._remember(Numbering(circle_id, 0, []))
        else:
            self._remember(Numbering(circle_id, int(top["v"]), str(top["ids"]).split()))
            # versions a sweep that died after its insert did not delete
            old = [d["_id"] for d in docs if int(d["v"]) <= int(top["v"]) - NUMBERING_KEPT]
            await asyncio.gather(*(self._numbers.delete_one({"_id": i}) for i in old))
        self._checked[circle_id] = time.monotonic()
        return self._numbering[circle_id]

    async def _numbering_for(self, circle_id: str, ids: set[str]) -> Numbering:
        """A version numbering every one of ``ids``: the latest, or a new one appending those
        it lacks (sorted) after it."""
        latest = await self._latest(circle_id)
        while missing := latest.missing(ids):
            new = Numbering(circle_id, latest.v + 1, [*latest.ids, *missing])
            doc = {"_id": f"{circle_id}:{new.v}", "circle_id": circle_id, "v": new.v}
            try:
                await self._numbers.insert_one({**doc, "ids": " ".join(new.ids)})
            except DuplicateKeyError:  # another sweep appended first: append after it
                self._checked.pop(circle_id, None)
                latest = await self._latest(circle_id)
                continue
            self._remember(new)
            self._checked[circle_id] = time.monotonic()
            await self._numbers.delete_one({"_id": f"{circle_id}:{new.v - NUMBERING_KEPT}"})
            return new
        return latest

    # state and leases ----------------------------------------------------------------------

    async def state(self, circle_id: str) -> RollupState:
        doc = await self._state.find_one({"_id": circle_id})
        if doc is None:
            return RollupState(circle_id)
        return RollupState(
            circle_id=circle_id,
            rev=int(doc.get("rev", 0)),
            member_count=int(doc.get("member_count", -1)),
            members={u: _utc(at) for u, at in (doc.get("members") or {}).items()},
            through=doc.get("through"),
            mark=doc.get("mark"),
        )

    async def put_state(self, s: RollupState) -> None:
        """Written whole, under a new ``mark`` (set on ``s``)."""
        s.mark = uuid.uuid4().hex
        doc = {
            "_id": s.circle_id,
            "rev": s.rev,
            "member_count": s.member_count,
            "members": s.members,
            "through": s.through,
            "mark": s.mark,
        }
        await retry_busy(lambda: self._state.replace_one({"_id": s.circle_id}, doc, upsert=True))

    async def drop_state(self, circle_id: str) -> None:
        await self._state.delete_one({"_id": circle_id})

    async def take_lease(self, circle_id: str, slot: int) -> bool:
        """The lease of ``circle_id`` for time slot ``slot``: whoever inserts it first holds it
        (a unique ``_id``, the only atomic step FerretDB v1 offers)."""
        try:
            await self._leases.insert_one({"_id": f"{circle_id}:{slot}", "circle_id": circle_id})
        except DuplicateKeyError:
            return False
        return True

    async def drop_lease(self, circle_id: str, slot: int) -> None:
        await self._leases.delete_one({"_id": f"{circle_id}:{slot}"})

    # other domains' collections (read only) ----------------------------------------------

    async def circles(self) -> list[CircleRef]:
        """Every circle: one equality per visibility (the ``visibility`` index)."""
        pages = await asyncio.gather(
            *(
                self._circles.find(
                    {"visibility": v}, {"conversation_id": 1, "member_count": 1, "created_at": 1}
                ).to_list()
                for v in ("public", "private")
            )
        )
        return [_circle(d) for docs in pages for d in docs]

    async def circle(self, circle_id: str) -> CircleRef | None:
        found = await find_by_ids(self._circles, [circle_id])
        return _circle(found[0]) if found else None

    async def members(self, circle_id: str) -> dict[str, tuple[datetime, str]]:
        """Each member's join time and role."""
        found = self._memberships.find(
            {"circle_id": circle_id}, {"user_id": 1, "joined_at": 1, "role": 1}
        )
        return {d["user_id"]: (_utc(d["joined_at"]), str(d["role"])) async for d in found}

    async def reactions_of(self, message_id: str) -> list[tuple[str, str, datetime]]:
        """(user, emoji, when) of each reaction the message has now."""
        found = self._reactions.find({"message_id": message_id})
        return [(d["user_id"], d["emoji"], _utc(d["at"])) async for d in found]


def _circle(d: dict[str, Any]) -> CircleRef:
    return CircleRef(
        id=d["_id"],
        conversation_id=d["conversation_id"],
        member_count=int(d.get("member_count", 0)),
        created_at=_utc(d["created_at"]),
    )
