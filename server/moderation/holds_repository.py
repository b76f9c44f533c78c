"""Held newcomer messages in MongoDB (moderation/holds.py).

A hold's ``_id`` is derived from the sender and the send's client id, so a retried send finds
the hold it made instead of adding a second one (the unique ``_id`` decides between concurrent
retries). A hold is decided (approved, declined) exactly once by inserting the decision under the
hold's id into ``hold_decisions``: concurrent deciders both insert and the unique ``_id`` lets one
in (FerretDB v1 has no transactions and no atomic update). The hold then records the outcome; a
step cut short there is healed by the next one who tries.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pymongo.errors import DuplicateKeyError

from server.core.mongo import Db, Index, retry_busy
from server.moderation.holds_models import Hold, HoldDecision

INDEXES = {
    # staff list a circle's pending holds: equalities on circle_id and status
    "message_holds": [Index([("circle_id", 1)], "circle")],
    "hold_decisions": [],  # read by _id only
}


def hold_id(sender_id: str, client_id: str) -> str:
    """One id per (sender, client id), safe in a URL whatever the client id holds."""
    return hashlib.sha256(f"{sender_id}\0{client_id}".encode()).hexdigest()[:32]


def _hold(d: dict[str, Any]) -> Hold:
    return Hold(
        id=d["_id"],
        circle_id=d["circle_id"],
        conversation_id=d["conversation_id"],
        sender_id=d["sender_id"],
        text=d["text"],
        client_id=d["client_id"],
        created_at=d["created_at"],
        status=d["status"],
    )


class HoldRepository:
    def __init__(self, db: Db) -> None:
        self._holds = db["message_holds"]
        self._decisions = db["hold_decisions"]

    async def put(self, h: Hold) -> bool:
        """Store a pending hold; False when it is there already (a retried send)."""
        doc = {
            "_id": h.id,
            "circle_id": h.circle_id,
            "conversation_id": h.conversation_id,
            "sender_id": h.sender_id,
            "text": h.text,
            "client_id": h.client_id,
            "created_at": h.created_at,
            "status": "pending",
        }
        try:
            await retry_busy(lambda: self._holds.insert_one(doc))
            return True
        except DuplicateKeyError:
            return False

    async def get(self, hold_id: str) -> Hold | None:
        d = await self._holds.find_one({"_id": hold_id})
        return _hold(d) if d else None

    async def pending(self, circle_id: str, limit: int = 500) -> list[Hold]:
        cursor = self._holds.find(
            {"circle_id": circle_id, "status": "pending"}, sort=[("created_at", 1)], limit=limit
        )
        return [_hold(d) async for d in cursor]

    async def decide(self, d: HoldDecision) -> bool:
        """Claim the one decision of hold ``d.hold_id``; False when it was decided."""
        doc = {"_id": d.hold_id, "status": d.status, "by": d.by, "at": d.at, "reason": d.reason}
        try:
            await retry_busy(lambda: self._decisions.insert_one(doc))
            return True
        except DuplicateKeyError:
            return False

    async def decision(self, hold_id: str) -> HoldDecision | None:
        d = await self._decisions.find_one({"_id": hold_id})
        if d is None:
            return None
        return HoldDecision(d["_id"], d["status"], d["by"], d["at"], d.get("reason", ""))

    async def record(self, hold_id: str, d: HoldDecision) -> None:
        """Copy the decision onto the hold: idempotent."""
        await self._holds.update_one(
            {"_id": hold_id},
            {"$set": {"status": d.status, "decided_at": d.at, "decided_by": d.by}},
        )
