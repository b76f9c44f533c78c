"""What replies, reactions, mentions and pins keep in MongoDB.

Each feature has its own collection as the source of truth, keyed so that a retried or concurrent
step cannot count twice: a reaction's ``_id`` is a digest of (message, user, emoji), a mention's
is (message, user), a pin's is the message id. What the message itself shows (counts, the pinned
flag, a quote) is derived from these and written as a change of the message (service.settle).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from server.core.mongo import Db, Index, insert_new, retry_busy
from server.messages.models import Message
from server.messages.repository import _message

INDEXES = {
    "reactions": [Index([("message_id", 1)], "message")],
    # only unread mentions are kept (reading past one deletes it), so a user's are few
    "mentions": [Index([("user_id", 1)], "user"), Index([("message_id", 1)], "message")],
    "pins": [Index([("conversation_id", 1)], "conversation")],
}


def reaction_id(message_id: str, user_id: str, emoji: str) -> str:
    return hashlib.blake2b(f"{message_id}\n{user_id}\n{emoji}".encode(), digest_size=20).hexdigest()


class ChatRepository:
    def __init__(self, db: Db) -> None:
        self._messages = db["messages"]
        self._reactions = db["reactions"]
        self._mentions = db["mentions"]
        self._pins = db["pins"]

    # messages ------------------------------------------------------------------------------

    async def replies_to(self, message_id: str) -> list[Message]:
        """The messages quoting ``message_id`` (one equality lookup on ``reply_to``)."""
        return [_message(d) async for d in self._messages.find({"reply_to": message_id})]

    async def message_at(self, conversation_id: str, seq: int) -> Message | None:
        doc = await self._messages.find_one({"conversation_id": conversation_id, "seq": seq})
        return _message(doc) if doc else None

    # reactions -----------------------------------------------------------------------------

    async def add_reaction(
        self, message_id: str, conversation_id: str, user_id: str, emoji: str, at: datetime
    ) -> bool:
        """Insert; False when this user already reacted so (the unique ``_id`` settles it)."""
        try:
            await retry_busy(
                lambda: self._reactions.insert_one(
                    {
                        "_id": reaction_id(message_id, user_id, emoji),
                        "message_id": message_id,
                        "conversation_id": conversation_id,
                        "user_id": user_id,
                        "emoji": emoji,
                        "at": at,
                    }
                )
            )
            return True
        except DuplicateKeyError:
            return False

    async def remove_reaction(self, message_id: str, user_id: str, emoji: str) -> bool:
        found = await retry_busy(
            lambda: self._reactions.delete_one({"_id": reaction_id(message_id, user_id, emoji)})
        )
        return found.deleted_count > 0

    async def has_reaction(self, message_id: str, user_id: str, emoji: str) -> bool:
        doc = await self._reactions.find_one({"_id": reaction_id(message_id, user_id, emoji)})
        return doc is not None

    async def reactions_of(self, message_id: str) -> list[tuple[str, str, datetime]]:
        """``(emoji, user_id, at)`` of every reaction on the message, oldest first."""
        found = [
            (d["emoji"], d["user_id"], d["at"])
            async for d in self._reactions.find({"message_id": message_id})
        ]
        return sorted(found, key=lambda r: (r[2], r[1]))

    # mentions ------------------------------------------------------------------------------

    async def add_mentions(
        self, message_id: str, conversation_id: str, seq: int, user_ids: list[str]
    ) -> None:
        """Idempotent: a mention already recorded is kept as it is."""
        docs = [
            {
                "_id": f"{message_id}:{u}",
                "message_id": message_id,
                "conversation_id": conversation_id,
                "user_id": u,
                "seq": seq,
            }
            for u in user_ids
        ]
        await insert_new(self._mentions, docs)

    async def unread_mentions(self, user_id: str) -> list[tuple[str, int]]:
        """``(conversation_id, seq)`` of the user's mentions not yet read past."""
        cursor = self._mentions.find({"user_id": user_id}, {"conversation_id": 1, "seq": 1})
        return [(d["conversation_id"], int(d["seq"])) async for d in cursor]

    async def clear_mentions(self, conversation_id: str, user_id: str, read_seq: int) -> None:
        """Forget the user's mentions at or below ``read_seq`` (they are read)."""
        await retry_busy(
            lambda: self._mentions.delete_many(
                {"user_id": user_id, "conversation_id": conversation_id, "seq": {"$lte": read_seq}}
            )
        )

    async def drop_mentions_of(self, message_id: str) -> None:
        await retry_busy(lambda: self._mentions.delete_many({"message_id": message_id}))

    # pins ----------------------------------------------------------------------------------

    async def pin(self, message_id: str, conversation_id: str, user_id: str, at: datetime) -> bool:
        try:
            await retry_busy(
                lambda: self._pins.insert_one(
                    {
                        "_id": message_id,
                        "conversation_id": conversation_id,
                        "pinned_by": user_id,
                        "pinned_at": at,
                    }
                )
            )
            return True
        except DuplicateKeyError:
            return False

    async def unpin(self, message_id: str) -> None:
        await retry_busy(lambda: self._pins.delete_one({"_id": message_id}))

    async def is_pinned(self, message_id: str) -> bool:
        return await self._pins.find_one({"_id": message_id}) is not None

    async def pins_of(self, conversation_id: str) -> list[tuple[str, datetime]]:
        """``(message_id, pinned_at)`` of the conversation's pins, newest first."""
        found: list[dict[str, Any]] = await self._pins.find(
            {"conversation_id": conversation_id}
        ).to_list()
        return [
            (d["_id"], d["pinned_at"])
            for d in sorted(found, key=lambda d: d["pinned_at"], reverse=True)
        ]
