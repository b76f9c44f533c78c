"""Held newcomer message domain objects (moderation/holds.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

HoldStatus = Literal["pending", "approved", "declined"]
HoldOutcome = Literal["approved", "declined"]


@dataclass(frozen=True)
class Hold:
    id: str
    circle_id: str
    conversation_id: str
    sender_id: str
    text: str
    client_id: str
    created_at: datetime
    status: HoldStatus = "pending"


@dataclass(frozen=True)
class HoldDecision:
    hold_id: str
    status: HoldOutcome
    by: str
    at: datetime
    reason: str = ""
