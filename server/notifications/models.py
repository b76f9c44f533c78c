"""Notification domain object, and the notifier other domains are given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Notification:
    id: str
    user_id: str
    kind: str
    title: str
    body: str
    data: dict[str, Any]
    read: bool
    created_at: datetime


class Notifier(Protocol):
    """The notification service, as other domains use it (NotificationService)."""

    async def notify(
        self,
        user_id: str,
        kind: str,
        title: str,
        body: str,
        data: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> bool: ...
