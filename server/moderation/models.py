"""Moderation domain objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Action = Literal[
    "mute",
    "unmute",
    "kick",
    "ban",
    "unban",
    "delete_message",
    "set_role",
    "transfer_ownership",
    "revoke_invites",
    "slow_mode",
    "rules",
]


@dataclass(frozen=True)
class AuditEntry:
    id: str
    circle_id: str
    at: datetime
    actor_id: str
    action: Action
    target_id: str | None  # a user, or a message for ``delete_message``; None: the circle
    reason: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Mute:
    circle_id: str
    user_id: str
    until: datetime
    by: str
    reason: str


@dataclass(frozen=True)
class Ban:
    circle_id: str
    user_id: str
    at: datetime
    by: str
    reason: str


@dataclass(frozen=True)
class Claim:
    """A unique-key claim: slow-mode sends, ownership transfers, rules acceptances."""

    key: str
    at: datetime
    owner: str  # who made it (a client id for slow mode, a user id otherwise)
    data: dict[str, Any] = field(default_factory=dict)
