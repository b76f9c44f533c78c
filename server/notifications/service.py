"""Store a notification, then deliver it live."""

from __future__ import annotations

import hashlib
from typing import Any

from server.core import clock
from server.core.ids import new_id
from server.notifications.models import Notification
from server.notifications.repository import NotificationRepository
from server.notifications.schemas import NotificationOut
from server.realtime.broadcaster import Broadcaster


def keyed_id(key: str) -> str:
    """The notification id for an idempotency key of any length: a digest, so no two keys share
    an id (cutting a long key short once dropped its user id), shaped like any id on the wire
    (``[A-Za-z0-9_-]``, at most 64 characters) so clients can mark it read."""
    return "k" + hashlib.blake2b(key.encode(), digest_size=24).hexdigest()


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
        Returns False when the keyed notification had already been stored. ``key`` names the
        step being notified and must include everything that makes it unique (e.g. the user)."""
        n = Notification(
            id=keyed_id(key) if key is not None else new_id(),
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
