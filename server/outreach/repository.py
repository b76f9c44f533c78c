"""Outreach sends and their per-recipient deliveries in MongoDB.

A send is one document (``_id`` its id, listed per circle by an equality on ``circle_id``), written
before anything is delivered, with the full recipient list. Each delivery is its own document,
``_id`` ``outreach_id:user_id``, inserted once after the message is stored: no counter is ever
incremented (FerretDB v1 does not make concurrent updates of one document atomic), and a resumed
send skips whoever already has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from server.core.mongo import Db, Index, retry_busy

INDEXES: dict[str, list[Index]] = {
    "outreach": [Index([("circle_id", 1)], "circle")],
    "outreach_deliveries": [Index([("outreach_id", 1)], "outreach")],
}


@dataclass(frozen=True)
class Outreach:
    id: str
    circle_id: str
    kind: str
    text: str
    activity_id: str | None
    activity_title: str | None
    stage: str | None
    segment: str | None
    tag: str | None
    by_ids: bool
    sent_by: str
    sent_by_name: str
    sent_at: datetime
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class Delivery:
    user_id: str
    delivered: bool  # False: skipped
    reason: str | None  # why it was skipped
    conversation_id: str | None
    message_id: str | None
    seq: int | None


def _outreach(d: dict[str, Any]) -> Outreach:
    return Outreach(
        id=d["_id"],
        circle_id=d["circle_id"],
        kind=d["kind"],
        text=d["text"],
        activity_id=d.get("activity_id"),
        activity_title=d.get("activity_title"),
        stage=d.get("stage"),
        segment=d.get("segment"),
        tag=d.get("tag"),
        by_ids=bool(d.get("by_ids")),
        sent_by=d["sent_by"],
        sent_by_name=d.get("sent_by_name", ""),
        sent_at=d["sent_at"],
        recipients=tuple(d.get("recipients", ())),
    )


class OutreachRepository:
    def __init__(self, db: Db) -> None:
        self._sends = db["outreach"]
        self._deliveries = db["outreach_deliveries"]

    async def insert(self, o: Outreach) -> Outreach:
        """Store the send; when its id exists already (a retry), the stored one is returned."""
        doc = {
            "_id": o.id,
            "circle_id": o.circle_id,
            "kind": o.kind,
            "text": o.text,
            "activity_id": o.activity_id,
            "activity_title": o.activity_title,
            "stage": o.stage,
            "segment": o.segment,
            "tag": o.tag,
            "by_ids": o.by_ids,
            "sent_by": o.sent_by,
            "sent_by_name": o.sent_by_name,
            "sent_at": o.sent_at,
            "recipients": list(o.recipients),
        }
        try:
            await retry_busy(lambda: self._sends.insert_one(doc))
            return o
        except DuplicateKeyError:
            found = await self.get(o.id)
            assert found is not None  # a duplicate _id means it is stored
            return found

    async def get(self, outreach_id: str) -> Outreach | None:
        d = await self._sends.find_one({"_id": outreach_id})
        return _outreach(d) if d else None

    async def of_circle(self, circle_id: str) -> list[Outreach]:
        return [_outreach(d) async for d in self._sends.find({"circle_id": circle_id})]

    async def record(self, outreach_id: str, d: Delivery) -> None:
        """Record one recipient's outcome, once (a concurrent twin's record stands)."""
        doc = {
            "_id": f"{outreach_id}:{d.user_id}",
            "outreach_id": outreach_id,
            "user_id": d.user_id,
            "delivered": d.delivered,
            "reason": d.reason,
            "conversation_id": d.conversation_id,
            "message_id": d.message_id,
            "seq": d.seq,
        }
        try:
            await retry_busy(lambda: self._deliveries.insert_one(doc))
        except DuplicateKeyError:
            pass

    async def deliveries(self, outreach_id: str) -> dict[str, Delivery]:
        found = self._deliveries.find({"outreach_id": outreach_id})
        return {
            d["user_id"]: Delivery(
                user_id=d["user_id"],
                delivered=bool(d["delivered"]),
                reason=d.get("reason"),
                conversation_id=d.get("conversation_id"),
                message_id=d.get("message_id"),
                seq=d.get("seq"),
            )
            async for d in found
        }
