"""Wire models of the conversation log."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import emoji
from pydantic import AfterValidator, Field, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from server.core.schemas import Id, Out, Reason, StrictIn, Text, Trimmed, UtcDatetime, utc_iso
from server.messages.models import Attachment, Message, Reaction, Reply

MessageText = Annotated[str, Trimmed(1, 4000)]
MAX_ATTACHMENTS = 10
MAX_EMOJI_CHARS = 16  # code points: a family or a flag with modifiers fits, a sentence does not


def _distinct(ids: list[str]) -> list[str]:
    if len(set(ids)) != len(ids):
        raise PydanticCustomError("duplicate", "must not repeat an id")
    return ids


def _emoji(value: str) -> str:
    # at most 3 emoji in one reaction ("👍🏽" counts one): a short reaction, not a message
    if not emoji.purely_emoji(value) or not 1 <= emoji.emoji_count(value) <= 3:
        raise PydanticCustomError("not_emoji", "must be one emoji (up to 3 together)")
    return value


Emoji = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_EMOJI_CHARS), AfterValidator(_emoji)
]


class SendMessageIn(StrictIn):
    conversation_id: Id
    client_id: Annotated[Text, StringConstraints(min_length=1, max_length=64)]
    reply_to: Id | None = None
    attachments: Annotated[
        list[Id], Field(max_length=MAX_ATTACHMENTS), AfterValidator(_distinct)
    ] = []
    # may be empty when the message carries attachments (validated after them, so a refusal of
    # an empty message names ``text``)
    text: Annotated[str, Trimmed(0, 4000), Field(validate_default=True)] = ""

    @field_validator("text")
    @classmethod
    def _something_to_send(cls, text: str, info: ValidationInfo) -> str:
        if not text and not info.data.get("attachments"):
            raise PydanticCustomError("blank", "must not be blank")
        return text


class ReactionIn(StrictIn):
    message_id: Id
    emoji: Emoji


class MessageRefIn(StrictIn):
    message_id: Id


class PinsIn(StrictIn):
    conversation_id: Id


class EditMessageIn(StrictIn):
    message_id: Id
    text: MessageText


class DeleteMessageIn(StrictIn):
    message_id: Id
    reason: Reason = ""  # a moderator's, for the circle's audit log (ignored on one's own)


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


class ReplyOut(Out):
    id: str
    seq: int
    sender_id: str
    sender_name: str
    text: str
    deleted: bool
    # as on the message itself: "moderator" when a circle moderator removed the quoted message
    removed_by: Literal["moderator"] | None = None

    @classmethod
    def of(cls, r: Reply) -> ReplyOut:
        return cls(
            id=r.id,
            seq=r.seq,
            sender_id=r.sender_id,
            sender_name=r.sender_name,
            text=r.text,
            deleted=r.deleted,
            removed_by="moderator" if r.removed_by == "moderator" else None,
        )


class ReactionOut(Out):
    emoji: str
    count: int
    user_ids: list[str]
    # whether the viewer reacted: exact in acks, history and sync; null in broadcasts (one
    # payload for every member), where a client reads ``user_ids`` (docs/protocol.md)
    me: bool | None = None


class AttachmentOut(Out):
    id: str
    name: str
    content_type: str
    size: int
    width: int | None = None
    height: int | None = None
    thumbnail: str | None = None

    @classmethod
    def of(cls, a: Attachment) -> AttachmentOut:
        return cls(
            id=a.id,
            name=a.name,
            content_type=a.content_type,
            size=a.size,
            width=a.width,
            height=a.height,
            thumbnail=a.thumbnail,
        )


def _reaction_out(r: Reaction, mine: set[str] | None) -> ReactionOut:
    return ReactionOut(
        emoji=r.emoji,
        count=r.count,
        user_ids=list(r.user_ids),
        me=None if mine is None else r.emoji in mine,
    )


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
    reply: ReplyOut | None = None
    mentions: list[str] = []
    mention_everyone: bool = False
    reactions: list[ReactionOut] = []
    pinned: bool = False
    attachments: list[AttachmentOut] = []
    # on a deleted message: "moderator" when a circle moderator removed it, else null
    removed_by: Literal["moderator"] | None = None

    @classmethod
    def of(cls, m: Message, mine: set[str] | None = None) -> MessageOut:
        """``mine``: the emoji the viewer reacted with (None: a broadcast, ``me`` is null)."""
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
            reply=ReplyOut.of(m.reply) if m.reply else None,
            mentions=list(m.mentions),
            mention_everyone=m.mention_everyone,
            reactions=[_reaction_out(r, mine) for r in m.reactions],
            pinned=m.pinned,
            attachments=[AttachmentOut.of(a) for a in m.attachments],
            removed_by="moderator" if m.removed_by == "moderator" else None,
        )


def broadcast_wire(m: Message) -> dict[str, Any]:
    """``MessageOut.of(m).model_dump(mode="json")`` (a broadcast: every ``me`` null), built as a
    dict directly: the model's validation and dump were about 2% of the server's CPU in the chat
    benchmark, where every stored message is built once for its broadcast. A message with a card
    (an activity's, whose values the model serialises) takes the model's way.
    ``tests/test_message_wire.py`` holds the two equal."""
    if m.card is not None:
        return MessageOut.of(m).model_dump(mode="json")
    r = m.reply
    return {
        "id": m.id,
        "conversation_id": m.conversation_id,
        "seq": m.seq,
        "rev": m.rev,
        "sender_id": m.sender_id,
        "sender_name": m.sender_name,
        "kind": m.kind,
        "text": m.text,
        "card": None,
        "client_id": m.client_id,
        "created_at": utc_iso(m.created_at),
        "edited_at": None if m.edited_at is None else utc_iso(m.edited_at),
        "deleted": m.deleted,
        # a quote's fields are the wire's, but who removed it says only "moderator" or nothing
        "reply": None
        if r is None
        else {**vars(r), "removed_by": "moderator" if r.removed_by == "moderator" else None},
        "mentions": list(m.mentions),
        "mention_everyone": m.mention_everyone,
        "reactions": [
            {"emoji": x.emoji, "count": x.count, "user_ids": list(x.user_ids), "me": None}
            for x in m.reactions
        ],
        "pinned": m.pinned,
        # an attachment's fields are the wire's, one for one (the test holds them so)
        "attachments": [dict(vars(a)) for a in m.attachments],
        "removed_by": "moderator" if m.removed_by == "moderator" else None,
    }


class PinsOut(Out):
    messages: list[MessageOut]


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


class LastMessageOut(Out):
    """The sidebar preview of a conversation's latest message."""

    id: str
    seq: int
    sender_id: str
    sender_name: str
    kind: Literal["text", "card", "system"]
    text: str  # the first line, trimmed to ~140 characters ("" when deleted)
    attachments: int
    deleted: bool
    created_at: UtcDatetime


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
    mentions: int = 0  # unread messages that mention the viewer
    last_message: LastMessageOut | None = None
    last_activity_at: UtcDatetime


class ConversationEnvelope(Out):
    conversation: ConversationOut


class ConversationsOut(Out):
    conversations: list[ConversationOut]


class EmptyOut(Out):
    pass
