"""Pins: circle owners and admins pin messages; members list a conversation's pins.

The ``pins`` collection is the source of truth (one document per pinned message, ``_id`` = the
message id, so pinning twice stores one); the message shows ``pinned`` as a change of the
message (new rev, ``message:updated``, carried by ``sync``), written until it agrees with the
collection (``MessageService.settle``). Deleting a message drops its pin. DMs have no pins: no
one there is an owner or admin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from server.accounts.models import Principal
from server.core import clock
from server.core.errors import Conflict, Forbidden
from server.messages.models import Message

if TYPE_CHECKING:
    from server.messages.service import MessageService

MAX_PINS = 50  # per conversation


class Pins:
    def __init__(self, log: MessageService) -> None:
        self._log = log

    async def _gate(self, who: Principal, message_id: str) -> Message:
        message = await self._log.visible_message(message_id, who.user.id)
        conv = await self._log.repo.get_conversation(message.conversation_id)
        assert conv is not None
        if not await self._log.can_moderate(conv, who.user.id, "pin"):
            raise Forbidden("only a circle's owners, admins and moderators can pin messages")
        if message.deleted:
            raise Conflict("deleted", "the message was deleted")
        return message

    async def pin(self, who: Principal, message_id: str) -> Message:
        """Idempotent. Refused (``conflict``, ``too_many_pins``) beyond ``MAX_PINS``."""
        message = await self._gate(who, message_id)
        if not await self._log.extras.is_pinned(message_id):
            if len(await self._log.extras.pins_of(message.conversation_id)) >= MAX_PINS:
                raise Conflict("too_many_pins", f"a conversation keeps at most {MAX_PINS} pins")
            await self._log.extras.pin(
                message_id, message.conversation_id, who.user.id, clock.now()
            )
        return await self._show(message_id)

    async def unpin(self, who: Principal, message_id: str) -> Message:
        """Idempotent."""
        await self._gate(who, message_id)
        await self._log.extras.unpin(message_id)
        return await self._show(message_id)

    async def _show(self, message_id: str) -> Message:
        async def derive() -> tuple[dict[str, Any], bool]:
            pinned = await self._log.extras.is_pinned(message_id)
            return {"pinned": pinned}, pinned

        return await self._log.settle(message_id, derive, lambda m, want: m.pinned == want)

    async def listing(self, who: Principal, conversation_id: str) -> list[Message]:
        """The conversation's pinned messages, most recently pinned first (members only)."""
        await self._log.require_participant(conversation_id, who.user.id)
        pins = await self._log.extras.pins_of(conversation_id)
        found = await self._log.repo.get_messages([mid for mid, _ in pins])
        return [found[mid] for mid, _ in pins if mid in found and not found[mid].deleted]
