"""Notification wire models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from server.core.schemas import Id, Out, StrictIn, UtcDatetime
from server.notifications.models import Notification


class NotificationOut(Out):
    id: str
    kind: str
    title: str
    body: str
    data: dict[str, Any]
    read: bool
    created_at: UtcDatetime

    @classmethod
    def of(cls, n: Notification) -> NotificationOut:
        return cls(
            id=n.id,
            kind=n.kind,
            title=n.title,
            body=n.body,
            data=n.data,
            read=n.read,
            created_at=n.created_at,
        )


class NotificationsQuery(StrictIn):
    unread: Literal["true", "false"] | None = None


class NotificationsOut(Out):
    notifications: list[NotificationOut]
    unread_count: int


class MarkReadIn(StrictIn):
    ids: Annotated[list[Id], Field(max_length=500)] | None = None
    all: bool | None = None


class UnreadOut(Out):
    unread_count: int
