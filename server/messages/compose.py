"""Pieces of a message's life that are not I/O: the tombstone of a deletion, the settle loop's
types, and the attachment gate."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from server.core.errors import Invalid
from server.messages.models import Attachment, AttachmentResolver, Message

# settle: the fields to write and the value the message should then show, and whether a message
# shows that value
Derive = Callable[[], Awaitable[tuple[dict[str, Any], Any]]]
Shows = Callable[[Message, Any], bool]

SETTLE_ROUNDS = 20
# What a deleted message keeps of what it carried: nothing.
TOMBSTONE: dict[str, Any] = {
    "text": "",
    "card": None,
    "deleted": True,
    "reply_to": None,
    "reply": None,
    "mentions": [],
    "mention_everyone": False,
    "reactions": [],
    "pinned": False,
    "attachments": [],
}


async def attach(
    resolver: AttachmentResolver | None,
    user_id: str,
    conversation_id: str,
    upload_ids: list[str] | None,
) -> list[Attachment]:
    """The attachments of a new message, from the upload store (refused when none is wired)."""
    if not upload_ids:
        return []
    if resolver is None:
        raise Invalid(
            "attachments are not available",
            {"fields": {"attachments": "attachments are not available"}},
        )
    return await resolver.attach(user_id, conversation_id, upload_ids)
