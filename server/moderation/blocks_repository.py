"""Blocks between users in MongoDB: one document per (blocker, blocked), ``_id`` the pair, so
blocking twice stores one block and checking a pair is one read by ``_id``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from server.core.mongo import Db, Index, retry_busy

INDEXES = {"blocks": [Index([("blocker_id", 1)], "blocker")]}


@dataclass(frozen=True)
class Block:
    blocker_id: str
    blocked_id: str
    at: datetime


def _block(d: dict[str, Any]) -> Block:
    return Block(d["blocker_id"], d["blocked_id"], d["at"])


def _key(blocker_id: str, blocked_id: str) -> str:
    return f"{blocker_id}:{blocked_id}"


class BlockRepository:
    def __init__(self, db: Db) -> None:
        self._blocks = db["blocks"]

    async def add(self, b: Block) -> Block:
        """Idempotent: an existing block is answered as it is (its first time stands)."""
        doc = {
            "_id": _key(b.blocker_id, b.blocked_id),
            "blocker_id": b.blocker_id,
            "blocked_id": b.blocked_id,
            "at": b.at,
        }
        try:
            await retry_busy(lambda: self._blocks.insert_one(doc))
            return b
        except DuplicateKeyError:
            found = await self._blocks.find_one({"_id": doc["_id"]})
            return _block(found) if found else b

    async def remove(self, blocker_id: str, blocked_id: str) -> None:
        await self._blocks.delete_one({"_id": _key(blocker_id, blocked_id)})

    async def exists(self, blocker_id: str, blocked_id: str) -> bool:
        return await self._blocks.find_one({"_id": _key(blocker_id, blocked_id)}) is not None

    async def of_blocker(self, blocker_id: str, limit: int = 5000) -> list[Block]:
        cursor = self._blocks.find({"blocker_id": blocker_id}, sort=[("at", -1)], limit=limit)
        return [_block(d) async for d in cursor]
