"""Notification endpoints."""

from __future__ import annotations

from server.core.errors import Invalid
from server.http.routing import Ctx, Route
from server.notifications.schemas import (
    MarkReadIn,
    NotificationOut,
    NotificationsOut,
    NotificationsQuery,
    UnreadOut,
)
from server.notifications.service import NotificationService


def routes(notifications: NotificationService) -> list[Route]:
    async def list_notifications(ctx: Ctx) -> NotificationsOut:
        q: NotificationsQuery = ctx.query
        found, unread = await notifications.recent(ctx.who.user.id, q.unread == "true")
        return NotificationsOut(
            notifications=[NotificationOut.of(n) for n in found], unread_count=unread
        )

    async def mark_notifications_read(ctx: Ctx) -> UnreadOut:
        body: MarkReadIn = ctx.body
        if body.all is not True and body.ids is None:
            raise Invalid("give ids or all: true", {"fields": {"ids": "required without all"}})
        ids = None if body.all else body.ids
        return UnreadOut(unread_count=await notifications.mark_read(ctx.who.user.id, ids))

    tags = ["notifications"]
    return [
        Route(
            "GET",
            "/api/notifications",
            list_notifications,
            "Your notifications",
            query=NotificationsQuery,
            response=NotificationsOut,
            tags=tags,
        ),
        Route(
            "POST",
            "/api/notifications/read",
            mark_notifications_read,
            "Mark read",
            body=MarkReadIn,
            response=UnreadOut,
            tags=tags,
        ),
    ]
