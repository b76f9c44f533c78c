"""Trust wire models. No output model has a field for a whole document or account number."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from server.core.schemas import Id, Out, StrictIn, Trimmed, UtcDatetime
from server.trust import statements
from server.trust.models import (
    Decision,
    DocumentType,
    PayoutAccount,
    Platform,
    Status,
    Submission,
)

# Letters, digits, spaces and dashes as printed on documents; compared and stored without the
# separators.
DocumentNumber = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 -]{4,40}$")]
_Date = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d\d-\d\d$")]


class SubmitVerificationIn(StrictIn):
    legal_name: Annotated[str, Trimmed(2, 120)]
    document_type: DocumentType
    document_number: DocumentNumber
    upload_id: Id


class ReviewIn(StrictIn):
    decision: Decision
    # why: required for a rejection (the organiser is shown it); routes.py checks
    reason: Annotated[str, Trimmed(1, 500)] | None = None


class ReviewOut(Out):
    decision: Decision
    reason: str | None
    at: UtcDatetime


class VerificationOut(Out):
    id: str
    status: Status
    legal_name: str
    document_type: DocumentType
    document_last4: str
    submitted_at: UtcDatetime
    review: ReviewOut | None

    @classmethod
    def of(cls, s: Submission) -> VerificationOut:
        r = s.review
        return cls(
            id=s.id,
            status=s.status,
            legal_name=s.legal_name,
            document_type=s.document_type,
            document_last4=s.document_last4,
            submitted_at=s.submitted_at,
            review=ReviewOut(decision=r.decision, reason=r.reason, at=r.at) if r else None,
        )


class MyVerificationOut(Out):
    verified: bool
    platform_admin: bool
    verification: VerificationOut | None  # the latest submission


class QueueItemOut(VerificationOut):
    user_id: str
    upload_id: str
    image_url: str


class QueueOut(Out):
    verifications: list[QueueItemOut]


def queue_item(s: Submission) -> QueueItemOut:
    return QueueItemOut(
        **VerificationOut.of(s).model_dump(),
        user_id=s.user_id,
        upload_id=s.upload_id,
        image_url=f"/api/admin/verifications/{s.id}/image",
    )


class VerificationEnvelope(Out):
    verification: VerificationOut


class QueueItemEnvelope(Out):
    """One submission as administrators see it: with its owner and image."""

    verification: QueueItemOut


class UserTrustOut(Out):
    user_id: str
    organiser_verified: bool


class CircleTrustOut(Out):
    circle_id: str
    owner_verified: bool
    payout_account: bool


# payout accounts -----------------------------------------------------------------------------


class PayoutAccountIn(StrictIn):
    holder_name: Annotated[str, Trimmed(2, 120)]
    # exactly one of: an IBAN (checked by its checksum), or a platform and its handle
    # (routes.py checks)
    iban: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 ]{5,42}$")] | None = None
    platform: Platform | None = None
    handle: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9@._+-]{3,100}$")] | None = None


class PayoutAccountOut(Out):
    circle_id: str
    holder_name: str
    method: Literal["iban", "platform"]
    platform: Platform | None
    masked: str
    updated_at: UtcDatetime

    @classmethod
    def of(cls, a: PayoutAccount) -> PayoutAccountOut:
        return cls(
            circle_id=a.circle_id,
            holder_name=a.holder_name,
            method=a.method,
            platform=a.platform,
            masked=a.masked,
            updated_at=a.updated_at,
        )


class PayoutAccountEnvelope(Out):
    payout_account: PayoutAccountOut


# statements ----------------------------------------------------------------------------------


class StatementQuery(StrictIn):
    # ``from`` is a Python keyword: the wire name is ``from``, the attribute ``from_``; both
    # dates are included, in UTC
    from_: Annotated[_Date, Field(alias="from")]
    to: _Date

    def period(self) -> tuple[date, date]:
        return date.fromisoformat(self.from_), date.fromisoformat(self.to)


class LineOut(Out):
    at: UtcDatetime
    kind: Literal["collected", "refunded"]
    activity_id: str
    activity_title: str
    payment_id: str
    provider: str
    amount: int
    currency: str
    test: bool


class TotalOut(Out):
    currency: str
    collected: int
    refunded: int
    due: int


class StatementOut(Out):
    circle_id: str
    start: str  # the period's first and last dates (UTC), as asked
    end: str
    totals: list[TotalOut]
    test_totals: list[TotalOut]
    lines: list[LineOut]


def totals_out(found: list[statements.Total]) -> list[TotalOut]:
    return [
        TotalOut(currency=t.currency, collected=t.collected, refunded=t.refunded, due=t.due)
        for t in found
    ]
