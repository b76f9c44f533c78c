"""A stored message's broadcast payload is built as a dict (messages/schemas.broadcast_wire),
not through the model: it must say exactly what the model says, field for field, for every
kind of message the log holds. Pure."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest

from server.messages.models import Attachment, Message, Reaction, Reply
from server.messages.schemas import MessageOut, broadcast_wire

AT = datetime(2026, 12, 5, 1, 2, 3, 456_000, tzinfo=UTC)
REPLY = Reply("r1", 4, "u2", "Bea", "first line", False)
REMOVED_REPLY = Reply("r2", 5, "u3", "Cy", "", True, removed_by="moderator")
PHOTO = Attachment("f1", "cat.png", "image/png", 2048, 640, 480, "f1-thumb")
FILE = Attachment("f2", "notes.pdf", "application/pdf", 99)


def variants() -> list[Message]:
    base = Message("m1", "c1", 7, 9, "u1", "Ana", "text", "hello @bea 👋", AT)
    shapes: list[dict[str, object]] = [
        {},
        {"client_id": "k-1"},
        {"edited_at": AT + timedelta(minutes=3), "rev": 12},
        {"deleted": True, "text": "", "removed_by": "moderator"},
        {"deleted": True, "text": "", "removed_by": "sender"},
        {"reply": REPLY},
        {"reply": REMOVED_REPLY},
        {"reply": Reply("r3", 6, "u1", "Ana", "", True, removed_by="sender")},
        {"mentions": ("u2", "u3"), "mention_everyone": True},
        {
            "reactions": (
                Reaction("👍", 3, ("u2", "u3", "u4")),
                Reaction("🎉", 1, ("u1",)),
            )
        },
        {"pinned": True},
        {"attachments": (PHOTO, FILE), "text": ""},
        {"kind": "system", "text": "Bea joined", "sender_id": "", "sender_name": ""},
        {
            "created_at": datetime(
                2026, 12, 5, 3, 2, 3, 456_000, tzinfo=timezone(timedelta(hours=2))
            )
        },
        {"kind": "card", "card": {"activity_id": "a1", "starts_at": AT, "seats": [1, 2]}},
    ]
    out = [Message(**{**base.__dict__, **shape}) for shape in shapes]  # type: ignore[arg-type]
    # and a few of them together
    for a, b in itertools.combinations(shapes[1:11], 2):
        out.append(Message(**{**base.__dict__, **a, **b}))  # type: ignore[arg-type]
    return out


@pytest.mark.parametrize("message", variants(), ids=lambda m: f"{m.kind}-{m.rev}-{id(m) % 997}")
def test_the_broadcast_payload_is_what_the_model_says(message: Message) -> None:
    assert broadcast_wire(message) == MessageOut.of(message).model_dump(mode="json")


def test_a_broadcast_names_no_viewer_s_reactions() -> None:
    m = Message(
        "m1", "c1", 1, 1, "u1", "Ana", "text", "hi", AT, reactions=(Reaction("👍", 1, ("u1",)),)
    )
    assert broadcast_wire(m)["reactions"] == [
        {"emoji": "👍", "count": 1, "user_ids": ["u1"], "me": None}
    ]
