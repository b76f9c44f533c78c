"""Wire models of the conversation log."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from server.core.schemas import Id, Out, StrictIn, Text, Trimmed, UtcDatetime
from server.messages.models import Message

MessageText = Annotated[str, Trimmed(1, 4000)]


class SendMessageIn(StrictIn):
    conversation_id: Id
    client_id: Annotated[Text, StringConstraints(min_length=1, max_length=64)]
    text: MessageText


class EditMessageIn(StrictIn):
    message_id: Id
    text: MessageText


class DeleteMessageIn(StrictIn):
    message_id: Id


class HistoryIn(StrictIn):
    conversation_id: Id
    before_seq: Annotated[int, Field(ge=1, le=2**53)] | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 50


class SyncIn(StrictIn):
    conversation_id: Id
    since_rev: Annotated[int, Field(ge=0, le=2**53)]
    limit: Annotated[int, Field(ge=1, le=500)] = 200


class ReadIn(StrictIn):
    conversation_id: Id
    seq: Annotated[int, Field(ge=0, le=2**53)]


class TypingIn(StrictIn):
    conversation_id: Id


class EmptyIn(StrictIn):
    pass


class MessageOut(Out):
    id: str
    conversation_id: str
    seq: int
    rev: int
    sender_id: str
    sender_name: str
    kind: Literal["text", "card", "system"]
    text: str
    card: dict[str, Any] | None = None
    client_id: str | None = None
    created_at: UtcDatetime
    edited_at: UtcDatetime | None = None
    deleted: bool

    @classmethod
    def of(cls, m: Message) -> MessageOut:
        return cls(
            id=m.id,
            conversation_id=m.conversation_id,
            seq=m.seq,
            rev=m.rev,
            sender_id=m.sender_id,
            sender_name=m.sender_name,
            kind=m.kind,
            text=m.text,
            card=m.card,
            client_id=m.client_id,
            created_at=m.created_at,
            edited_at=m.edited_at,
            deleted=m.deleted,
        )


class MessageEnvelope(Out):
    message: MessageOut


class HistoryOut(Out):
    messages: list[MessageOut]
    has_more: bool


class SyncOut(Out):
    messages: list[MessageOut]
    rev: int
    has_more: bool


class ReadOut(Out):
    read_seq: int


class PeerOut(Out):
    id: str
    handle: str
    display_name: str
    online: bool = False


class ConversationOut(Out):
    id: str
    kind: Literal["circle", "dm"]
    title: str
    circle_id: str | None = None
    peer: PeerOut | None = None
    seq: int
    rev: int
    read_seq: int
    unread: int


class ConversationEnvelope(Out):
    conversation: ConversationOut


class ConversationsOut(Out):
    conversations: list[ConversationOut]


class EmptyOut(Out):
    pass
