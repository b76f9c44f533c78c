"""Store a notification, then deliver it live."""

from __future__ import annotations

from typing import Any

from server.core import clock
from server.core.ids import new_id
from server.notifications.models import Notification
from server.notifications.repository import NotificationRepository
from server.notifications.schemas import NotificationOut
from server.realtime.broadcaster import Broadcaster


class NotificationService:
    def __init__(self, repo: NotificationRepository, broadcaster: Broadcaster) -> None:
        self._repo = repo
        self._bus = broadcaster

    async def notify(
        self,
        user_id: str,
        kind: str,
        title: str,
        body: str,
        data: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> bool:
        """Store (once per ``key``), then emit ``notification`` to the user's sockets.
        Returns False when the keyed notification had already been stored."""
        n = Notification(
            id=key or new_id(),
            user_id=user_id,
            kind=kind,
            title=title,
            body=body,
            data=data or {},
            read=False,
            created_at=clock.now(),
        )
        if not await self._repo.insert(n):
            return False
        await self._bus.to_user(
            user_id, "notification", {"notification": NotificationOut.of(n).model_dump(mode="json")}
        )
        return True

    async def recent(self, user_id: str, unread_only: bool) -> tuple[list[Notification], int]:
        return await self._repo.recent(user_id, unread_only), await self._repo.unread_count(user_id)

    async def mark_read(self, user_id: str, ids: list[str] | None) -> int:
        await self._repo.mark_read(user_id, ids)
        return await self._repo.unread_count(user_id)
