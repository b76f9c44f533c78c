"""A circle's lifecycle thresholds in MongoDB: one document per circle, read and written by
``_id`` (the circle's id); a circle without one uses the defaults."""

from __future__ import annotations

from typing import Any

from server.core.mongo import Db, Index, retry_busy
from server.reports.lifecycle_compute import Thresholds

INDEXES: dict[str, list[Index]] = {"lifecycle_settings": []}  # by ``_id`` only


class LifecycleRepository:
    def __init__(self, db: Db) -> None:
        self._settings = db["lifecycle_settings"]

    async def thresholds(self, circle_id: str) -> Thresholds:
        doc = await self._settings.find_one({"_id": circle_id})
        if doc is None:
            return Thresholds()
        return Thresholds(
            new_days=int(doc["new_days"]),
            cooling_days=int(doc["cooling_days"]),
            silent_days=int(doc["silent_days"]),
            churned_days=int(doc["churned_days"]),
        )

    async def put_thresholds(self, circle_id: str, t: Thresholds) -> None:
        """Replace the circle's thresholds whole (last writer wins: a setting, not a counter)."""
        doc: dict[str, Any] = {
            "_id": circle_id,
            "new_days": t.new_days,
            "cooling_days": t.cooling_days,
            "silent_days": t.silent_days,
            "churned_days": t.churned_days,
        }
        await retry_busy(lambda: self._settings.replace_one({"_id": circle_id}, doc, upsert=True))
