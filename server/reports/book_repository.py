"""Each circle's book and people table (one document each, by the circle's ``_id``) and the
marks that say which activities' money or attendance changed since the book was written.

A mark is inserted under a new ``_id`` for every change (an insert never loses to another
process, unlike an update of a shared document in FerretDB v1) and deleted by ``_id`` once the
book holds that activity's entry as read after the mark: a change made while the book is being
written leaves its own mark behind for the next sweep.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bson import Binary

from server.core.ids import new_id
from server.core.mongo import Db, Index, retry_busy

INDEXES = {
    "report_books": [],  # by ``_id`` only (declared so that ``_id`` gets its GIN mirror)
    "report_people": [],
    "report_book_marks": [
        Index([("circle_id", 1)], "circle"),
        Index([("queue", 1)], "queue"),  # one constant: every pending mark in one read
    ],
}
QUEUE = "book"
WHOLE = ""  # a mark of the whole circle (the thresholds changed): the people table is due


@dataclass(frozen=True)
class Mark:
    id: str
    circle_id: str
    activity_id: str  # WHOLE: no activity, the people table only


class BookRepository:
    def __init__(self, db: Db) -> None:
        self._books = db["report_books"]
        self._people = db["report_people"]
        self._marks = db["report_book_marks"]

    async def mark(self, circle_id: str, activity_id: str) -> None:
        doc = {"_id": new_id(), "queue": QUEUE, "circle_id": circle_id, "activity_id": activity_id}
        await retry_busy(lambda: self._marks.insert_one(doc))

    async def pending(self) -> list[Mark]:
        return [_mark(d) async for d in self._marks.find({"queue": QUEUE})]

    async def pending_of(self, circle_id: str) -> list[Mark]:
        return [_mark(d) async for d in self._marks.find({"circle_id": circle_id})]

    async def drop_marks(self, ids: list[str]) -> None:
        for i in ids:
            await retry_busy(lambda i=i: self._marks.delete_one({"_id": i}))  # type: ignore[misc]

    async def book(self, circle_id: str) -> bytes | None:
        doc = await self._books.find_one({"_id": circle_id})
        return bytes(doc["blob"]) if doc else None

    async def put_book(self, circle_id: str, blob: bytes) -> None:
        doc = {"_id": circle_id, "blob": Binary(blob)}
        await retry_busy(lambda: self._books.replace_one({"_id": circle_id}, doc, upsert=True))

    async def people(self, circle_id: str, part: str) -> dict[str, Any] | None:
        """One part of the people table: ``standings`` (small, what a page reads) or
        ``facts`` (each member's participation, read when the standings are out of date)."""
        return await self._people.find_one({"_id": f"{circle_id}:{part}"})

    async def put_people(self, circle_id: str, part: str, fields: dict[str, Any]) -> None:
        key = f"{circle_id}:{part}"
        doc = {
            "_id": key,
            **{k: Binary(v) if isinstance(v, bytes) else v for k, v in fields.items()},
        }
        await retry_busy(lambda: self._people.replace_one({"_id": key}, doc, upsert=True))

    async def drop(self, circle_id: str) -> None:
        await retry_busy(lambda: self._books.delete_one({"_id": circle_id}))
        for part in ("standings", "facts"):
            key = f"{circle_id}:{part}"
            await retry_busy(lambda key=key: self._people.delete_one({"_id": key}))  # type: ignore[misc]


def _mark(d: dict[str, Any]) -> Mark:
    return Mark(str(d["_id"]), str(d["circle_id"]), str(d["activity_id"]))
