"""Replies: a message may quote an earlier message of its conversation.

The quote (sender, first line, deleted state, and ``removed_by`` when a moderator removed it) is a
copy kept current: when the quoted message is edited or deleted, every reply quoting it (found by
the equality-indexed ``reply_to``) is changed too, with a new rev, so ``sync`` carries the new
quote like any other change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from server.core.errors import Conflict, Invalid
from server.messages.models import Message, Reply
from server.messages.repository import reply_doc

if TYPE_CHECKING:
    from server.messages.service import MessageService

QUOTE_CHARS = 140


def first_line(text: str, limit: int = QUOTE_CHARS) -> str:
    """The first non-blank line, trimmed to ``limit`` characters (an ellipsis marks a cut)."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def quote_of(m: Message) -> Reply:
    return Reply(
        id=m.id,
        seq=m.seq,
        sender_id=m.sender_id,
        sender_name=m.sender_name,
        text="" if m.deleted else first_line(m.text),
        deleted=m.deleted,
        removed_by=m.removed_by if m.deleted else None,
    )


class Replies:
    def __init__(self, log: MessageService) -> None:
        self._log = log

    async def quote(self, conversation_id: str, reply_to: str) -> Reply:
        """The quote of ``reply_to`` for a new message of ``conversation_id``. A message of
        another conversation reads as missing, so no id of a foreign conversation is confirmed."""
        original = await self._log.repo.get_message(reply_to)
        if original is None or original.conversation_id != conversation_id:
            raise Invalid(
                "no such message in this conversation",
                {"fields": {"reply_to": "no such message in this conversation"}},
            )
        if original.deleted:
            raise Conflict("deleted", "the message replied to was deleted")
        return quote_of(original)

    async def refresh(self, original_id: str) -> None:
        """Bring every reply quoting ``original_id`` up to date with it (each a new rev)."""
        for reply in await self._log.extras.replies_to(original_id):
            if not reply.deleted:
                await self.settle_quote(reply.id, original_id)

    async def settle_quote(self, reply_id: str, original_id: str) -> None:
        """Make the reply's quote match the original as it is now; no change when it does.
        The quote is derived again on every attempt, so concurrent edits converge."""

        async def derive() -> tuple[dict[str, Any], Reply | None]:
            original = await self._log.repo.get_message(original_id)
            quote = quote_of(original) if original else None
            return {"reply": reply_doc(quote)}, quote

        try:
            await self._log.settle(reply_id, derive, lambda m, want: m.reply == want)
        except Conflict:
            pass  # the reply itself was deleted meanwhile
