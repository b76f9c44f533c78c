"""Payments, their ledger and received webhook events in MongoDB."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from server.core.mongo import Db, Index
from server.payments.models import LedgerEvent, Payment

INDEXES = {
    "payments": [Index([("activity_id", 1)], "activity"), Index([("user_id", 1)], "user")],
    "payment_events": [Index([("payment_id", 1), ("version", -1)], "payment_version")],
    "webhook_events": [Index([("received_at", 1)], "received")],
}


def _payment(d: dict[str, Any]) -> Payment:
    return Payment(**{k: v for k, v in d.items() if k != "_id"}, id=d["_id"])


def _doc(p: Payment) -> dict[str, Any]:
    d = asdict(p)
    d["_id"] = d.pop("id")
    return d


class PaymentRepository:
    def __init__(self, db: Db) -> None:
        self._payments = db["payments"]
        self._events = db["payment_events"]
        self._webhooks = db["webhook_events"]

    async def create(self, p: Payment, event: LedgerEvent) -> None:
        await self._events.insert_one(self._event_doc(p, event))
        await self._payments.insert_one(_doc(p))

    @staticmethod
    def _event_doc(p: Payment, e: LedgerEvent) -> dict[str, Any]:
        return {
            "_id": f"{p.id}:{e.version:06d}",
            "payment_id": p.id,
            "version": e.version,
            "status": e.status,
            "reason": e.reason,
            "at": e.at,
            "data": e.data,
            "snapshot": _doc(p),
        }

    async def get(self, payment_id: str) -> Payment | None:
        """The latest ledger state of the payment."""
        d = await self._events.find_one({"payment_id": payment_id}, sort=[("version", DESCENDING)])
        return _payment(d["snapshot"]) if d else None

    async def append(self, p: Payment, event: LedgerEvent) -> bool:
        """Compare-and-set through the ledger: False when event ``p.version`` exists already."""
        try:
            await self._events.insert_one(self._event_doc(p, event))
        except DuplicateKeyError:
            return False
        await self._payments.replace_one({"_id": p.id}, _doc(p))
        latest = await self.get(p.id)
        if latest is not None and latest.version > p.version:  # a later event landed meanwhile
            await self._payments.replace_one({"_id": p.id}, _doc(latest))
        return True

    async def ledger(self, payment_id: str) -> list[LedgerEvent]:
        cursor = self._events.find({"payment_id": payment_id}, sort=[("version", ASCENDING)])
        return [
            LedgerEvent(
                payment_id=d["payment_id"],
                version=d["version"],
                status=d["status"],
                reason=d["reason"],
                at=d["at"],
                data=d.get("data", {}),
            )
            async for d in cursor
        ]

    async def for_activity(self, activity_id: str) -> list[Payment]:
        ids = [
            d["_id"] async for d in self._payments.find({"activity_id": activity_id}, {"_id": 1})
        ]
        found = [await self.get(i) for i in ids]
        return sorted((p for p in found if p), key=lambda p: p.created_at)

    async def record_webhook(
        self, provider: str, event_id: str, body: dict[str, Any], received_at: Any
    ) -> bool:
        """False when this provider's event id was received before (a replay)."""
        try:
            await self._webhooks.insert_one(
                {
                    "_id": f"{provider}:{event_id}",
                    "body": body,
                    "received_at": received_at,
                    "outcome": None,
                    "t": time.time(),  # wall clock, to tell an abandoned attempt
                }
            )
            return True
        except DuplicateKeyError:
            return False

    async def unfinished_webhook(self, provider: str, event_id: str, stale_after: float) -> bool:
        """True when the event was recorded at least ``stale_after`` seconds ago and its
        processing never recorded an outcome."""
        d = await self._webhooks.find_one({"_id": f"{provider}:{event_id}"})
        return (
            d is not None
            and d.get("outcome") is None
            and time.time() - float(d.get("t", 0.0)) >= stale_after
        )

    async def webhook_outcome(self, provider: str, event_id: str, outcome: str) -> None:
        await self._webhooks.update_one(
            {"_id": f"{provider}:{event_id}"}, {"$set": {"outcome": outcome}}
        )
