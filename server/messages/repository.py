"""Conversations, participants and messages in MongoDB."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Set
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from server.core.errors import Unavailable
from server.core.mongo import Db, Index, find_by_ids, insert_new, retry_busy
from server.messages.claims import Claim
from server.messages.models import (
    Attachment,
    Conversation,
    Message,
    NewMessage,
    Participation,
    Reaction,
    Reply,
)
from server.messages.tops import SharedTops

INDEXES = {
    "conversations": [Index([("circle_id", 1)], "circle")],
    "participants": [
        Index([("user_id", 1)], "user"),
        Index([("conversation_id", 1)], "conversation"),
    ],
    "revs": [
        Index([("conversation_id", 1), ("rev", -1)], "conversation_rev"),
        # sync: the claims of rev // PAGE, one equality lookup
        Index([("conversation_id", 1), ("page", 1)], "conversation_page", equality=2),
    ],
    "messages": [
        Index(
            [("conversation_id", 1), ("seq", 1)], "conversation_seq_unique", unique=True, equality=2
        ),
        # history: the messages of seq // PAGE, one equality lookup (see history)
        Index([("conversation_id", 1), ("page", 1)], "conversation_page", equality=2),
        # (conversation_id, sender_id, client_id) joined into one key: unique, and one $in lookup
        # finds a whole batch of retried sends.
        Index([("client_key", 1)], "client_key_unique", unique=True),
        # sync: the messages whose current rev is in rev_page = rev // PAGE
        Index([("conversation_id", 1), ("rev_page", 1)], "conversation_rev_page", equality=2),
        # replies.py: the replies quoting a message, to refresh their quote when it changes
        Index([("reply_to", 1)], "reply_to"),
    ],
}


MAX_CACHED = 100_000
PAGE = 50  # messages carry page = seq // PAGE and rev_page = rev // PAGE, claims page = rev // PAGE
FEW_CLAIMS = 8  # up to this many claims are read by _id rather than by page (claims_between)


@dataclass
class Claims:
    """What ``claim_many`` claimed, per conversation, and what it could not tell."""

    made: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    in_doubt: list[dict[str, Any]] = field(default_factory=list)


def rev_id(conversation_id: str, rev: int) -> str:
    return f"{conversation_id}:{rev:012d}"


def _claim(doc: dict[str, Any]) -> Claim:
    return Claim(
        conversation_id=doc["conversation_id"],
        rev=int(doc["rev"]),
        mid=str(doc.get("mid")),
        new=bool(doc.get("new")),
        seq_top=int(doc.get("seq_top", -1)),
        t=float(doc.get("t", 0.0)),
        void=bool(doc.get("void")),
    )


def _reply(doc: dict[str, Any] | None) -> Reply | None:
    if not doc:
        return None
    return Reply(
        id=doc["id"],
        seq=int(doc["seq"]),
        sender_id=doc["sender_id"],
        sender_name=doc["sender_name"],
        text=doc["text"],
        deleted=bool(doc.get("deleted")),
        removed_by=doc.get("removed_by"),
    )


def reply_doc(r: Reply | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {
        "id": r.id,
        "seq": r.seq,
        "sender_id": r.sender_id,
        "sender_name": r.sender_name,
        "text": r.text,
        "deleted": r.deleted,
        "removed_by": r.removed_by,
    }


def reactions_doc(reactions: tuple[Reaction, ...]) -> list[dict[str, Any]]:
    return [{"emoji": r.emoji, "count": r.count, "user_ids": list(r.user_ids)} for r in reactions]


def _attachment_doc(a: Attachment) -> dict[str, Any]:
    return {
        "id": a.id,
        "name": a.name,
        "content_type": a.content_type,
        "size": a.size,
        "width": a.width,
        "height": a.height,
        "thumbnail": a.thumbnail,
    }


def _extras_doc(m: NewMessage) -> dict[str, Any]:
    """The reply, mention and attachment fields of a new message (absent when unused)."""
    doc: dict[str, Any] = {}
    if m.reply is not None:
        doc["reply_to"] = m.reply.id
        doc["reply"] = reply_doc(m.reply)
    if m.mentions:
        doc["mentions"] = list(m.mentions)
    if m.mention_everyone:
        doc["mention_everyone"] = True
    if m.attachments:
        doc["attachments"] = [_attachment_doc(a) for a in m.attachments]
    return doc


def placeholder(conversation_id: str, message_id: str, created_at: datetime) -> NewMessage:
    """What a claimed seq and rev hold when their message will never be stored (stored deleted,
    under the message's id; writer.py and ``plug_claims``). Its client id is derived from the
    message id, so two plugs of one claim are one placeholder."""
    return NewMessage(
        id=message_id,
        conversation_id=conversation_id,
        sender_id="system",
        sender_name="",
        kind="system",
        text="",
        client_id=f"~{message_id}",
        created_at=created_at,
    )


def _message(doc: dict[str, Any]) -> Message:
    # a deleted message shows nothing it carried
    shown = not doc.get("deleted")
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
        reply=_reply(doc.get("reply")) if shown else None,
        mentions=tuple(doc.get("mentions") or ()) if shown else (),
        mention_everyone=bool(doc.get("mention_everyone")) and shown,
        reactions=tuple(
            Reaction(r["emoji"], int(r["count"]), tuple(r.get("user_ids", ())))
            for r in (doc.get("reactions") or ())
            if shown
        ),
        pinned=bool(doc.get("pinned")) and shown,
        removed_by=None if shown else doc.get("removed_by"),
        attachments=tuple(
            Attachment(
                id=a["id"],
                name=a["name"],
                content_type=a["content_type"],
                size=int(a["size"]),
                width=a.get("width"),
                height=a.get("height"),
                thumbnail=a.get("thumbnail"),
            )
            for a in (doc.get("attachments") or ())
            if shown
        ),
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
    def __init__(self, db: Db, hints: SharedTops | None = None) -> None:
        self._conversations = db["conversations"]
        self._participants = db["participants"]
        self._messages = db["messages"]
        self._revs = db["revs"]
        # The highest claim this process knows of per conversation: claims are made on top of it
        # without a read (claim_many), and a top is walked up from it in one round trip. Where
        # this process knows none, the walk starts at the top another process shared (tops.py).
        # Conversations never change once created.
        self._tops: dict[str, tuple[int, int]] = {}
        self._hints = hints
        self._known: dict[str, Conversation] = {}

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
        """A conversation by id (from memory once seen: a conversation never changes)."""
        known = self._known.get(conversation_id)
        if known is not None:
            return known
        doc = await self._conversations.find_one({"_id": conversation_id})
        if not doc:
            return None
        conv = _conversation(doc)
        if len(self._known) >= MAX_CACHED:
            self._known.pop(next(iter(self._known)))
        self._known[conv.id] = conv
        return conv

    async def conversation_ids(self) -> list[str]:
        """Every conversation's id: a read of the whole collection, for rare whole-store work
        (rebuilding the search index), never for a request."""
        return [str(d["_id"]) async for d in self._conversations.find({}, {"_id": 1})]

    async def get_conversations(self, ids: list[str]) -> dict[str, tuple[Conversation, int, int]]:
        """Conversations with their current rev and the highest seq assigned."""

        unique = list(dict.fromkeys(ids))
        convs, tops = await asyncio.gather(
            asyncio.gather(*(self.get_conversation(i) for i in unique)), self.tops(unique)
        )
        return {c.id: (c, *tops[c.id]) for c in convs if c is not None}

    async def claim_revs(
        self, conversation_id: str, mids: list[str], new: bool
    ) -> list[tuple[int, int]]:
        """Reserve one new rev of one conversation per message id in ``mids`` (see
        ``claim_many``)."""
        claims = Claims()
        await self.claim_many({conversation_id: mids}, new, claims)
        return claims.made[conversation_id]

    async def claim_many(self, requests: dict[str, list[str]], new: bool, claims: Claims) -> None:
        """Reserve, for each conversation, one new rev per message id in its list, in increasing
        order; for new messages (``new``) each claim also assigns the next ``seq``. Returns
        ``(rev, seq)`` pairs per conversation in ``claims.made`` (``seq`` 0 for changes of
        existing messages), filled as claims succeed, so that a caller who gets an exception
        still knows what was claimed; the claims of an insert that failed without an answer
        (they may have been stored) are left in ``claims.in_doubt`` for ``reassert``.

        A rev is claimed by inserting ``<conversation>:<rev>`` into ``revs``, where the unique
        ``_id`` settles races: the insert is atomic on MongoDB and on FerretDB alike (FerretDB's
        ``$inc`` is not atomic under concurrency). Each claim carries ``seq_top``, the highest
        seq assigned up to it, so seqs follow revs and come from the same race. Claims are
        contiguous (a claim is only made on top of one known to exist) and never freed, and they
        name their message, so a reader can tell whether the change a claim stands for was
        written, superseded, voided or is still in flight (``order.settle``).

        The claims of every conversation go in one ordered insert, made on top of the highest
        claim this process knows of, without a read: on FerretDB v1 every query scans its whole
        collection, while an insert is checked against the unique index alone. A clash (another
        process claimed that rev) reads the claim that won and tries again above it.
        """
        claimed = claims.made
        for conv_id in requests:
            claimed.setdefault(conv_id, [])
        for attempt in range(50):
            docs: list[dict[str, Any]] = []
            t = time.time()
            for conv_id, mids in requests.items():
                rest = mids[len(claimed[conv_id]) :]
                if not rest:
                    continue
                top, seq_top = self._tops.get(conv_id) or await self.top(conv_id)
                docs += [
                    {
                        "_id": rev_id(conv_id, top + i + 1),
                        "conversation_id": conv_id,
                        "rev": top + i + 1,
                        "page": (top + i + 1) // PAGE,
                        "mid": mid,
                        "new": new,
                        # a new message's seq; a change of an existing one carries the top on
                        "seq_top": seq_top + i + 1 if new else seq_top,
                        "t": t,
                    }
                    for i, mid in enumerate(rest)
                ]
            if not docs:
                return
            try:
                await retry_busy(partial(self._revs.insert_many, docs, ordered=True))
                inserted, clash = len(docs), None
            except BulkWriteError as exc:
                if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
                    claims.in_doubt = docs[int(exc.details.get("nInserted", 0)) :]
                    raise
                inserted = int(exc.details.get("nInserted", 0))
                clash = docs[inserted]
            except Exception:
                claims.in_doubt = docs
                raise
            for d in docs[:inserted]:
                conv_id = d["conversation_id"]
                claimed[conv_id].append((int(d["rev"]), int(d["seq_top"]) if new else 0))
                self._remember_top(conv_id, int(d["rev"]), int(d["seq_top"]), share=True)
            if clash is None:
                return
            await self._learn_clash(clash["conversation_id"], int(clash["rev"]))
            if attempt >= 3:
                await asyncio.sleep(random.uniform(0, 0.002 * min(attempt + 1, 10)))
        for conv_id, pairs in claimed.items():
            await self.void_revs(conv_id, [rev for rev, _ in pairs])
        raise Unavailable("the conversation is too busy; try again")

    async def reassert(self, in_doubt: list[dict[str, Any]]) -> list[Claim]:
        """Claims whose insert got no answer (``Claims.in_doubt``): insert each again. Returns
        those that are now stored under their own message id (they landed, or land now); a
        claim that another writer took meanwhile is not returned."""
        ours = []
        for doc in in_doubt:
            try:
                await self._revs.insert_one(dict(doc))
                ours.append(_claim(doc))
            except DuplicateKeyError:
                stored = await self._revs.find_one({"_id": doc["_id"]})
                if stored is not None and stored.get("mid") == doc["mid"]:
                    ours.append(_claim(doc))
        return ours

    def _remember_top(
        self, conversation_id: str, rev: int, seq_top: int, share: bool = False
    ) -> None:
        """Remember a claim as this process's top; ``share`` it as the hint for other
        processes (in the background) when this process made it."""
        known = self._tops.get(conversation_id)
        if known is None or known[0] < rev:
            if len(self._tops) >= MAX_CACHED and known is None:
                self._tops.pop(next(iter(self._tops)))
            self._tops[conversation_id] = (rev, seq_top)
            if share and self._hints is not None:
                self._hints.note(conversation_id, rev)

    async def _learn_clash(self, conversation_id: str, rev: int) -> None:
        """Another process claimed ``rev``: find the top above it and remember it."""
        found = await self._walk_up(conversation_id, rev)
        if found is None:
            self._tops.pop(conversation_id, None)
            await self.top(conversation_id)
        else:
            self._remember_top(conversation_id, *found)

    async def _walk_up(self, conversation_id: str, rev: int) -> tuple[int, int] | None:
        """From claim ``rev``, the highest claim and its ``seq_top``, by exact ``_id`` lookups:
        claims are contiguous and never removed, so the step doubles until a rev is unclaimed,
        then halves (about 2 log2 of the distance). None when ``rev`` is not claimed, or was
        claimed before claims carried seqs. A query on ``conversation_id`` would read every
        claim of the conversation (FerretDB v1 sorts in Go)."""

        async def claim(r: int) -> dict[str, Any] | None:
            found = await self._revs.find_one({"_id": rev_id(conversation_id, r)})
            return found if found is not None and "seq_top" in found else None

        # ``rev`` and the one above it together: from a known or hinted top (the usual case)
        # the walk is then one round trip
        top, above = await asyncio.gather(claim(rev), claim(rev + 1))
        if top is None:
            return None
        if above is None:
            return rev, int(top["seq_top"])
        low, step, high = rev + 1, 1, 0
        top = above
        while not high:
            found = await claim(low + step)
            if found is None:
                high = low + step
            else:
                low, top, step = low + step, found, step * 2
        while high - low > 1:
            mid = (low + high) // 2
            found = await claim(mid)
            if found is None:
                high = mid
            else:
                low, top = mid, found
        return low, int(top["seq_top"])

    async def plug_claims(self, claims: list[Claim], at: datetime) -> None:
        """Store a placeholder (deleted, at ``at``) for each claim of a new message, under its
        message id, seq and rev, so its message can no longer be inserted (order.py: an
        abandoned claim). A claim whose message or seq is stored already needs nothing; a
        change of an existing message, or a claim from before claims carried seqs, cannot be
        plugged and is passed over."""
        rows = [
            (placeholder(c.conversation_id, c.mid, at), c.seq_top, c.rev)
            for c in claims
            if c.new and c.seq_top > 0
        ]
        if rows:
            await self.insert_batch(rows, deleted=True)

    async def void_revs(self, conversation_id: str, revs: list[int]) -> None:
        """Mark claims whose change was not written (refused), so readers stop waiting."""
        await asyncio.gather(  # one exact _id each: an $in would read every claim on FerretDB
            *(
                retry_busy(
                    partial(
                        self._revs.update_one,
                        {"_id": rev_id(conversation_id, r)},
                        {"$set": {"void": True}},
                    )
                )
                for r in revs
            )
        )

    async def claims(self, conversation_id: str, revs: list[int]) -> dict[int, Claim]:
        """The claims of ``revs`` that exist, by exact ``_id`` lookups run concurrently."""
        docs = await find_by_ids(self._revs, [rev_id(conversation_id, r) for r in revs])
        return {int(d["rev"]): _claim(d) for d in docs}

    async def claims_between(
        self, conversation_id: str, low: int, high: int, explained: Set[int] = frozenset()
    ) -> dict[int, Claim]:
        """The claims of revs ``low`` to ``high`` but those in ``explained`` (revs the caller
        read a message at: that claim names that message). A few are read by ``_id``; more,
        from the stored pages that hold them (one equality lookup each), then by ``_id`` any rev
        the pages lack (claimed before claims had a page, or not claimed). A page costs FerretDB
        about as much CPU as eight lookups by ``_id`` (docs/performance.md)."""
        wanted = [rev for rev in range(low, high + 1) if rev not in explained]
        if len(wanted) <= FEW_CLAIMS:
            return await self.claims(conversation_id, wanted) if wanted else {}
        low, high = wanted[0], wanted[-1]
        pages = await asyncio.gather(
            *(
                self._revs.find({"conversation_id": conversation_id, "page": page}).to_list()
                for page in range(low // PAGE, high // PAGE + 1)
            )
        )
        found = {
            int(d["rev"]): _claim(d)
            for docs in pages
            for d in docs
            if low <= int(d["rev"]) <= high and int(d["rev"]) not in explained
        }
        missing = [rev for rev in wanted if rev not in found]
        return found | (await self.claims(conversation_id, missing) if missing else {})

    async def changed_between(self, conversation_id: str, low: int, high: int) -> list[Message]:
        """The messages whose current rev is ``low`` to ``high``, by rev, from the stored rev
        pages. A message stored before messages had a rev page is not among them."""
        pages = await asyncio.gather(
            *(
                self._messages.find(
                    {"conversation_id": conversation_id, "rev_page": page}
                ).to_list()
                for page in range(low // PAGE, high // PAGE + 1)
            )
        )
        found = [_message(d) for docs in pages for d in docs if low <= d["rev"] <= high]
        return sorted(found, key=lambda m: m.rev)

    async def get_messages(self, ids: list[str]) -> dict[str, Message]:
        return {d["_id"]: _message(d) for d in await find_by_ids(self._messages, ids)}

    async def top(self, conversation_id: str) -> tuple[int, int]:
        """The conversation's current rev and the highest seq assigned (read, not remembered)."""
        return (await self.tops([conversation_id]))[conversation_id]

    async def tops(self, ids: list[str]) -> dict[str, tuple[int, int]]:
        """``top`` of each conversation, concurrently; the shared hints of those this process
        has not read yet come in one request."""
        unknown = [c for c in ids if c not in self._tops]
        hints = await self._hints.get_many(unknown) if self._hints and unknown else {}
        found = await asyncio.gather(*(self._top_claim(c, hints.get(c)) for c in ids))
        for c, (rev, seq_top) in zip(ids, found, strict=True):
            self._remember_top(c, rev, seq_top)
            if c in unknown and self._hints is not None and rev and rev != hints.get(c):
                self._hints.note(c, rev)  # what this walk learned spares the next process it
        return dict(zip(ids, found, strict=True))

    async def seq_at_least(self, conversation_id: str, seq: int) -> int:
        """``seq`` if that many seqs have been assigned, else the highest one assigned. Reads
        only when ``seq`` is past the highest claim this process knows of."""
        known = self._tops.get(conversation_id)
        if known is not None and seq <= known[1]:
            return seq
        return min(seq, (await self.top(conversation_id))[1])

    async def _top_claim(self, conversation_id: str, hint: int | None = None) -> tuple[int, int]:
        """The highest claimed rev and the highest seq assigned up to it: walked up by ``_id``
        from the highest claim this process knows of, else from the shared ``hint``, else from
        rev 1. A hint that names no claim (a Redis kept from another database) is passed over."""
        known = self._tops.get(conversation_id)
        start = max(known[0], 1) if known else max(hint or 1, 1)
        walked = await self._walk_up(conversation_id, start)
        if walked is None and start > 1 and known is None:
            walked = await self._walk_up(conversation_id, 1)
        if walked is not None:
            return walked
        # no claim yet, or claims from before they carried seqs: read them all
        doc = await self._revs.find_one(
            {"conversation_id": conversation_id}, sort=[("rev", DESCENDING)]
        )
        if doc is None:
            return 0, 0  # every message is written under a claim: no claim, no message
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
        """The stored messages with these client keys (one indexed lookup each)."""
        found = await asyncio.gather(
            *(self._messages.find_one({"client_key": k}) for k in dict.fromkeys(keys))
        )
        return {d["client_key"]: _message(d) for d in found if d is not None}

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
                "page": seq // PAGE,
                "rev": rev,
                "rev_page": rev // PAGE,
                "sender_id": m.sender_id,
                "sender_name": m.sender_name,
                "kind": m.kind,
                "text": m.text,
                "card": m.card,
                "client_id": m.client_id,
                "client_key": m.client_key,
                "created_at": m.created_at,
                "deleted": deleted,
                **_extras_doc(m),
            }
            for m, seq, rev in items
        ]
        return await insert_new(self._messages, docs)

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
            query,
            {"$set": {**changes, "rev": rev, "rev_page": rev // PAGE}},
            return_document=ReturnDocument.AFTER,
        )
        return _message(doc) if doc else None

    async def history(
        self, conversation_id: str, before_seq: int | None, limit: int
    ) -> tuple[list[Message], bool]:
        """Up to ``limit`` messages below ``before_seq`` (else the newest), oldest first, and
        whether older ones exist. Seqs are dense from 1, so the seqs of the page are known: they
        are read as the one to three stored pages (``seq // PAGE``) that hold them, each one
        equality lookup, and any seq those lack (stored before messages had a page, or assigned
        and not yet written) by ``(conversation_id, seq)``. A range with a sort would read the
        whole conversation on FerretDB v1."""
        high = before_seq - 1 if before_seq is not None else (await self.top(conversation_id))[1]
        low = max(1, high - limit + 1)
        pages = await asyncio.gather(
            *(
                self._messages.find({"conversation_id": conversation_id, "page": page}).to_list()
                for page in range(low // PAGE, high // PAGE + 1)
            )
        )
        by_seq = {d["seq"]: d for docs in pages for d in docs if low <= d["seq"] <= high}
        missing = [seq for seq in range(low, high + 1) if seq not in by_seq]
        for d in await asyncio.gather(
            *(
                self._messages.find_one({"conversation_id": conversation_id, "seq": seq})
                for seq in missing
            )
        ):
            if d is not None:
                by_seq[d["seq"]] = d
        return [_message(by_seq[seq]) for seq in sorted(by_seq)], low > 1
