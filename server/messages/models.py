"""Conversation-log domain objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

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

    @property
    def client_key(self) -> str:
        return f"{self.conversation_id}|{self.sender_id}|{self.client_id}"
