"""Who takes part in which conversation: circle conversations, DMs, participants, the gate.

A base of ``MessageService`` (service.py), kept apart so each module holds one concept.
"""

from __future__ import annotations

import hashlib

from server.accounts.models import User
from server.core import clock
from server.core.errors import NotFound
from server.core.ids import new_id
from server.messages.members import Participants
from server.messages.models import Conversation
from server.messages.repository import MessageRepository
from server.realtime import channels
from server.realtime.broadcaster import Broadcaster


def dm_id(a: str, b: str) -> str:
    """The one DM between two users has a deterministic id, so concurrent opens create one."""
    low, high = sorted((a, b))
    return "dm" + hashlib.sha256(f"{low}:{high}".encode()).hexdigest()[:30]


class ConversationMembers:
    def __init__(self, repo: MessageRepository, broadcaster: Broadcaster) -> None:
        self._repo = repo
        self._bus = broadcaster
        self._participants = Participants()
        broadcaster.on_leave(self._left_channel)

    async def create_circle_conversation(self, circle_id: str) -> Conversation:
        conv = Conversation(id=new_id(), kind="circle", created_at=clock.now(), circle_id=circle_id)
        await self._repo.insert_conversation(conv)
        return conv

    async def add_participant(self, conv: Conversation, user_id: str) -> None:
        """Durably add, then move the user's live sockets into the channel on every process."""
        await self._repo.add_participant(conv.id, user_id, clock.now())
        await self._bus.enter(user_id, conv.channel)

    async def remove_participant(self, conv: Conversation, user_id: str) -> None:
        """Durably remove; every process forgets the participation and moves the user's
        sockets out of the channel."""
        await self._repo.remove_participant(conv.id, user_id)
        self._participants.forget(conv.id, user_id)
        await self._bus.leave(user_id, conv.channel)

    def _left_channel(self, user_id: str, channel: str) -> None:
        conversation_id = channels.conversation_of(channel)
        if conversation_id is not None:
            self._participants.forget(conversation_id, user_id)

    async def channels_of(self, user_id: str) -> list[str]:
        """The channels of every conversation the user takes part in (one query: a channel
        name follows from the conversation id)."""
        return [
            channels.conversation(p.conversation_id)
            for p in await self._repo.participations(user_id)
        ]

    async def dm_exists(self, a: str, b: str) -> bool:
        return await self._repo.get_conversation(dm_id(a, b)) is not None

    async def open_dm(self, me: User, peer: User) -> tuple[Conversation, bool]:
        conv = Conversation(
            id=dm_id(me.id, peer.id),
            kind="dm",
            created_at=clock.now(),
            members=tuple(sorted((me.id, peer.id))),
        )
        created = await self._repo.insert_conversation(conv)
        stored = await self._repo.get_conversation(conv.id)
        assert stored is not None
        for user_id in stored.members:
            await self.add_participant(stored, user_id)
        return stored, created

    async def require_participant(self, conversation_id: str, user_id: str) -> Conversation:
        """The access gate: non-participants get ``not_found``, so outsiders learn nothing.
        A participation once read is remembered until the user leaves (members.py)."""
        if self._participants.knows(conversation_id, user_id):
            conv = await self._repo.get_conversation(conversation_id)
            if conv is not None:
                return conv
        epoch = self._participants.epoch
        part = await self._repo.get_participation(conversation_id, user_id)
        conv = await self._repo.get_conversation(conversation_id) if part else None
        if conv is None:
            raise NotFound("no such conversation")
        self._participants.learn(conversation_id, user_id, epoch)
        return conv
