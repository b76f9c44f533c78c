"""Moderation state in MongoDB: the audit log, mutes, bans and unique-key claims.

Each invariant rests on a unique ``_id`` (FerretDB v1 has no transactions and its single-document
updates are not atomic): a mute and a ban are one document per (circle, user), replaced whole; a
claim (a slow-mode send, an ownership transfer, a rules acceptance) is inserted under its key
once, and a second insert of the same key loses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from server.core.mongo import Db, Index, retry_busy
from server.moderation.models import AuditEntry, Ban, Claim, Mute

INDEXES = {
    "moderation_audit": [Index([("circle_id", 1)], "circle")],
    "moderation_bans": [Index([("circle_id", 1)], "circle")],
    # the send gate loads a circle's mutes at once (gate.py); claims are read only by _id
    "moderation_mutes": [Index([("circle_id", 1)], "circle")],
    "moderation_claims": [],
}


def _key(circle_id: str, user_id: str) -> str:
    return f"{circle_id}:{user_id}"


def _entry(d: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        id=d["_id"],
        circle_id=d["circle_id"],
        at=d["at"],
        actor_id=d["actor_id"],
        action=d["action"],
        target_id=d.get("target_id"),
        reason=d.get("reason", ""),
        details=dict(d.get("details") or {}),
    )


def _ban(d: dict[str, Any]) -> Ban:
    return Ban(d["circle_id"], d["user_id"], d["at"], d["by"], d.get("reason", ""))


class ModerationRepository:
    def __init__(self, db: Db) -> None:
        self._audit = db["moderation_audit"]
        self._mutes = db["moderation_mutes"]
        self._bans = db["moderation_bans"]
        self._claims = db["moderation_claims"]

    # audit ------------------------------------------------------------------------------

    async def record(self, e: AuditEntry) -> None:
        await retry_busy(
            lambda: self._audit.insert_one(
                {
                    "_id": e.id,
                    "circle_id": e.circle_id,
                    "at": e.at,
                    "actor_id": e.actor_id,
                    "action": e.action,
                    "target_id": e.target_id,
                    "reason": e.reason,
                    "details": e.details,
                }
            )
        )

    async def audit(self, circle_id: str, before: datetime | None, limit: int) -> list[AuditEntry]:
        """Newest first. The equality on ``circle_id`` is what PostgreSQL serves; the time bound,
        sort and limit are applied by FerretDB to that circle's entries."""
        query: dict[str, Any] = {"circle_id": circle_id}
        if before is not None:
            query["at"] = {"$lt": before}
        cursor = self._audit.find(query, sort=[("at", -1), ("_id", -1)], limit=limit)
        return [_entry(d) async for d in cursor]

    # mutes ------------------------------------------------------------------------------

    async def put_mute(self, m: Mute) -> None:
        doc = {
            "circle_id": m.circle_id,
            "user_id": m.user_id,
            "until": m.until,
            "by": m.by,
            "reason": m.reason,
        }
        key = _key(m.circle_id, m.user_id)
        try:
            await retry_busy(lambda: self._mutes.replace_one({"_id": key}, doc, upsert=True))
        except DuplicateKeyError:  # a concurrent first mute inserted it: replace that one
            await retry_busy(lambda: self._mutes.replace_one({"_id": key}, doc))

    async def get_mute(self, circle_id: str, user_id: str) -> Mute | None:
        d = await self._mutes.find_one({"_id": _key(circle_id, user_id)})
        if d is None:
            return None
        return Mute(d["circle_id"], d["user_id"], d["until"], d["by"], d.get("reason", ""))

    async def mutes_of(self, circle_id: str) -> list[Mute]:
        """Every mute of a circle, run out or not (a handful: they are set by hand)."""
        return [
            Mute(d["circle_id"], d["user_id"], d["until"], d["by"], d.get("reason", ""))
            async for d in self._mutes.find({"circle_id": circle_id})
        ]

    async def delete_mute(self, circle_id: str, user_id: str) -> bool:
        result = await self._mutes.delete_one({"_id": _key(circle_id, user_id)})
        return result.deleted_count == 1

    # bans -------------------------------------------------------------------------------

    async def insert_ban(self, b: Ban) -> bool:
        """False when the user was banned already (the first ban and its reason stand)."""
        try:
            await retry_busy(
                lambda: self._bans.insert_one(
                    {
                        "_id": _key(b.circle_id, b.user_id),
                        "circle_id": b.circle_id,
                        "user_id": b.user_id,
                        "at": b.at,
                        "by": b.by,
                        "reason": b.reason,
                    }
                )
            )
            return True
        except DuplicateKeyError:
            return False

    async def get_ban(self, circle_id: str, user_id: str) -> Ban | None:
        d = await self._bans.find_one({"_id": _key(circle_id, user_id)})
        return _ban(d) if d else None

    async def delete_ban(self, circle_id: str, user_id: str) -> bool:
        result = await self._bans.delete_one({"_id": _key(circle_id, user_id)})
        return result.deleted_count == 1

    async def bans(self, circle_id: str, limit: int = 1000) -> list[Ban]:
        cursor = self._bans.find({"circle_id": circle_id}, sort=[("at", -1)], limit=limit)
        return [_ban(d) async for d in cursor]

    # claims -----------------------------------------------------------------------------

    async def claim(self, c: Claim) -> bool:
        """Insert the claim; False when its key was claimed already."""
        try:
            await retry_busy(
                lambda: self._claims.insert_one(
                    {"_id": c.key, "at": c.at, "owner": c.owner, "data": c.data}
                )
            )
            return True
        except DuplicateKeyError:
            return False

    async def get_claim(self, key: str) -> Claim | None:
        d = await self._claims.find_one({"_id": key})
        if d is None:
            return None
        return Claim(d["_id"], d["at"], d["owner"], dict(d.get("data") or {}))

    async def set_hint(self, key: str, value: int) -> None:
        """A walk's starting point (slow mode: the member's latest claimed number). Only a hint:
        a stale one costs a few reads, never correctness."""
        try:
            await self._claims.update_one({"_id": key}, {"$set": {"hint": value}}, upsert=True)
        except DuplicateKeyError:  # a concurrent upsert created it: its hint serves as well
            pass

    async def get_hint(self, key: str) -> int:
        d = await self._claims.find_one({"_id": key})
        return int(d.get("hint", 0)) if d else 0
