"""Opening DMs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from server.accounts.models import User
from server.accounts.service import AccountService
from server.core.errors import Forbidden, Invalid, NotFound
from server.messages.schemas import ConversationOut
from server.messages.service import MessageService
from server.realtime.broadcaster import Broadcaster
from server.rooms.service import CircleService


class DmService:
    def __init__(
        self,
        messages: MessageService,
        circles: CircleService,
        accounts: AccountService,
        broadcaster: Broadcaster,
    ) -> None:
        self._messages = messages
        self._circles = circles
        self._accounts = accounts
        self._bus = broadcaster
        # (me, peer): refuses a DM between users where one blocked the other (moderation/blocks)
        self.blocks: Callable[[str, str], Awaitable[None]] | None = None

    async def open(self, me: User, peer_id: str, sid: str | None) -> ConversationOut:
        """Create the DM the first time (allowed when the two share a circle); tell the peer and
        my other sockets with ``conversation:new``."""
        if peer_id == me.id:
            raise Invalid("cannot open a DM with yourself", {"fields": {"user_id": "is you"}})
        peer = await self._accounts.get_user(peer_id)
        if peer is None:
            raise NotFound("no such user")
        if self.blocks is not None:  # before anything is created or told
            await self.blocks(me.id, peer.id)
        # An existing DM stays open after the two stop sharing a circle; a new one needs one.
        if not await self._messages.dm_exists(me.id, peer.id) and not (
            await self._circles.share_a_circle(me.id, peer.id)
        ):
            raise Forbidden("you can message people you share a circle with")
        conv, created = await self._messages.open_dm(me, peer)
        mine = await self._messages.describe(conv, me)
        if created:
            theirs = await self._messages.describe(conv, peer)
            await self._bus.to_user(
                peer.id, "conversation:new", {"conversation": theirs.model_dump(mode="json")}
            )
            await self._bus.to_user(
                me.id,
                "conversation:new",
                {"conversation": mine.model_dump(mode="json")},
                skip_sid=sid,
            )
        return mine
