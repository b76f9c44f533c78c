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
    # An expired payment can still be paid late (the seat back if free, else a refund), or its
    # late transfer reference rejected by the organiser.
    "expired": {"paid", "failed"},
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

    @property
    def test(self) -> bool:
        """Paid through the sandbox: no money moved, so never counted as real."""
        return self.provider == "sandbox"


@dataclass(frozen=True)
class LedgerEvent:
    payment_id: str
    version: int
    status: PaymentStatus
    reason: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)
