"""The term index in MongoDB: indexed copies of messages, and per-conversation marks.

Every read is an equality FerretDB v1 pushes down: copies by one of their terms and their
conversation, ``(terms, c)`` (and ``s`` when a sender is asked for), or by ``_id``; marks by
``_id``. ``terms`` is an array: on MongoDB a multikey index serves it; on FerretDB over
PostgreSQL the filter is ``_jsonb->'terms' @> '"term"'``, which an array holding the term
satisfies and the GIN mirror of the index serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.core.mongo import Db, Index, find_by_ids, insert_new

INDEXES = {
    "search_docs": [
        Index([("terms", 1), ("c", 1)], "term_conversation", equality=2),
        # dropping a conversation's copies
        Index([("c", 1)], "conversation"),
    ],
    # Reads are by ``_id``. An index makes the collection exist at start-up, so that
    # core/pgindex.py mirrors its ``_id`` too.
    "search_marks": [Index([("rev", 1)], "rev")],
}

# The mark that says the index covers the whole log: a new store gets it at once; a store whose
# messages predate search, or whose index was dropped to be rebuilt, lacks it (search/guard.py).
# Conversation ids are hex (core/ids.py), so no conversation's mark can be named this.
WHOLE = "~whole"


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
class Match:
    """A copy holding a term: enough to order it and check the other terms, without its text."""

    message_id: str
    created_at: datetime
    terms: frozenset[str]


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
        self._docs = db["search_docs"]
        self._marks = db["search_marks"]

    async def matches(self, term: str, conversation_id: str, sender_id: str | None) -> list[Match]:
        """The copies in a conversation holding ``term`` (a deleted message's copy holds none)."""
        query: dict[str, Any] = {"terms": term, "c": conversation_id}
        if sender_id is not None:
            query["s"] = sender_id
        return [
            Match(d["_id"], d["at"], frozenset(d.get("terms", ())))
            async for d in self._docs.find(query, {"at": 1, "terms": 1})
        ]

    async def docs(self, message_ids: list[str]) -> dict[str, Doc]:
        return {d["_id"]: _doc(d) for d in await find_by_ids(self._docs, message_ids)}

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

    async def whole(self) -> dict[str, Any] | None:
        """The index's own mark (``WHOLE``): ``state`` "done", or "building" ``by`` a rebuild
        that last said it was alive ``at``; None when the index may lack conversations."""
        return await self._marks.find_one({"_id": WHOLE})

    async def declare_whole(self) -> None:
        """For a new store: nothing is stored yet, so nothing is missing from the index."""
        await insert_new(self._marks, [{"_id": WHOLE, "state": "done"}])

    async def start_rebuild(self, run: str, now: datetime, stale: datetime | None) -> bool:
        """Take the rebuild: insert the building mark, or, with ``stale``, replace one whose
        rebuild has not said it was alive since then (its process died). False: another
        process holds it."""
        mark = {"state": "building", "by": run, "at": now}
        if stale is None:
            return not await insert_new(self._marks, [{"_id": WHOLE, **mark}])
        done = await self._marks.replace_one(
            {"_id": WHOLE, "state": "building", "at": {"$lt": stale}}, mark
        )
        return done.modified_count == 1

    async def rebuild_alive(self, run: str, now: datetime) -> bool:
        """Refresh the rebuild's time; False if its mark is gone (the index was dropped
        again) or another process took the rebuild over."""
        done = await self._marks.update_one(
            {"_id": WHOLE, "state": "building", "by": run}, {"$set": {"at": now}}
        )
        return done.matched_count == 1

    async def finish_rebuild(self, run: str) -> bool:
        """Mark the index whole, if the building mark is still this run's: an index dropped
        meanwhile lost it with the copies, and then this answers False (the rebuild starts
        again)."""
        done = await self._marks.update_one(
            {"_id": WHOLE, "state": "building", "by": run}, {"$set": {"state": "done"}}
        )
        return done.matched_count == 1

    async def set_mark(self, conversation_id: str, rev: int) -> None:
        """Not atomic on FerretDB v1: a slower writer may set a lower mark, which only makes the
        next catch-up index some revs again (idempotent)."""
        await self._marks.replace_one({"_id": conversation_id}, {"rev": rev}, upsert=True)
