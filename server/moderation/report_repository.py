"""Member reports and their review queue in MongoDB.

Every invariant rests on a unique ``_id`` (FerretDB v1 has no transactions and does not make a
single-document update atomic):

- a report's ``_id`` is derived from (circle, target, reporter): reporting twice stores one;
- a queue item's ``_id`` from (circle, target, round): concurrent first reports create one;
- a decision's ``_id`` is its item's: a second decision cannot be stored.

Counts are never kept: an item's reports are counted from the report documents. The item's
``status`` only serves the queue's equality lookup; the decision document is the truth, and the
service repairs an item whose status a failure left ``open`` (reports.py).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Literal

from pymongo.errors import DuplicateKeyError

from server.core.mongo import Db, Index, retry_busy
from server.moderation.models import Report, ReportDecision, ReportItem, ReportKind

Status = Literal["open", "decided"]

INDEXES = {
    # the reports grouped in one item (counted, named in the queue, told the outcome)
    "moderation_reports": [Index([("item_id", 1)], "item")],
    # the queue: a circle's open (or decided) items, one equality lookup
    "moderation_report_items": [
        Index([("circle_id", 1), ("status", 1)], "circle_status", equality=2)
    ],
    "moderation_report_decisions": [],  # read by _id only
}


def _digest(*parts: object) -> str:
    """An id shaped like any id on the wire ([A-Za-z0-9_-], at most 64 characters)."""
    key = ":".join(str(p) for p in parts)
    return "r" + hashlib.blake2b(key.encode(), digest_size=24).hexdigest()


def item_id(circle_id: str, kind: ReportKind, target_id: str, round_: int) -> str:
    return _digest("item", circle_id, kind, target_id, round_)


def report_id(circle_id: str, kind: ReportKind, target_id: str, reporter_id: str) -> str:
    return _digest("report", circle_id, kind, target_id, reporter_id)


def _report(d: dict[str, Any]) -> Report:
    return Report(
        id=d["_id"],
        item_id=d["item_id"],
        circle_id=d["circle_id"],
        reporter_id=d["reporter_id"],
        reason=d["reason"],
        text=d.get("text", ""),
        at=d["at"],
    )


def _item(d: dict[str, Any]) -> ReportItem:
    return ReportItem(
        id=d["_id"],
        circle_id=d["circle_id"],
        kind=d["kind"],
        target_id=d["target_id"],
        subject_id=d["subject_id"],
        round=int(d["round"]),
        opened_at=d["opened_at"],
        excerpt=d.get("excerpt", ""),
        seq=d.get("seq"),
    )


def _decision(d: dict[str, Any]) -> ReportDecision:
    return ReportDecision(
        item_id=d["_id"],
        circle_id=d["circle_id"],
        by=d["by"],
        outcome=d["outcome"],
        reason=d.get("reason", ""),
        at=d["at"],
    )


class ReportRepository:
    def __init__(self, db: Db) -> None:
        self._reports = db["moderation_reports"]
        self._items = db["moderation_report_items"]
        self._decisions = db["moderation_report_decisions"]

    # reports ----------------------------------------------------------------------------

    async def insert_report(self, r: Report) -> bool:
        """False when this reporter had reported this target already (theirs stands)."""
        doc = {
            "_id": r.id,
            "item_id": r.item_id,
            "circle_id": r.circle_id,
            "reporter_id": r.reporter_id,
            "reason": r.reason,
            "text": r.text,
            "at": r.at,
        }
        try:
            await retry_busy(lambda: self._reports.insert_one(doc))
            return True
        except DuplicateKeyError:
            return False

    async def get_report(self, id_: str) -> Report | None:
        d = await self._reports.find_one({"_id": id_})
        return _report(d) if d else None

    async def reports_of(self, item: str) -> list[Report]:
        """The item's reports, oldest first (a handful; sorted here, not by the database)."""
        found = [_report(d) async for d in self._reports.find({"item_id": item})]
        return sorted(found, key=lambda r: (r.at, r.id))

    # items ------------------------------------------------------------------------------

    async def ensure_item(self, i: ReportItem) -> None:
        """Create the item unless a concurrent first report did (then theirs stands)."""
        doc = {
            "_id": i.id,
            "circle_id": i.circle_id,
            "kind": i.kind,
            "target_id": i.target_id,
            "subject_id": i.subject_id,
            "round": i.round,
            "opened_at": i.opened_at,
            "excerpt": i.excerpt,
            "seq": i.seq,
            "status": "open",
        }
        try:
            await retry_busy(lambda: self._items.insert_one(doc))
        except DuplicateKeyError:
            pass

    async def get_item(self, id_: str) -> ReportItem | None:
        d = await self._items.find_one({"_id": id_})
        return _item(d) if d else None

    async def items(
        self, circle_id: str, status: Status, before: datetime | None, limit: int
    ) -> list[ReportItem]:
        """Newest first. PostgreSQL serves the equality on (circle_id, status); the time bound,
        sort and limit are applied by FerretDB to that circle's items of that status."""
        query: dict[str, Any] = {"circle_id": circle_id, "status": status}
        if before is not None:
            query["opened_at"] = {"$lt": before}
        cursor = self._items.find(query, sort=[("opened_at", -1), ("_id", -1)], limit=limit)
        return [_item(d) async for d in cursor]

    async def mark_decided(self, id_: str) -> None:
        """Idempotent: the status only follows the decision document."""
        await retry_busy(
            lambda: self._items.update_one({"_id": id_}, {"$set": {"status": "decided"}})
        )

    # decisions --------------------------------------------------------------------------

    async def insert_decision(self, d: ReportDecision) -> bool:
        """False when the item was decided already (the first decision stands)."""
        doc = {
            "_id": d.item_id,
            "circle_id": d.circle_id,
            "by": d.by,
            "outcome": d.outcome,
            "reason": d.reason,
            "at": d.at,
        }
        try:
            await retry_busy(lambda: self._decisions.insert_one(doc))
            return True
        except DuplicateKeyError:
            return False

    async def decision(self, item: str) -> ReportDecision | None:
        d = await self._decisions.find_one({"_id": item})
        return _decision(d) if d else None

    async def delete_decision(self, item: str) -> None:
        """Withdraw a decision whose action was then refused, so the item can be decided."""
        await retry_busy(lambda: self._decisions.delete_one({"_id": item}))
