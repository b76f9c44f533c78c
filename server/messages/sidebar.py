"""The conversation list: titles, peers, unread and mention counts, and the latest message.

The preview is the message at the conversation's highest seq (one lookup on the unique
``(conversation_id, seq)`` index per conversation, which ``top`` already knows), so it is always
current without a summary to keep in step. ``last_activity_at`` is that message's time, else
the conversation's creation: a client sorts by it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from server.accounts.models import User
from server.messages.models import Conversation, Message
from server.messages.replies import first_line
from server.messages.schemas import ConversationOut, LastMessageOut, PeerOut

if TYPE_CHECKING:
    from server.messages.service import MessageService


def preview(m: Message | None) -> LastMessageOut | None:
    if m is None:
        return None
    return LastMessageOut(
        id=m.id,
        seq=m.seq,
        sender_id=m.sender_id,
        sender_name=m.sender_name,
        kind=m.kind,
        text="" if m.deleted else first_line(m.text),
        attachments=len(m.attachments),
        deleted=m.deleted,
        created_at=m.created_at,
    )


class Sidebar:
    def __init__(self, log: MessageService) -> None:
        self._log = log

    async def _last(self, conversation_id: str, seq: int) -> Message | None:
        """The message at ``seq``, or below it when that seq is claimed but not yet written."""
        for at in range(seq, max(0, seq - 3), -1):
            found = await self._log.extras.message_at(conversation_id, at)
            if found is not None:
                return found
        return None

    async def list(self, user: User) -> list[ConversationOut]:
        repo, directory = self._log.repo, self._log.directory_or_fail()
        parts = await repo.participations(user.id)
        convs = await repo.get_conversations([p.conversation_id for p in parts])
        titles = await directory.circle_titles(
            [c.circle_id for c, _, _ in convs.values() if c.circle_id]
        )
        peers = await directory.users(
            [m for c, _, _ in convs.values() for m in c.members if m != user.id]
        )
        reads = {p.conversation_id: p.read_seq for p in parts}
        mentions = await self._log.mentions.unread(user.id, reads)
        lasts = await asyncio.gather(*(self._last(conv.id, seq) for conv, _, seq in convs.values()))
        last_of = dict(zip(convs, lasts, strict=True))
        out = []
        for p in parts:
            if p.conversation_id not in convs:
                continue
            conv, rev, seq = convs[p.conversation_id]
            out.append(
                await self._describe(
                    conv,
                    rev,
                    seq,
                    p.read_seq,
                    user.id,
                    titles,
                    peers,
                    mentions.get(conv.id, 0),
                    last_of[conv.id],
                )
            )
        return out

    async def describe(self, conv: Conversation, user: User) -> ConversationOut:
        repo, directory = self._log.repo, self._log.directory_or_fail()
        part = await repo.get_participation(conv.id, user.id)
        found = await repo.get_conversations([conv.id])
        titles = await directory.circle_titles([conv.circle_id] if conv.circle_id else [])
        peers = await directory.users([m for m in conv.members if m != user.id])
        _, rev, seq = found[conv.id]
        read_seq = part.read_seq if part else 0
        mentions = await self._log.mentions.unread(user.id, {conv.id: read_seq})
        return await self._describe(
            conv,
            rev,
            seq,
            read_seq,
            user.id,
            titles,
            peers,
            mentions.get(conv.id, 0),
            await self._last(conv.id, seq),
        )

    async def _describe(
        self,
        conv: Conversation,
        rev: int,
        seq: int,
        read_seq: int,
        viewer: str,
        titles: dict[str, str],
        peers: dict[str, User],
        mentions: int,
        last: Message | None,
    ) -> ConversationOut:
        peer = next((peers[m] for m in conv.members if m != viewer and m in peers), None)
        title = (
            titles.get(conv.circle_id or "", "")
            if conv.kind == "circle"
            else (peer.display_name if peer else "")
        )
        online = False
        if peer is not None:
            online = (await self._log.directory_or_fail().online([peer.id])).get(peer.id, False)
        return ConversationOut(
            id=conv.id,
            kind=conv.kind,
            title=title,
            circle_id=conv.circle_id,
            peer=PeerOut(
                id=peer.id, handle=peer.handle, display_name=peer.display_name, online=online
            )
            if peer
            else None,
            seq=seq,
            rev=rev,
            read_seq=min(read_seq, seq),
            unread=max(0, seq - read_seq),
            mentions=mentions,
            last_message=preview(last),
            last_activity_at=last.created_at if last else conv.created_at,
        )
