"""The term index in MongoDB: packs of indexed copies of messages, and per-conversation marks.

A pack is one document for the copies one piece of indexing made in one conversation (at most
``indexer.CHUNK`` in a background round): the union of their terms, for the ``(terms, c)``
index, and one array per field of a copy (ids, revs, senders, times, texts, and each copy's
terms as one space-joined string: FerretDB v1 stores no arrays in arrays). Packs are only
inserted, never changed. A message that changes (an edit; a deletion, which leaves no text and
no terms) gets a copy in a later pack at its higher rev, and readers take each message's copy
of the highest rev. A copy stored alone by an earlier version (``_id`` the message's, its
fields at the top) reads as a pack of one, so an existing index needs no migration.

So a message costs the index a share of a document, not a document of its own
(docs/performance.md, "Redis publishes, search copies in packs").

Every read is an equality FerretDB v1 pushes down: packs by one of their terms and their
conversation, ``(terms, c)`` (and ``s`` when a sender is asked for), or by a message id in
``ids`` (or a lone copy's ``_id``); marks by ``_id``. On MongoDB multikey indexes serve the
arrays; on FerretDB over PostgreSQL the filter is ``_jsonb->'terms' @> '"term"'``, which an
array holding the term satisfies and the GIN mirror of the index serves.

A pack found by a term may hold a copy that a later change superseded (an edit took the word
out, or the message was deleted): a search checks the copies of its page again by message id
(``docs``), which takes the highest rev.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.core.ids import new_id
from server.core.mongo import Db, Index, insert_new

INDEXES = {
    "search_docs": [
        Index([("terms", 1), ("c", 1)], "term_conversation", equality=2),
        # dropping a conversation's copies
        Index([("c", 1)], "conversation"),
        # a message's copies (a search's page checked again, the indexer's changes)
        Index([("ids", 1)], "message"),
    ],
    # Reads are by ``_id``. An index makes the collection exist at start-up, so that
    # core/pgindex.py mirrors its ``_id`` too.
    "search_marks": [Index([("rev", 1)], "rev")],
}
# concurrent lookups of messages' copies (one equality each: FerretDB v1 answers ``$in`` by
# reading the whole collection)
LOOKUPS = 16

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
    """A copy as a document of its own: the form of earlier versions (read by ``_copies``;
    ``bench/insert_cost.py`` compares the forms)."""
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


def pack_of(docs: list[Doc]) -> dict[str, Any]:
    """One pack for copies of one conversation."""
    return {
        "_id": new_id(),
        "c": docs[0].conversation_id,
        "terms": sorted({t for d in docs for t in d.terms}),
        "ids": [d.id for d in docs],
        "seqs": [d.seq for d in docs],
        "revs": [d.rev for d in docs],
        "s": [d.sender_id for d in docs],
        "n": [d.sender_name for d in docs],
        "text": [d.text for d in docs],
        "at": [d.created_at for d in docs],
        "edited_at": [d.edited_at for d in docs],
        "deleted": [d.deleted for d in docs],
        "t": [" ".join(d.terms) for d in docs],
    }


def _copies(d: dict[str, Any]) -> list[Doc]:
    """The copies a stored document holds: a pack's, or the lone copy of an earlier version."""
    if "ids" not in d:
        return [
            Doc(
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
        ]
    return [
        Doc(
            id=d["ids"][i],
            conversation_id=d["c"],
            seq=int(d["seqs"][i]),
            rev=int(d["revs"][i]),
            sender_id=d["s"][i],
            sender_name=d["n"][i],
            text=d["text"][i],
            created_at=d["at"][i],
            edited_at=d["edited_at"][i],
            deleted=bool(d["deleted"][i]),
            terms=tuple(d["t"][i].split()),
        )
        for i in range(len(d["ids"]))
    ]


def latest(copies: list[Doc]) -> dict[str, Doc]:
    """Each message's copy of the highest rev."""
    out: dict[str, Doc] = {}
    for c in copies:
        if (seen := out.get(c.id)) is None or seen.rev < c.rev:
            out[c.id] = c
    return out


class SearchRepository:
    def __init__(self, db: Db) -> None:
        self._docs = db["search_docs"]
        self._marks = db["search_marks"]

    async def matches(self, term: str, conversation_id: str, sender_id: str | None) -> list[Match]:
        """The copies in a conversation holding ``term`` (a deleted message's copy holds none),
        one per message, of the highest rev among those found: a later change may have taken
        the term out since (the caller checks its page again with ``docs``)."""
        query: dict[str, Any] = {"terms": term, "c": conversation_id}
        if sender_id is not None:
            query["s"] = sender_id
        found: list[Doc] = []
        async for d in self._docs.find(query):
            found += (
                c
                for c in _copies(d)
                if term in c.terms and (sender_id is None or c.sender_id == sender_id)
            )
        return [Match(c.id, c.created_at, frozenset(c.terms)) for c in latest(found).values()]

    async def docs(self, message_ids: list[str]) -> dict[str, Doc]:
        """Each message's copy of the highest rev (of those indexed at all)."""
        gate = asyncio.Semaphore(LOOKUPS)

        async def of(message_id: str) -> list[dict[str, Any]]:
            async with gate:
                packs: list[dict[str, Any]] = await self._docs.find({"ids": message_id}).to_list()
                alone = await self._docs.find_one({"_id": message_id})  # an earlier version's
            return [*packs, alone] if alone is not None else packs

        wanted = dict.fromkeys(message_ids)
        stored = await asyncio.gather(*(of(i) for i in wanted))
        return latest([c for ds in stored for d in ds for c in _copies(d) if c.id in wanted])

    async def add_docs(self, docs: list[Doc]) -> None:
        """These copies in one insert: a pack per conversation."""
        by_conversation: dict[str, list[Doc]] = {}
        for d in docs:
            by_conversation.setdefault(d.conversation_id, []).append(d)
        await insert_new(self._docs, [pack_of(ds) for ds in by_conversation.values()])

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
