"""The conversation log: send, edit, delete, history, sync, read state, typing.

Replies, reactions, mentions, pins and the conversation list live in their own modules
(replies.py, reactions.py, mentions.py, pins.py, sidebar.py) and use the log through ``settle``
and the gates here.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from server.accounts.models import Principal, User
from server.core import clock
from server.core.errors import Conflict, Forbidden, NotFound
from server.core.ids import new_id
from server.messages import order
from server.messages.compose import SETTLE_ROUNDS, TOMBSTONE, Derive, Shows, attach
from server.messages.membership import ConversationMembers, dm_id
from server.messages.mentions import Mentions
from server.messages.models import (
    AttachmentResolver,
    Conversation,
    Message,
    MessageKind,
    NewMessage,
)
from server.messages.pins import Pins
from server.messages.reactions import Reactions
from server.messages.replies import Replies
from server.messages.repository import MessageRepository
from server.messages.repository_extras import ChatRepository
from server.messages.schemas import ConversationOut, MessageOut, broadcast_wire
from server.messages.sidebar import Sidebar
from server.messages.syncing import resolve_revs, sync_page
from server.messages.writer import MessageWriter
from server.moderation.permissions import Permission
from server.realtime.broadcaster import Broadcaster


class Directory(Protocol):
    """What the log needs to know about circles and users, supplied by the container."""

    async def circle_titles(self, circle_ids: list[str]) -> dict[str, str]: ...

    async def users(self, user_ids: list[str]) -> dict[str, User]: ...

    async def can_moderate(self, circle_id: str, user_id: str, permission: Permission) -> bool: ...

    async def online(self, user_ids: list[str]) -> dict[str, bool]: ...

    async def users_by_handles(self, handles: list[str]) -> dict[str, User]: ...


# (circle_id, user_id, client_id, text, has attachments): refuses a circle send (mute, rules,
# slow mode, media the role may not post, a newcomer's link: moderation/gate.py) without writing,
# or lets it through with a step to run right before the message is stored (slow mode's claim),
# which may still refuse it
SendGate = Callable[[str, str, str, str, bool], Awaitable[Callable[[], Awaitable[None]] | None]]
# (sender_id, peer_id): refuses a DM send between users where one blocked the other
# (moderation/blocks.py)
DmGate = Callable[[str, str], Awaitable[None]]
# (circle_id, moderator_id, message_id, sender_id, reason): a moderator deleted someone's message
ModeratedDelete = Callable[[str, str, str, str, str], Awaitable[None]]

log = logging.getLogger(__name__)
# payloads kept for acks: a send's ack takes its payload right after the commit, so this only
# bounds what server-made messages (no ack) leave behind
WIRE_KEPT = 2_000
__all__ = ["Directory", "MessageService", "dm_id"]  # dm_id: its old home, still imported


class MessageService(ConversationMembers):
    def __init__(
        self, repo: MessageRepository, broadcaster: Broadcaster, extras: ChatRepository
    ) -> None:
        super().__init__(repo, broadcaster)
        self.repo = repo
        self.extras = extras
        self._writer = MessageWriter(repo, self._emit_committed)
        self.directory: Directory | None = None
        self.attachments: AttachmentResolver | None = None  # the upload store, when wired
        # Told of every message after it is stored or changed (the search index). They only
        # queue and never raise: the commit and its ack never wait for them (_observe).
        self.observers: list[Callable[[list[Message]], None]] = []
        self.replies = Replies(self)
        self.reactions = Reactions(self)
        self.mentions = Mentions(self)
        self.pins = Pins(self)
        self.sidebar = Sidebar(self)
        self.send_gate: SendGate | None = None  # moderation, when wired
        self.dm_gate: DmGate | None = None  # blocks, when wired
        self.moderated_delete: ModeratedDelete | None = None  # the audit log, when wired
        # message id -> its ``message:new`` payload, for the sender's ack (``committed_wire``)
        self._wire: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def directory_or_fail(self) -> Directory:
        assert self.directory is not None, "the container sets the directory"
        return self.directory

    async def can_moderate(
        self, conv: Conversation, user_id: str, permission: Permission = "delete_messages"
    ) -> bool:
        """Whether ``user_id``'s role in the conversation's circle holds ``permission`` (the
        table: moderation/permissions.py); never in a DM."""
        return bool(conv.circle_id) and await self.directory_or_fail().can_moderate(
            conv.circle_id or "", user_id, permission
        )

    # listing -----------------------------------------------------------------------------

    async def list_conversations(self, user: User) -> list[ConversationOut]:
        return await self.sidebar.list(user)

    async def describe(self, conv: Conversation, user: User) -> ConversationOut:
        return await self.sidebar.describe(conv, user)

    # writing -----------------------------------------------------------------------------

    async def send(
        self,
        who: Principal,
        conversation_id: str,
        client_id: str,
        text: str,
        reply_to: str | None = None,
        attachments: list[str] | None = None,
    ) -> Message:
        """Durably store (idempotent on client_id), then emit ``message:new``; returns the stored
        message. A retry with the same client_id returns the first copy and emits nothing.
        A bad ``reply_to`` or attachment refuses the send before anything is stored. The
        sender's budget is charged by the transport (the event table)."""
        conv = await self.require_participant(conversation_id, who.user.id)
        commit, media = None, bool(attachments)
        if self.send_gate is not None and conv.circle_id:  # before anything that writes
            commit = await self.send_gate(conv.circle_id, who.user.id, client_id, text, media)
        elif self.dm_gate is not None and conv.kind == "dm":
            for peer in conv.members:
                if peer != who.user.id:
                    await self.dm_gate(who.user.id, peer)
        new = NewMessage(
            id=new_id(),
            conversation_id=conversation_id,
            sender_id=who.user.id,
            sender_name=who.user.display_name,
            kind="text",
            text=text,
            client_id=client_id,
            created_at=clock.now(),
            reply=await self.replies.quote(conversation_id, reply_to) if reply_to else None,
            attachments=tuple(
                await attach(self.attachments, who.user.id, conversation_id, attachments)
            ),
        )
        mentions, new.mention_everyone = await self.mentions.resolve(conv, who.user, text)
        new.mentions = tuple(mentions)
        if commit is not None:
            await commit()
        message = await self._submit(new)
        if message.reply is not None:  # the original may have changed while this was written
            await self.replies.settle_quote(message.id, message.reply.id)
        await self.mentions.record(conv, message)
        return message

    async def post(
        self,
        conversation_id: str,
        sender: User | None,
        kind: MessageKind,
        text: str,
        card: dict[str, Any] | None = None,
        key: str | None = None,
        mentions: tuple[list[str], bool] = ([], False),
    ) -> Message:
        """A server-made message (card, notice, approved held message) in the log, emitted like
        any other; with ``key``, posting again returns the one posted under it. The caller
        resolves ``mentions`` (``self.mentions``) and records them."""
        message_id = new_id()
        return await self._submit(
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
                mentions=tuple(mentions[0]),
                mention_everyone=mentions[1],
            )
        )

    async def _submit(self, new: NewMessage) -> Message:
        message, created = await self._writer.submit(new)
        if created:
            return message
        # a retry: the stored copy (a concurrent twin was answered with the writer's)
        return await self._repo.get_message(message.id) or message

    async def _emit_committed(self, messages: list[Message]) -> None:
        payloads = [(m, {"message": broadcast_wire(m)}) for m in messages]
        for m, payload in payloads:  # the sender's ack is the same payload (``committed_wire``)
            self._wire[m.id] = payload
        while len(self._wire) > WIRE_KEPT:
            self._wire.popitem(last=False)
        await self._bus.messages_new([(m.conversation_id, payload) for m, payload in payloads])
        self._observe(messages)

    def committed_wire(self, m: Message) -> dict[str, Any] | None:
        """The ``message:new`` payload this process built for ``m`` when it was stored, if it is
        what the sender's ack must say: of this very change (rev), and with no reactions (whose
        ``me`` the ack answers for the sender, the broadcast for nobody). Taken once."""
        payload = self._wire.pop(m.id, None)
        if payload is None or m.reactions or payload["message"]["rev"] != m.rev:
            return None
        return payload

    def _observe(self, messages: list[Message]) -> None:
        for observer in self.observers:
            try:
                observer(messages)
            except Exception:  # an observer's failure never fails a stored change
                log.exception("a message observer failed")

    async def edit(self, who: Principal, message_id: str, text: str) -> Message:
        """Mentions are resolved again from the new text; replies quoting it are refreshed."""
        message = await self.visible_message(message_id, who.user.id)
        if message.sender_id != who.user.id or message.kind != "text":
            raise Forbidden("only the sender can edit a message")
        if message.deleted:
            raise Conflict("deleted", "the message was deleted")
        conv = await self.require_participant(message.conversation_id, who.user.id)
        mentions, everyone = await self.mentions.resolve(conv, who.user, text)
        stored = await self._change(
            message,
            {
                "text": text,
                "edited_at": clock.now(),
                "mentions": mentions,
                "mention_everyone": everyone,
            },
            only_if={"deleted": False},
        )
        await self.extras.drop_mentions_of(message.id)
        await self.mentions.record(conv, stored)
        await self.replies.refresh(message.id)
        return stored

    async def delete(self, who: Principal, message_id: str, reason: str = "") -> Message:
        """A tombstone keeps its place (seq) and nothing it carried: its pin, mentions,
        reactions and attachments go; replies quoting it show it deleted."""
        message = await self.visible_message(message_id, who.user.id)
        by_moderator = message.sender_id != who.user.id
        conv = await self._repo.get_conversation(message.conversation_id)
        assert conv is not None
        if by_moderator and not await self.can_moderate(conv, who.user.id):
            raise Forbidden("only the sender or a circle moderator can delete a message")
        if message.deleted:
            return message
        # the tombstone says who removed it: a moderator, not its sender
        tombstone = {**TOMBSTONE, "removed_by": "moderator" if by_moderator else None}
        stored = await self._change(message, tombstone)
        if by_moderator and self.moderated_delete is not None and conv.circle_id:
            await self.moderated_delete(
                conv.circle_id, who.user.id, message.id, message.sender_id, reason
            )
        await self.extras.unpin(message.id)
        await self.extras.drop_mentions_of(message.id)
        await self.replies.refresh(message.id)
        if message.attachments and self.attachments is not None:
            try:
                await self.attachments.detach(
                    message.conversation_id, [a.id for a in message.attachments]
                )
            except Exception:
                log.exception("detaching the attachments of %s failed", message.id)
        return stored

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

    async def settle(self, message_id: str, derive: Derive, shows: Shows) -> Message:
        """Write fields derived from their source of truth (reactions, pins, a quoted message)
        as changes of the message, until the stored message shows what the source says. Each
        write claims its rev before deriving, so the write holding the highest rev saw every
        source change made before any lower claim; the re-read after each write catches a write
        lost to a concurrent one (FerretDB v1 updates are not atomic). A message that already
        shows it is not changed (no new rev). Refused (``conflict``, ``deleted``) on a deleted
        message."""
        rounds, wrote = 0, 0
        while True:
            message = await self._repo.get_message(message_id)
            if message is None or message.deleted:
                raise Conflict("deleted", "the message was deleted")
            # a write of ours that a lower rev overwrote leaves its claim unexplained, which
            # would hold sync and live delivery back: a later change supersedes it
            if message.rev >= wrote and shows(message, (await derive())[1]):
                return message
            if rounds == SETTLE_ROUNDS:
                log.warning("message %s did not settle; its next change settles it", message_id)
                return message
            rounds += 1
            wrote = (await self._change(message, derive, only_if={"deleted": False})).rev

    async def _change(
        self,
        message: Message,
        changes: dict[str, Any] | Derive,
        only_if: dict[str, Any] | None = None,
    ) -> Message:
        began = time.monotonic()
        ((rev, _),) = await self._repo.claim_revs(message.conversation_id, [message.id], new=False)
        try:
            fields = changes if isinstance(changes, dict) else (await changes())[0]
            stored = await self._repo.update_message(message.id, rev, fields, only_if)
        except Exception:
            await self._repo.void_revs(message.conversation_id, [rev])
            raise
        if stored is None:
            await self._repo.void_revs(message.conversation_id, [rev])
            latest = await self._repo.get_message(message.id)
            if latest is None or (only_if and latest.deleted):
                raise Conflict("deleted", "the message was deleted")
            return latest
        if time.monotonic() - began > order.ABANDON_SECONDS / 2:
            stored = await self._restamp(stored)
        await self._bus.message_updated(
            stored.conversation_id,
            {"message": broadcast_wire(stored)},
        )
        self._observe([stored])
        return stored

    async def _restamp(self, message: Message) -> Message:
        """A change written so late that readers may have taken its claim for abandoned and
        passed it (order.py): the message again under a fresh rev, which they have not passed.
        Returns the message as stored then (a later change may already carry it)."""
        for _ in range(3):
            began = time.monotonic()
            ((rev, _),) = await self._repo.claim_revs(
                message.conversation_id, [message.id], new=False
            )
            try:
                stamped = await self._repo.update_message(message.id, rev, {})
            except Exception:
                await self._repo.void_revs(message.conversation_id, [rev])
                raise
            if stamped is None:  # changed again meanwhile: that change carries this one
                await self._repo.void_revs(message.conversation_id, [rev])
                return await self._repo.get_message(message.id) or message
            message = stamped
            if time.monotonic() - began <= order.ABANDON_SECONDS / 2:
                break
        return message

    async def visible_message(self, message_id: str, user_id: str) -> Message:
        """A message of a conversation the user takes part in. Otherwise the same ``not_found``
        as for an id that does not exist, so outsiders cannot probe for message ids."""
        message = await self._repo.get_message(message_id)
        if message is None or not await self._repo.get_participation(
            message.conversation_id, user_id
        ):
            raise NotFound("no such message")
        return message

    # reading -----------------------------------------------------------------------------

    async def viewed(self, user_id: str, messages: list[Message]) -> list[MessageOut]:
        """Messages as ``user_id`` sees them: ``me`` on each reaction answered for them."""
        mine = await self.reactions.mine(user_id, messages)
        return [MessageOut.of(m, mine.get(m.id, set())) for m in messages]

    async def history(
        self, who: Principal, conversation_id: str, before_seq: int | None, limit: int
    ) -> tuple[list[Message], bool]:
        await self.require_participant(conversation_id, who.user.id)
        return await self._repo.history(conversation_id, before_seq, limit)

    async def sync(
        self, who: Principal, conversation_id: str, since_rev: int, limit: int
    ) -> tuple[list[Message], int, bool]:
        """Messages changed after ``since_rev``, by rev (syncing.py)."""
        await self.require_participant(conversation_id, who.user.id)
        return await sync_page(self._repo, conversation_id, since_rev, limit)

    async def resolve(
        self, conversation_id: str, revs: list[int]
    ) -> list[tuple[int, str | None, dict[str, Any] | None]]:
        """For live delivery in rev order: what each rev stands for (syncing.py)."""
        return await resolve_revs(self._repo, conversation_id, revs)

    async def conversation_ids(self) -> list[str]:
        """Every conversation (a whole-store read: search/guard.py's rebuild)."""
        return await self._repo.conversation_ids()

    async def top_rev(self, conversation_id: str) -> int:
        """The conversation's latest claimed rev, read (not remembered)."""
        return (await self._repo.top(conversation_id))[0]

    async def read_position(self, conversation_id: str, user_id: str) -> int:
        """How far the user has read this chat (0: nothing, or not a participant)."""
        p = await self._repo.get_participation(conversation_id, user_id)
        return p.read_seq if p else 0

    async def mark_read(
        self, who: Principal, conversation_id: str, seq: int, sid: str | None
    ) -> int:
        await self.require_participant(conversation_id, who.user.id)
        seq = await self._repo.seq_at_least(conversation_id, seq)
        read_seq = await self._repo.advance_read(conversation_id, who.user.id, seq)
        await self.extras.clear_mentions(conversation_id, who.user.id, read_seq)
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
