"""Notifications in MongoDB."""

from __future__ import annotations

from typing import Any

from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from server.core.mongo import Db, Index, retry_busy
from server.notifications.models import Notification

INDEXES = {
    "notifications": [
        Index([("user_id", 1), ("created_at", -1)], "user_created"),
        Index([("user_id", 1), ("read", 1)], "user_read"),
    ]
}


def _notification(d: dict[str, Any]) -> Notification:
    return Notification(
        id=d["_id"],
        user_id=d["user_id"],
        kind=d["kind"],
        title=d["title"],
        body=d["body"],
        data=d.get("data", {}),
        read=bool(d.get("read")),
        created_at=d["created_at"],
    )


class NotificationRepository:
    def __init__(self, db: Db) -> None:
        self._col = db["notifications"]

    async def insert(self, n: Notification) -> bool:
        """False when a notification with this id exists already (a retried step)."""
        try:
            await retry_busy(
                lambda: self._col.insert_one(
                    {
                        "_id": n.id,
                        "user_id": n.user_id,
                        "kind": n.kind,
                        "title": n.title,
                        "body": n.body,
                        "data": n.data,
                        "read": n.read,
                        "created_at": n.created_at,
                    }
                )
            )
            return True
        except DuplicateKeyError:
            return False

    async def recent(self, user_id: str, unread_only: bool, limit: int = 100) -> list[Notification]:
        query: dict[str, Any] = {"user_id": user_id}
        if unread_only:
            query["read"] = False
        cursor = self._col.find(query, sort=[("created_at", DESCENDING)], limit=limit)
        return [_notification(d) async for d in cursor]

    async def unread_count(self, user_id: str) -> int:
        return await self._col.count_documents({"user_id": user_id, "read": False})

    async def mark_read(self, user_id: str, ids: list[str] | None) -> None:
        query: dict[str, Any] = {"user_id": user_id, "read": False}
        if ids is not None:
            query["_id"] = {"$in": ids}
        await self._col.update_many(query, {"$set": {"read": True}})
