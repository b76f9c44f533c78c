"""The term index in MongoDB: postings, indexed copies of messages, and per-conversation marks.

Every read is an equality FerretDB v1 pushes down: postings by ``(t, c)`` (and ``s`` when a
sender is asked for), docs and marks by ``_id``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.core.mongo import Db, Index, find_by_ids, insert_new

INDEXES = {
    "search_terms": [Index([("t", 1), ("c", 1)], "term_conversation", equality=2)],
    # Reads are by ``_id``. An index each makes the collections exist at start-up, so that
    # core/pgindex.py mirrors their ``_id`` too; ``c`` also serves dropping a conversation's docs.
    "search_docs": [Index([("c", 1)], "conversation")],
    "search_marks": [Index([("rev", 1)], "rev")],
}


@dataclass(frozen=True)
class Doc:
    """One message as indexed."""

    id: str
    conversation_id: str
    seq: int
    rev: int
    sender_id: str
    sender_name: str
    text: str
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Posting:
    message_id: str
    conversation_id: str
    sender_id: str
    created_at: datetime


def posting_id(term: str, doc: Doc) -> str:
    return f"{term}|{doc.conversation_id}|{doc.id}"


def _row(doc: Doc) -> dict[str, Any]:
    return {
        "c": doc.conversation_id,
        "seq": doc.seq,
        "rev": doc.rev,
        "s": doc.sender_id,
        "n": doc.sender_name,
        "text": doc.text,
        "at": doc.created_at,
        "edited_at": doc.edited_at,
        "deleted": doc.deleted,
        "terms": list(doc.terms),
    }


def _doc(d: dict[str, Any]) -> Doc:
    return Doc(
        id=d["_id"],
        conversation_id=d["c"],
        seq=int(d["seq"]),
        rev=int(d["rev"]),
        sender_id=d["s"],
        sender_name=d.get("n", ""),
        text=d.get("text", ""),
        created_at=d["at"],
        edited_at=d.get("edited_at"),
        deleted=bool(d.get("deleted", False)),
        terms=tuple(d.get("terms", ())),
    )


class SearchRepository:
    def __init__(self, db: Db) -> None:
        self._terms = db["search_terms"]
        self._docs = db["search_docs"]
        self._marks = db["search_marks"]

    async def postings(
        self, term: str, conversation_id: str, sender_id: str | None
    ) -> list[Posting]:
        query: dict[str, Any] = {"t": term, "c": conversation_id}
        if sender_id is not None:
            query["s"] = sender_id
        return [
            Posting(d["m"], d["c"], d["s"], d["at"])
            async for d in self._terms.find(query, {"m": 1, "c": 1, "s": 1, "at": 1})
        ]

    async def docs(self, message_ids: list[str]) -> dict[str, Doc]:
        return {d["_id"]: _doc(d) for d in await find_by_ids(self._docs, message_ids)}

    async def add_postings(self, batch: list[tuple[Doc, list[str]]]) -> set[str]:
        """One insert for every (message, terms) of the batch, and the ids of the postings it
        added. Idempotent: a posting already there (a second indexer, a retry) is left as it is."""
        rows = [
            {
                "_id": posting_id(t, doc),
                "t": t,
                "c": doc.conversation_id,
                "m": doc.id,
                "s": doc.sender_id,
                "at": doc.created_at,
            }
            for doc, terms in batch
            for t in terms
        ]
        there = await insert_new(self._terms, rows)
        return {str(r["_id"]) for i, r in enumerate(rows) if i not in there}

    async def remove_postings(self, doc: Doc, terms: list[str]) -> None:
        # one exact ``_id`` each: a ``$in`` would read every posting on FerretDB v1
        await asyncio.gather(*(self._terms.delete_one({"_id": posting_id(t, doc)}) for t in terms))

    async def put_doc(self, doc: Doc) -> None:
        await self._docs.replace_one({"_id": doc.id}, _row(doc), upsert=True)

    async def add_docs(self, docs: list[Doc]) -> set[str]:
        """One insert for copies of messages not indexed before; answers the ids of those whose
        copy was there already (left as they are: the caller compares revs)."""
        rows = [{"_id": d.id, **_row(d)} for d in docs]
        there = await insert_new(self._docs, rows)
        return {docs[i].id for i in there}

    async def mark(self, conversation_id: str) -> int:
        d = await self._marks.find_one({"_id": conversation_id})
        return int(d["rev"]) if d else 0

    async def set_mark(self, conversation_id: str, rev: int) -> None:
        """Not atomic on FerretDB v1: a slower writer may set a lower mark, which only makes the
        next catch-up index some revs again (idempotent)."""
        await self._marks.replace_one({"_id": conversation_id}, {"rev": rev}, upsert=True)
