"""Search wire models."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from server.core.schemas import Id, Out, StrictIn, Text, UtcDatetime
from server.search.repository import Doc


class SearchQuery(StrictIn):
    q: Annotated[Text, StringConstraints(min_length=1, max_length=200)]
    conversation_id: Id | None = None
    sender: Id | None = None
    cursor: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,200}$")] | None = None
    # a query string carries text: the number is parsed from it (routes.py)
    limit: Annotated[str, StringConstraints(pattern=r"^(?:[1-9]|[1-4][0-9]|50)$")] | None = None


class SearchHitOut(Out):
    message_id: str
    conversation_id: str
    seq: int
    sender_id: str
    sender_name: str
    text: str
    created_at: UtcDatetime
    edited_at: UtcDatetime | None

    @classmethod
    def of(cls, d: Doc) -> SearchHitOut:
        return cls(
            message_id=d.id,
            conversation_id=d.conversation_id,
            seq=d.seq,
            sender_id=d.sender_id,
            sender_name=d.sender_name,
            text=d.text,
            created_at=d.created_at,
            edited_at=d.edited_at,
        )


class SearchOut(Out):
    results: list[SearchHitOut]
    next_cursor: str | None
