"""Join request domain objects (moderation/joins.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Status = Literal["pending", "approved", "declined", "withdrawn"]
Outcome = Literal["approved", "declined", "withdrawn"]


@dataclass(frozen=True)
class JoinRequest:
    id: str  # this request (a user's later request after a decision gets a new one)
    circle_id: str
    user_id: str
    questions: tuple[str, ...]  # as the circle asked them when the request was made
    answers: tuple[str, ...]
    status: Status
    created_at: datetime
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str = ""  # a decline's reason, shown to the requester


@dataclass(frozen=True)
class Decision:
    request_id: str
    status: Outcome
    by: str
    at: datetime
    reason: str = ""
