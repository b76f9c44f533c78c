"""Follows (a user following a circle without joining it) in MongoDB.

The ``_id`` is the (circle, user) pair, so following twice stores one follow; reads are
equalities on ``user_id`` (what I follow) or ``circle_id`` (who follows a circle).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from server.core.mongo import Db, Index, retry_busy

INDEXES = {"follows": [Index([("user_id", 1)], "user"), Index([("circle_id", 1)], "circle")]}


@dataclass(frozen=True)
class Follow:
    circle_id: str
    user_id: str
    followed_at: datetime


def _follow(d: dict[str, Any]) -> Follow:
    return Follow(circle_id=d["circle_id"], user_id=d["user_id"], followed_at=d["at"])


class FollowRepository:
    def __init__(self, db: Db) -> None:
        self._follows = db["follows"]

    async def add(self, f: Follow) -> Follow:
        """Idempotent: an existing follow is returned as it is."""
        doc = {
            "_id": f"{f.circle_id}:{f.user_id}",
            "circle_id": f.circle_id,
            "user_id": f.user_id,
            "at": f.followed_at,
        }
        try:
            await retry_busy(lambda: self._follows.insert_one(doc))
            return f
        except DuplicateKeyError:
            found = await self._follows.find_one({"_id": doc["_id"]})
            return _follow(found) if found else f

    async def remove(self, circle_id: str, user_id: str) -> bool:
        result = await self._follows.delete_one({"_id": f"{circle_id}:{user_id}"})
        return result.deleted_count == 1

    async def of_user(self, user_id: str) -> list[Follow]:
        return [_follow(d) async for d in self._follows.find({"user_id": user_id})]

    async def followers(self, circle_id: str) -> list[str]:
        return [str(d["user_id"]) async for d in self._follows.find({"circle_id": circle_id})]
