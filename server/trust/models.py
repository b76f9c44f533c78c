"""Trust domain objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

DocumentType = Literal["passport", "id_card", "driving_licence", "residence_permit"]
Status = Literal["pending", "approved", "rejected"]
Decision = Literal["approved", "rejected"]
Platform = Literal["paypal", "wise", "revolut", "stripe"]


@dataclass(frozen=True)
class Review:
    submission_id: str
    decision: Decision
    reason: str | None
    reviewer_id: str
    at: datetime


@dataclass(frozen=True)
class Submission:
    id: str  # "<user_id>-<n>"
    user_id: str
    n: int
    legal_name: str
    document_type: DocumentType
    document_sealed: str  # the number, encrypted (crypto.Cipher)
    document_last4: str
    upload_id: str
    submitted_at: datetime
    review: Review | None = None

    @property
    def status(self) -> Status:
        return "pending" if self.review is None else self.review.decision


@dataclass(frozen=True)
class PayoutAccount:
    circle_id: str
    holder_name: str
    method: Literal["iban", "platform"]
    # iban: the number sealed, its country and last 4; platform: the platform and the handle
    iban_sealed: str | None
    iban_country: str | None
    iban_last4: str | None
    platform: Platform | None
    handle: str | None
    updated_by: str
    updated_at: datetime

    @property
    def masked(self) -> str:
        """What owners and admins are shown: never the whole number."""
        if self.method == "iban":
            return f"{self.iban_country}•• •••• {self.iban_last4}"
        handle = self.handle or ""
        return handle[:2] + "•••" + handle[-2:] if len(handle) > 6 else "•••"
