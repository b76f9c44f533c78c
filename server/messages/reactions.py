"""Reactions: an emoji a member puts on a message.

The ``reactions`` collection is the source of truth: one document per (message, user, emoji)
under a digest of the triple, so adding twice (or concurrently) stores one. What the message
shows (a count per emoji and the first ``REACTOR_IDS`` reactors) is recomputed from those
documents and written as a change of the message (a new rev, ``message:updated``, carried by
``sync``). FerretDB v1 updates are not atomic, so the summary is written until the stored message
shows what the documents say (``MessageService.settle``): the last writer leaves every reaction.

``me``: acks, ``history`` and ``sync`` answer it per viewer; broadcasts carry ``me: null`` (one
payload goes to every member) and a client compares ``user_ids`` with its own id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from server.accounts.models import Principal
from server.core import clock
from server.core.errors import Conflict
from server.messages.models import Message, Reaction
from server.messages.repository import reactions_doc

if TYPE_CHECKING:
    from server.messages.service import MessageService

REACTOR_IDS = 50  # reactor ids shown per emoji; the count is exact beyond them
MAX_EMOJI = 20  # distinct emoji per message


def summarize(rows: list[tuple[str, str, Any]]) -> tuple[Reaction, ...]:
    """Per emoji, in the order each was first used: the count and the first reactors."""
    users: dict[str, list[str]] = {}
    for emoji, user_id, _ in rows:
        users.setdefault(emoji, []).append(user_id)
    return tuple(Reaction(e, len(u), tuple(u[:REACTOR_IDS])) for e, u in users.items())


class Reactions:
    def __init__(self, log: MessageService) -> None:
        self._log = log

    async def add(self, who: Principal, message_id: str, emoji: str) -> Message:
        """Idempotent: reacting again with the same emoji changes nothing. Refused on a deleted
        message, and for a new emoji once the message has ``MAX_EMOJI`` distinct ones."""
        message = await self._log.visible_message(message_id, who.user.id)
        if message.deleted:
            raise Conflict("deleted", "the message was deleted")
        rows = await self._log.extras.reactions_of(message_id)
        used = {e for e, _, _ in rows}
        if emoji not in used and len(used) >= MAX_EMOJI:
            raise Conflict("too_many_reactions", f"a message takes at most {MAX_EMOJI} emoji")
        await self._log.extras.add_reaction(
            message_id, message.conversation_id, who.user.id, emoji, clock.now()
        )
        return await self._show(message_id)

    async def remove(self, who: Principal, message_id: str, emoji: str) -> Message:
        """Idempotent: removing a reaction that is not there changes nothing."""
        message = await self._log.visible_message(message_id, who.user.id)
        if message.deleted:
            raise Conflict("deleted", "the message was deleted")
        await self._log.extras.remove_reaction(message_id, who.user.id, emoji)
        return await self._show(message_id)

    async def _show(self, message_id: str) -> Message:
        async def derive() -> tuple[dict[str, Any], tuple[Reaction, ...]]:
            summary = summarize(await self._log.extras.reactions_of(message_id))
            return {"reactions": reactions_doc(summary)}, summary

        return await self._log.settle(message_id, derive, lambda m, want: m.reactions == want)

    async def mine(self, user_id: str, messages: list[Message]) -> dict[str, set[str]]:
        """Per message id, the emoji ``user_id`` reacted with: from the shown reactors, and by
        exact ``_id`` for an emoji with more reactors than are shown."""
        out: dict[str, set[str]] = {}
        for m in messages:
            found = out.setdefault(m.id, set())
            for r in m.reactions:
                if user_id in r.user_ids or (
                    r.count > len(r.user_ids)
                    and await self._log.extras.has_reaction(m.id, user_id, r.emoji)
                ):
                    found.add(r.emoji)
        return out
