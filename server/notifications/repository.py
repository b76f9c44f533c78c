"""Notifications in MongoDB."""

from __future__ import annotations

from typing import Any

from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from server.core.mongo import Db, Index, insert_new, retry_busy
from server.notifications.models import Notification

INDEXES = {
    "notifications": [
        Index([("user_id", 1), ("created_at", -1)], "user_created"),
        Index([("user_id", 1), ("read", 1)], "user_read"),
    ],
    # What a digest notification counts: one document per happening, under a unique id.
    "notification_events": [Index([("digest_id", 1)], "digest")],
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
        self._events = db["notification_events"]

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

    async def get(self, notification_id: str) -> Notification | None:
        d = await self._col.find_one({"_id": notification_id})
        return _notification(d) if d else None

    async def add_events(self, digest_id: str, events: list[tuple[str, dict[str, Any]]]) -> int:
        """Record happenings a digest counts, each once under its unique id (a retried step
        records nothing twice); returns how many were new."""
        docs = [{"_id": i, "digest_id": digest_id, **e} for i, e in events]
        return len(docs) - len(await insert_new(self._events, docs))

    async def count_events(self, digest_id: str) -> int:
        return await self._events.count_documents({"digest_id": digest_id})

    async def first_events(self, digest_id: str, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` of a digest's happenings (their fields), oldest first."""
        cursor = self._events.find({"digest_id": digest_id}, sort=[("at", 1)], limit=limit)
        return [{k: v for k, v in d.items() if k not in ("_id", "digest_id")} async for d in cursor]

    async def put(self, n: Notification) -> None:
        """Store ``n``, or rewrite the stored one of the same id (a digest updated in place:
        unread again, with its new text)."""
        if await self.insert(n):
            return
        await retry_busy(
            lambda: self._col.update_one(
                {"_id": n.id},
                {
                    "$set": {
                        "title": n.title,
                        "body": n.body,
                        "data": n.data,
                        "read": False,
                        "created_at": n.created_at,
                    }
                },
            )
        )
