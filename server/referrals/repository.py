"""Attributions in MongoDB.

The ``_id`` is ``<kind>:<target>:<participant>``, so the first insert wins and every later one
(a repeat, a concurrent double, a re-sign-up after a cancel) is a duplicate key, answered False.
Reads are one equality on ``target`` (``<kind>:<target>``).
"""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from server.core.mongo import Db, Index, retry_busy
from server.referrals.models import Attribution, Kind

INDEXES = {"referrals": [Index([("target", 1)], "target")]}


def _attribution(d: dict[str, Any]) -> Attribution:
    return Attribution(
        kind=d["kind"],
        target_id=d["target_id"],
        user_id=d["user_id"],
        sharer_id=d["sharer_id"],
        channel=d["channel"],
        at=d["at"],
    )


class ReferralRepository:
    def __init__(self, db: Db) -> None:
        self._referrals = db["referrals"]

    async def add(self, a: Attribution) -> bool:
        """True when stored; False when this participant is already attributed for the
        target (the unique ``_id`` decides, also between concurrent inserts)."""
        doc = {
            "_id": f"{a.kind}:{a.target_id}:{a.user_id}",
            "target": f"{a.kind}:{a.target_id}",
            "kind": a.kind,
            "target_id": a.target_id,
            "user_id": a.user_id,
            "sharer_id": a.sharer_id,
            "channel": a.channel,
            "at": a.at,
        }
        try:
            await retry_busy(lambda: self._referrals.insert_one(doc))
            return True
        except DuplicateKeyError:
            return False

    async def for_target(self, kind: Kind, target_id: str) -> list[Attribution]:
        return [
            _attribution(d) async for d in self._referrals.find({"target": f"{kind}:{target_id}"})
        ]
