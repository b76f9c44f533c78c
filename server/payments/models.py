"""Payment domain objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

PaymentStatus = Literal["pending", "paid", "refund_pending", "refunded", "failed", "expired"]
Provider = Literal["sandbox", "manual"]

# Which status may follow which (anything else is an out-of-order event and is ignored).
TRANSITIONS: dict[str, set[str]] = {
    "pending": {"paid", "failed", "expired"},
    "failed": {"paid", "pending", "expired"},
    "expired": {"paid"},
    "paid": {"refund_pending"},
    "refund_pending": {"refunded"},
    "refunded": set(),
}


@dataclass
class Payment:
    id: str
    activity_id: str
    user_id: str
    organiser_id: str
    amount: int
    currency: str
    provider: Provider
    status: PaymentStatus
    created_at: datetime
    updated_at: datetime
    version: int = 1
    checkout_url: str | None = None
    reference: str | None = None
    note: str | None = None
    failure_reason: str | None = None


@dataclass(frozen=True)
class LedgerEvent:
    payment_id: str
    version: int
    status: PaymentStatus
    reason: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)
