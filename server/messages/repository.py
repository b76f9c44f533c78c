"""Conversations, participants and messages in MongoDB."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import datetime
from functools import partial
from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from server.core.errors import Unavailable
from server.core.mongo import Db, Index, retry_busy
from server.messages.models import Conversation, Message, NewMessage, Participation

INDEXES = {
    "conversations": [Index([("circle_id", 1)], "circle")],
    "participants": [
        Index([("user_id", 1)], "user"),
        Index([("conversation_id", 1)], "conversation"),
    ],
    "revs": [Index([("conversation_id", 1), ("rev", -1)], "conversation_rev")],
    "messages": [
        Index([("conversation_id", 1), ("seq", 1)], "conversation_seq_unique", unique=True),
        # (conversation_id, sender_id, client_id) joined into one key: unique, and one $in lookup
        # finds a whole batch of retried sends.
        Index([("client_key", 1)], "client_key_unique", unique=True),
        Index([("conversation_id", 1), ("rev", 1)], "conversation_rev"),
    ],
}


def rev_id(conversation_id: str, rev: int) -> str:
    return f"{conversation_id}:{rev:012d}"


def _message(doc: dict[str, Any]) -> Message:
    return Message(
        id=doc["_id"],
        conversation_id=doc["conversation_id"],
        seq=doc["seq"],
        rev=doc["rev"],
        sender_id=doc["sender_id"],
        sender_name=doc["sender_name"],
        kind=doc["kind"],
        text=doc["text"],
        created_at=doc["created_at"],
        card=doc.get("card"),
        client_id=doc["client_id"] if doc["kind"] == "text" else None,
        edited_at=doc.get("edited_at"),
        deleted=bool(doc.get("deleted")),
    )


def _conversation(doc: dict[str, Any]) -> Conversation:
    return Conversation(
        id=doc["_id"],
        kind=doc["kind"],
        created_at=doc["created_at"],
        circle_id=doc.get("circle_id"),
        members=tuple(doc.get("members", ())),
    )


class MessageRepository:
    def __init__(self, db: Db) -> None:
        self._conversations = db["conversations"]
        self._participants = db["participants"]
        self._messages = db["messages"]
        self._revs = db["revs"]

    # conversations -------------------------------------------------------------------------

    async def insert_conversation(self, conv: Conversation) -> bool:
        """Insert; False when a conversation with this id already exists."""
        doc: dict[str, Any] = {"_id": conv.id, "kind": conv.kind, "created_at": conv.created_at}
        if conv.circle_id:
            doc["circle_id"] = conv.circle_id
        if conv.members:
            doc["members"] = list(conv.members)
        try:
            await self._conversations.insert_one(doc)
            return True
        except DuplicateKeyError:
            return False

    async def get_conversation(self, conversation_id: str) -> Conversation | None:
        doc = await self._conversations.find_one({"_id": conversation_id})
        return _conversation(doc) if doc else None

    async def get_conversations(self, ids: list[str]) -> dict[str, tuple[Conversation, int]]:
        """Conversations with their current rev."""
        cursor = self._conversations.find({"_id": {"$in": ids}})
        found = [_conversation(d) async for d in cursor]
        return {c.id: (c, await self.current_rev(c.id)) for c in found}

    async def claim_revs(
        self, conversation_id: str, mids: list[str], new: bool
    ) -> list[tuple[int, int]]:
        """Reserve one new rev of the conversation per message id in ``mids``, in increasing
        order; for new messages (``new``) each claim also assigns the next ``seq``. Returns
        ``(rev, seq)`` pairs (``seq`` 0 for changes of existing messages).

        A rev is claimed by inserting ``<conversation>:<rev>`` into ``revs``, where the unique
        ``_id`` settles races: the insert is atomic on MongoDB and on FerretDB alike (FerretDB's
        ``$inc`` is not atomic under concurrency). Each claim carries ``seq_top``, the highest
        seq assigned up to it, so seqs follow revs and come from the same race: every process
        pays one read and one insert per attempt, and a conflict means another claim succeeded.
        Claimed revs are never freed. The claim names its message, so a reader can tell whether
        the change it stands for was written, superseded, voided or is still in flight
        (``order.settle``).
        """
        claimed: list[tuple[int, int]] = []
        for attempt in range(50):
            top, seq_top = await self._top_claim(conversation_id)
            rest = mids[len(claimed) :]
            t = time.time()
            docs = [
                {
                    "_id": rev_id(conversation_id, top + i + 1),
                    "conversation_id": conversation_id,
                    "rev": top + i + 1,
                    "mid": mid,
                    "new": new,
                    # a new message's seq; a change of an existing one carries the top forward
                    "seq_top": seq_top + i + 1 if new else seq_top,
                    "t": t,
                }
                for i, mid in enumerate(rest)
            ]

            def pairs(ds: list[dict[str, Any]]) -> list[tuple[int, int]]:
                return [(int(d["rev"]), int(d["seq_top"]) if new else 0) for d in ds]

            try:
                await retry_busy(partial(self._revs.insert_many, docs, ordered=True))
                return claimed + pairs(docs)
            except BulkWriteError as exc:
                if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
                    raise
                claimed += pairs(docs[: exc.details.get("nInserted", 0)])
            await asyncio.sleep(random.uniform(0, 0.002 * min(attempt + 1, 10)))
        if claimed:
            await self.void_revs(conversation_id, [rev for rev, _ in claimed])
        raise Unavailable("the conversation is too busy; try again")

    async def void_revs(self, conversation_id: str, revs: list[int]) -> None:
        """Mark claims whose change was not written (refused), so readers stop waiting."""
        if revs:
            await retry_busy(
                lambda: self._revs.update_many(
                    {"_id": {"$in": [rev_id(conversation_id, r) for r in revs]}},
                    {"$set": {"void": True}},
                )
            )

    async def claims(self, conversation_id: str, revs: list[int]) -> dict[int, dict[str, Any]]:
        cursor = self._revs.find({"_id": {"$in": [rev_id(conversation_id, r) for r in revs]}})
        return {int(d["rev"]): d async for d in cursor}

    async def claims_after(self, conversation_id: str, since_rev: int) -> list[dict[str, Any]]:
        cursor = self._revs.find(
            {"conversation_id": conversation_id, "rev": {"$gt": since_rev}}, sort=[("rev", 1)]
        )
        return [d async for d in cursor]

    async def get_messages(self, ids: list[str]) -> dict[str, Message]:
        cursor = self._messages.find({"_id": {"$in": ids}})
        return {d["_id"]: _message(d) async for d in cursor}

    async def current_rev(self, conversation_id: str) -> int:
        return (await self._top_claim(conversation_id))[0]

    async def _top_claim(self, conversation_id: str) -> tuple[int, int]:
        """The highest claimed rev and the highest seq assigned up to it."""
        doc = await self._revs.find_one(
            {"conversation_id": conversation_id}, sort=[("rev", DESCENDING)]
        )
        if doc is None:
            return 0, await self.max_seq(conversation_id)
        if "seq_top" not in doc:  # claimed before claims carried seqs
            return int(doc["rev"]), await self.max_seq(conversation_id)
        return int(doc["rev"]), int(doc["seq_top"])

    # participants --------------------------------------------------------------------------

    async def add_participant(self, conversation_id: str, user_id: str, at: datetime) -> None:
        """Idempotent: an existing participation keeps its read position."""
        try:
            await retry_busy(
                lambda: self._participants.update_one(
                    {"_id": f"{conversation_id}:{user_id}"},
                    {
                        "$setOnInsert": {
                            "conversation_id": conversation_id,
                            "user_id": user_id,
                            "read_seq": 0,
                            "joined_at": at,
                        }
                    },
                    upsert=True,
                )
            )
        except DuplicateKeyError:
            pass  # a concurrent upsert created it

    async def remove_participant(self, conversation_id: str, user_id: str) -> None:
        await self._participants.delete_one({"_id": f"{conversation_id}:{user_id}"})

    async def get_participation(self, conversation_id: str, user_id: str) -> Participation | None:
        doc = await self._participants.find_one({"_id": f"{conversation_id}:{user_id}"})
        if not doc:
            return None
        return Participation(conversation_id, user_id, int(doc.get("read_seq", 0)))

    async def participations(self, user_id: str) -> list[Participation]:
        cursor = self._participants.find({"user_id": user_id})
        return [
            Participation(d["conversation_id"], user_id, int(d.get("read_seq", 0)))
            async for d in cursor
        ]

    async def participant_ids(self, conversation_id: str) -> list[str]:
        cursor = self._participants.find({"conversation_id": conversation_id}, {"user_id": 1})
        return [d["user_id"] async for d in cursor]

    async def advance_read(self, conversation_id: str, user_id: str, seq: int) -> int:
        """Move the read position forward only ($max); returns the stored position."""
        doc = await self._participants.find_one_and_update(
            {"_id": f"{conversation_id}:{user_id}"},
            {"$max": {"read_seq": seq}},
            return_document=ReturnDocument.AFTER,
        )
        return int(doc["read_seq"]) if doc else 0

    # messages ------------------------------------------------------------------------------

    async def max_seq(self, conversation_id: str) -> int:
        doc = await self._messages.find_one(
            {"conversation_id": conversation_id}, {"seq": 1}, sort=[("seq", DESCENDING)]
        )
        return int(doc["seq"]) if doc else 0

    async def by_client_keys(self, keys: list[str]) -> dict[str, Message]:
        cursor = self._messages.find({"client_key": {"$in": keys}})
        return {d["client_key"]: _message(d) async for d in cursor}

    async def insert_batch(
        self, items: list[tuple[NewMessage, int, int]], deleted: bool = False
    ) -> set[int]:
        """Insert ``(message, seq, rev)`` rows unordered; returns the indexes refused as duplicates
        (a taken seq or a taken client key). Other failures raise."""
        docs = [
            {
                "_id": m.id,
                "conversation_id": m.conversation_id,
                "seq": seq,
                "rev": rev,
                "sender_id": m.sender_id,
                "sender_name": m.sender_name,
                "kind": m.kind,
                "text": m.text,
                "card": m.card,
                "client_id": m.client_id,
                "client_key": m.client_key,
                "created_at": m.created_at,
                "deleted": deleted,
            }
            for m, seq, rev in items
        ]
        if not docs:
            return set()
        try:
            await retry_busy(lambda: self._messages.insert_many(docs, ordered=False))
            return set()
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != 11000 for e in errors):
                raise
            return {int(e["index"]) for e in errors}

    async def get_message(self, message_id: str) -> Message | None:
        doc = await self._messages.find_one({"_id": message_id})
        return _message(doc) if doc else None

    async def update_message(
        self,
        message_id: str,
        rev: int,
        changes: dict[str, Any],
        only_if: dict[str, Any] | None = None,
    ) -> Message | None:
        """Apply ``changes`` with the new ``rev`` unless a later change already carries a higher
        rev; ``only_if`` adds conditions (e.g. not deleted). Returns the stored message."""
        query: dict[str, Any] = {"_id": message_id, "rev": {"$lt": rev}, **(only_if or {})}
        doc = await self._messages.find_one_and_update(
            query, {"$set": {**changes, "rev": rev}}, return_document=ReturnDocument.AFTER
        )
        return _message(doc) if doc else None

    async def history(
        self, conversation_id: str, before_seq: int | None, limit: int
    ) -> tuple[list[Message], bool]:
        query: dict[str, Any] = {"conversation_id": conversation_id}
        if before_seq is not None:
            query["seq"] = {"$lt": before_seq}
        cursor = self._messages.find(query, sort=[("seq", DESCENDING)], limit=limit + 1)
        docs = [d async for d in cursor]
        return [_message(d) for d in reversed(docs[:limit])], len(docs) > limit

    async def changed_since(
        self, conversation_id: str, since_rev: int, limit: int
    ) -> tuple[list[Message], bool]:
        cursor = self._messages.find(
            {"conversation_id": conversation_id, "rev": {"$gt": since_rev}},
            sort=[("rev", 1)],
            limit=limit + 1,
        )
        docs = [d async for d in cursor]
        return [_message(d) for d in docs[:limit]], len(docs) > limit
