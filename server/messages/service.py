"""The conversation log: send, edit, delete, history, sync, read state, typing."""

from __future__ import annotations

import hashlib
import time
from typing import Any, Protocol

from server.accounts.models import Principal, User
from server.core import clock
from server.core.errors import Conflict, Forbidden, NotFound
from server.core.ids import new_id
from server.messages import order
from server.messages.members import Participants
from server.messages.models import Conversation, Message, MessageKind, NewMessage
from server.messages.repository import MessageRepository
from server.messages.schemas import (
    ConversationOut,
    MessageEnvelope,
    MessageOut,
    PeerOut,
)
from server.messages.writer import MessageWriter
from server.realtime import channels
from server.realtime.broadcaster import Broadcaster


class Directory(Protocol):
    """What the log needs to know about circles and users, supplied by the container."""

    async def circle_titles(self, circle_ids: list[str]) -> dict[str, str]: ...

    async def users(self, user_ids: list[str]) -> dict[str, User]: ...

    async def can_moderate(self, circle_id: str, user_id: str) -> bool: ...

    async def online(self, user_ids: list[str]) -> dict[str, bool]: ...


def dm_id(a: str, b: str) -> str:
    """The one DM between two users has a deterministic id, so concurrent opens create one."""
    low, high = sorted((a, b))
    return "dm" + hashlib.sha256(f"{low}:{high}".encode()).hexdigest()[:30]


class MessageService:
    def __init__(self, repo: MessageRepository, broadcaster: Broadcaster) -> None:
        self._repo = repo
        self._bus = broadcaster
        self._writer = MessageWriter(repo, self._emit_committed)
        self._participants = Participants()
        broadcaster.on_leave(self._left_channel)
        self.directory: Directory | None = None

    # membership --------------------------------------------------------------------------

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

    # listing -----------------------------------------------------------------------------

    async def list_conversations(self, user: User) -> list[ConversationOut]:
        assert self.directory is not None
        parts = await self._repo.participations(user.id)
        convs = await self._repo.get_conversations([p.conversation_id for p in parts])
        titles = await self.directory.circle_titles(
            [c.circle_id for c, _, _ in convs.values() if c.circle_id]
        )
        peers = await self.directory.users(
            [m for c, _, _ in convs.values() for m in c.members if m != user.id]
        )
        out = []
        for p in parts:
            if p.conversation_id not in convs:
                continue
            conv, rev, seq = convs[p.conversation_id]
            out.append(await self._describe(conv, rev, seq, p.read_seq, user.id, titles, peers))
        return out

    async def describe(self, conv: Conversation, user: User) -> ConversationOut:
        assert self.directory is not None
        part = await self._repo.get_participation(conv.id, user.id)
        found = await self._repo.get_conversations([conv.id])
        titles = await self.directory.circle_titles([conv.circle_id] if conv.circle_id else [])
        peers = await self.directory.users([m for m in conv.members if m != user.id])
        _, rev, seq = found[conv.id]
        return await self._describe(
            conv, rev, seq, part.read_seq if part else 0, user.id, titles, peers
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
    ) -> ConversationOut:
        peer = next((peers[m] for m in conv.members if m != viewer and m in peers), None)
        title = (
            titles.get(conv.circle_id or "", "")
            if conv.kind == "circle"
            else (peer.display_name if peer else "")
        )
        online = False
        if peer is not None and self.directory is not None:
            online = (await self.directory.online([peer.id])).get(peer.id, False)
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
        )

    # writing -----------------------------------------------------------------------------

    async def send(
        self, who: Principal, conversation_id: str, client_id: str, text: str
    ) -> Message:
        """Durably store (idempotent on client_id), then emit ``message:new``; returns the stored
        message. A retry with the same client_id returns the first copy and emits nothing.
        The sender's budget is charged by the transport (the event table)."""
        await self.require_participant(conversation_id, who.user.id)
        message, _ = await self._writer.submit(
            NewMessage(
                id=new_id(),
                conversation_id=conversation_id,
                sender_id=who.user.id,
                sender_name=who.user.display_name,
                kind="text",
                text=text,
                client_id=client_id,
                created_at=clock.now(),
            )
        )
        return message

    async def post(
        self,
        conversation_id: str,
        sender: User | None,
        kind: MessageKind,
        text: str,
        card: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> Message:
        """A server-made message (card or system notice) in the log, emitted like any other.
        With ``key``, posting again returns the message already posted under it."""
        message_id = new_id()
        message, _ = await self._writer.submit(
            NewMessage(
                id=message_id,
                conversation_id=conversation_id,
                sender_id=sender.id if sender else "system",
                sender_name=sender.display_name if sender else "Circles",
                kind=kind,
                text=text,
                client_id=f"~{key or message_id}",
                created_at=clock.now(),
                card=card,
            )
        )
        return message

    async def _emit_committed(self, messages: list[Message]) -> None:
        await self._bus.messages_new(
            [
                (
                    m.conversation_id,
                    MessageEnvelope(message=MessageOut.of(m)).model_dump(mode="json"),
                )
                for m in messages
            ]
        )

    async def edit(self, who: Principal, message_id: str, text: str) -> Message:
        message = await self._visible_message(message_id, who.user.id)
        if message.sender_id != who.user.id or message.kind != "text":
            raise Forbidden("only the sender can edit a message")
        if message.deleted:
            raise Conflict("deleted", "the message was deleted")
        return await self._change(
            message, {"text": text, "edited_at": clock.now()}, only_if={"deleted": False}
        )

    async def delete(self, who: Principal, message_id: str) -> Message:
        message = await self._visible_message(message_id, who.user.id)
        if message.sender_id != who.user.id:
            conv = await self._repo.get_conversation(message.conversation_id)
            assert self.directory is not None and conv is not None
            if not (
                conv.circle_id and await self.directory.can_moderate(conv.circle_id, who.user.id)
            ):
                raise Forbidden("only the sender or a circle owner/admin can delete a message")
        if message.deleted:
            return message
        return await self._change(message, {"text": "", "card": None, "deleted": True})

    async def update_card(self, message_id: str, card: dict[str, Any]) -> Message | None:
        """Re-render a card in place. A card only moves forward: an update carrying an older
        ``card.version`` than the stored one (a slower process) changes nothing."""
        message = await self._repo.get_message(message_id)
        if message is None or message.deleted:
            return None
        try:
            return await self._change(
                message,
                {"card": card},
                only_if={"deleted": False, "card.version": {"$lt": card["version"]}},
            )
        except Conflict:
            return None

    async def _change(
        self, message: Message, changes: dict[str, Any], only_if: dict[str, Any] | None = None
    ) -> Message:
        ((rev, _),) = await self._repo.claim_revs(message.conversation_id, [message.id], new=False)
        try:
            stored = await self._repo.update_message(message.id, rev, changes, only_if)
        except Exception:
            await self._repo.void_revs(message.conversation_id, [rev])
            raise
        if stored is None:
            await self._repo.void_revs(message.conversation_id, [rev])
            latest = await self._repo.get_message(message.id)
            if latest is None or (only_if and latest.deleted):
                raise Conflict("deleted", "the message was deleted")
            return latest
        await self._bus.message_updated(
            stored.conversation_id,
            MessageEnvelope(message=MessageOut.of(stored)).model_dump(mode="json"),
        )
        return stored

    async def _visible_message(self, message_id: str, user_id: str) -> Message:
        """A message of a conversation the user takes part in. Otherwise the same ``not_found``
        as for an id that does not exist, so outsiders cannot probe for message ids."""
        message = await self._repo.get_message(message_id)
        if message is None or not await self._repo.get_participation(
            message.conversation_id, user_id
        ):
            raise NotFound("no such message")
        return message

    # reading -----------------------------------------------------------------------------

    async def history(
        self, who: Principal, conversation_id: str, before_seq: int | None, limit: int
    ) -> tuple[list[Message], bool]:
        await self.require_participant(conversation_id, who.user.id)
        return await self._repo.history(conversation_id, before_seq, limit)

    async def sync(
        self, who: Principal, conversation_id: str, since_rev: int, limit: int
    ) -> tuple[list[Message], int, bool]:
        """Messages changed after ``since_rev``, by rev, stopping before the first rev that is
        claimed but not yet written (order.py): the returned rev is the highest one returned, so
        syncing from it again can never skip a change that was still being written.

        The page is read by rev window, at most ``limit`` revs above ``since_rev``: its claims
        and the messages whose current rev is in it, each from the stored pages that hold them
        (``rev // 50``: one equality lookup per page), and by ``_id`` the messages of claims
        those pages do not explain (superseded or still being written, or stored before rev
        pages). A query on the conversation would read all of it on FerretDB v1. A window
        whose claims were all voided or superseded is passed over."""
        await self.require_participant(conversation_id, who.user.id)
        # The top first, then claims, then messages: a rev claimed after the top was read is
        # above every claim read, so the page never includes a change whose lower neighbours
        # are unknown.
        top, _ = await self._repo.top(conversation_id)
        claims: dict[int, dict[str, Any]] = {}
        messages: list[Message] = []
        end = since_rev
        while end < top and not messages:
            start, end = end, min(top, end + limit)
            window = await self._repo.claims_between(conversation_id, start + 1, end)
            claims.update(window)
            messages = await self._repo.changed_between(conversation_id, start + 1, end)
            shown = {m.id for m in messages}
            others = await self._repo.get_messages(
                list({str(c.get("mid")) for c in window.values()} - shown)
            )
            # a message changed again above the window is read with the window of that change
            older = [m for m in others.values() if start < m.rev <= end]  # before rev pages
            messages = sorted([*messages, *older], key=lambda m: m.rev)
            now = time.time()
            if not messages and any(
                order.settle(c, others.get(str(c.get("mid"))), rev, now) != "skip"
                for rev, c in window.items()
            ):
                break  # a change still being written: stop before it
        if not messages:
            return [], since_rev, False
        has_more = end < top
        last = messages[-1].rev if messages else since_rev
        in_page = {m.id: m.rev for m in messages}
        open_claims = [
            c
            for c in (claims[rev] for rev in sorted(claims))
            if int(c["rev"]) <= last and in_page.get(str(c.get("mid")), -1) < int(c["rev"])
        ]
        if open_claims:
            found = await self._repo.get_messages(list({str(c.get("mid")) for c in open_claims}))
            now = time.time()
            for c in open_claims:
                rev = int(c["rev"])
                state = order.settle(c, found.get(str(c.get("mid"))), rev, now)
                if state != "skip":
                    # Written after the page was read, or still being written: stop before it.
                    # Once written it is fetched by the next call (or arrives live).
                    messages = [m for m in messages if m.rev < rev]
                    has_more = state == "written"
                    break
        return messages, max([since_rev, *(m.rev for m in messages)]), has_more

    async def resolve(
        self, conversation_id: str, revs: list[int]
    ) -> list[tuple[int, str | None, dict[str, Any] | None]]:
        """For live delivery in rev order: what each rev (ascending) stands for. ``(rev, event,
        payload)`` to deliver, ``(rev, None, None)`` to skip; stops with ``(rev, "pending",
        None)`` at the first rev still being written."""
        claims = await self._repo.claims(conversation_id, revs)
        found = await self._repo.get_messages(list({str(c.get("mid")) for c in claims.values()}))
        now = time.time()
        out: list[tuple[int, str | None, dict[str, Any] | None]] = []
        for rev in revs:
            c = claims.get(rev)
            m = found.get(str(c.get("mid"))) if c else None
            state = order.settle(c, m, rev, now)
            if state == "pending":
                out.append((rev, "pending", None))
                break
            if state == "written" and c is not None and m is not None:
                event = "message:new" if c.get("new") else "message:updated"
                out.append(
                    (rev, event, MessageEnvelope(message=MessageOut.of(m)).model_dump(mode="json"))
                )
            else:
                out.append((rev, None, None))
        return out

    async def mark_read(
        self, who: Principal, conversation_id: str, seq: int, sid: str | None
    ) -> int:
        await self.require_participant(conversation_id, who.user.id)
        seq = await self._repo.seq_at_least(conversation_id, seq)
        read_seq = await self._repo.advance_read(conversation_id, who.user.id, seq)
        await self._bus.to_user(
            who.user.id,
            "read",
            {"conversation_id": conversation_id, "read_seq": read_seq},
            skip_sid=sid,
        )
        return read_seq

    async def typing(self, who: Principal, conversation_id: str, sid: str | None) -> None:
        conv = await self.require_participant(conversation_id, who.user.id)
        await self._bus.to_channel(
            conv.channel,
            "typing",
            {"conversation_id": conversation_id, "user_id": who.user.id},
            skip_sid=sid,
        )

    async def drain(self) -> None:
        await self._writer.drain()
