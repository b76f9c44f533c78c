"""Circle domain objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Role = Literal["owner", "admin", "member"]
Visibility = Literal["public", "private"]


@dataclass(frozen=True)
class Circle:
    id: str
    name: str
    description: str
    category: str
    tags: tuple[str, ...]
    visibility: Visibility
    owner_id: str
    member_count: int
    conversation_id: str
    created_at: datetime


@dataclass(frozen=True)
class Membership:
    circle_id: str
    user_id: str
    role: Role
    joined_at: datetime
