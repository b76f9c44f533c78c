"""Conversation-log domain objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from server.realtime import channels

ConversationKind = Literal["circle", "dm"]
MessageKind = Literal["text", "card", "system"]


@dataclass(frozen=True)
class Conversation:
    id: str
    kind: ConversationKind
    created_at: datetime
    circle_id: str | None = None
    members: tuple[str, ...] = ()

    @property
    def channel(self) -> str:
        return channels.conversation(self.id)


@dataclass(frozen=True)
class Attachment:
    """A file carried by a message, as the upload store describes it. ``thumbnail`` is the URL
    of a small preview (images only); width and height are pixels (images only)."""

    id: str
    name: str
    content_type: str
    size: int
    width: int | None = None
    height: int | None = None
    thumbnail: str | None = None


class AttachmentResolver(Protocol):
    """The upload store as the conversation log sees it (server/uploads/ implements it; the
    container sets ``MessageService.attachments``; None: attachments are refused)."""

    async def attach(
        self, user_id: str, conversation_id: str, upload_ids: list[str]
    ) -> list[Attachment]:
        """The uploads ``upload_ids`` (distinct, 1-10) described, in the given order, for a
        message ``user_id`` is about to send to ``conversation_id`` (the caller has checked that
        the user takes part). Raises a DomainError (``invalid`` naming ``attachments``) when an
        id is unknown or is not the user's to attach; nothing is stored then. Must be idempotent:
        a retried send asks again for the same ids and must get the same answer."""
        ...

    async def detach(self, conversation_id: str, upload_ids: list[str]) -> None:
        """The message carrying these uploads was deleted: stop serving them. Called after the
        deletion is stored; best effort (a failure is logged, the deletion stands)."""
        ...


@dataclass(frozen=True)
class Reply:
    """The quote of the message replied to, kept current when that message changes."""

    id: str
    seq: int
    sender_id: str
    sender_name: str
    text: str
    deleted: bool
    removed_by: str | None = None  # "moderator": the quoted message was removed by one


@dataclass(frozen=True)
class Reaction:
    """One emoji's reactions on a message: how many, and the first reactors' ids (bounded)."""

    emoji: str
    count: int
    user_ids: tuple[str, ...]


@dataclass(frozen=True)
class Message:
    id: str
    conversation_id: str
    seq: int
    rev: int
    sender_id: str
    sender_name: str
    kind: MessageKind
    text: str
    created_at: datetime
    card: dict[str, Any] | None = None
    client_id: str | None = None
    edited_at: datetime | None = None
    deleted: bool = False
    reply: Reply | None = None
    mentions: tuple[str, ...] = ()
    mention_everyone: bool = False
    reactions: tuple[Reaction, ...] = ()
    pinned: bool = False
    attachments: tuple[Attachment, ...] = ()
    removed_by: str | None = None  # "moderator": deleted by a circle moderator, not its sender


@dataclass(frozen=True)
class Participation:
    conversation_id: str
    user_id: str
    read_seq: int


@dataclass
class NewMessage:
    """A message waiting for its seq and rev."""

    id: str
    conversation_id: str
    sender_id: str
    sender_name: str
    kind: MessageKind
    text: str
    client_id: str
    created_at: datetime
    card: dict[str, Any] | None = None
    reply: Reply | None = None
    mentions: tuple[str, ...] = ()
    mention_everyone: bool = False
    attachments: tuple[Attachment, ...] = ()

    @property
    def client_key(self) -> str:
        return f"{self.conversation_id}|{self.sender_id}|{self.client_id}"
