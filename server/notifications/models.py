"""Notification domain object."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


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
