"""Members' tags in a circle (the organiser's own classification) in MongoDB: one document per
(circle, member), ``_id`` ``circle_id:user_id``, read per circle by an equality on ``circle_id``."""

from __future__ import annotations

from typing import Any

from server.core.mongo import Db, Index, retry_busy

INDEXES: dict[str, list[Index]] = {"member_tags": [Index([("circle_id", 1)], "circle")]}


class TagRepository:
    def __init__(self, db: Db) -> None:
        self._tags = db["member_tags"]

    async def of_circle(self, circle_id: str) -> dict[str, list[str]]:
        """user id -> tags, for the members that have any."""
        found = self._tags.find({"circle_id": circle_id}, {"user_id": 1, "tags": 1})
        return {d["user_id"]: list(d.get("tags", [])) async for d in found if d.get("tags")}

    async def put(self, circle_id: str, user_id: str, tags: list[str]) -> None:
        """Replace the member's tags whole: a setting, so the last writer wins."""
        doc: dict[str, Any] = {"_id": f"{circle_id}:{user_id}", "circle_id": circle_id}
        doc.update(user_id=user_id, tags=tags)
        await retry_busy(lambda: self._tags.replace_one({"_id": doc["_id"]}, doc, upsert=True))
