"""The circle report's facts, days, per-circle state and leases in MongoDB, and the few reads of
other domains' collections the rollups need (the circles, a circle's memberships, a message's
reactions). Every read is a top-level equality on a declared index (or an ``_id``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from server.core.mongo import Db, Index, find_by_ids, insert_new, retry_busy
from server.reports.rollups_compute import Day, Fact, day_doc, day_of_doc

INDEXES = {
    "rollup_facts": [
        Index([("circle_id", 1), ("day", 1)], "circle_day", equality=2),
        Index([("circle_id", 1), ("user_id", 1)], "circle_user", equality=2),
    ],
    "rollup_days": [Index([("circle_id", 1), ("month", 1)], "circle_month", equality=2)],
    # read and written by ``_id`` only (declared so that ``_id`` gets its GIN mirror)
    "rollup_state": [],
    "rollup_leases": [],
}


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

    # facts -------------------------------------------------------------------------------

    async def add_facts(self, facts: list[Fact]) -> None:
        """Insert facts not stored yet (a taken ``_id`` is the same fact recorded before)."""
        if facts:
            await insert_new(self._facts, [_fact_doc(f) for f in facts])

    async def put_facts(self, facts: list[Fact]) -> None:
        """Write each fact whole (a message's fact follows its message: deleted, edited). Facts
        not stored yet go in one batch insert; only those whose ``_id`` was taken (a message
        read before, since edited or deleted, or a rebuild) are replaced one by one. A sweep of
        new messages is then one statement per sync page instead of one per message
        (docs/performance.md, "Reports at 5,000 members")."""
        docs = [_fact_doc(f) for f in facts]
        taken = await insert_new(self._facts, docs)

        async def put(doc: dict[str, Any]) -> None:
            await retry_busy(lambda: self._facts.replace_one({"_id": doc["_id"]}, doc, upsert=True))

        await asyncio.gather(*(put(docs[i]) for i in sorted(taken)))

    async def facts_of_day(self, circle_id: str, day: str) -> list[Fact]:
        return [_fact(d) async for d in self._facts.find({"circle_id": circle_id, "day": day})]

    async def facts_of_user(self, circle_id: str, user_id: str) -> list[Fact]:
        found = self._facts.find({"circle_id": circle_id, "user_id": user_id})
        return [_fact(d) async for d in found]

    # days --------------------------------------------------------------------------------

    async def put_day(self, d: Day) -> None:
        doc = day_doc(d)
        await retry_busy(lambda: self._days.replace_one({"_id": doc["_id"]}, doc, upsert=True))

    async def day(self, circle_id: str, day: str) -> Day | None:
        doc = await self._days.find_one({"_id": f"{circle_id}:{day}"})
        return day_of_doc(doc) if doc else None

    async def days_of_months(self, circle_id: str, months: list[str]) -> list[Day]:
        pages = await asyncio.gather(
            *(self._days.find({"circle_id": circle_id, "month": m}).to_list() for m in months)
        )
        return sorted((day_of_doc(d) for docs in pages for d in docs), key=lambda d: d.day)

    async def drop_days(self, circle_id: str, days: list[str]) -> None:
        """Delete these days (a rebuild), each by ``_id``."""
        await asyncio.gather(*(self._days.delete_one({"_id": f"{circle_id}:{d}"}) for d in days))

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
        )

    async def put_state(self, s: RollupState) -> None:
        doc = {
            "_id": s.circle_id,
            "rev": s.rev,
            "member_count": s.member_count,
            "members": s.members,
            "through": s.through,
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
