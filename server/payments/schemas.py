"""Payment wire models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from server.activities.schemas import Currency
from server.core.schemas import Out, StrictIn, Text, Trimmed, UtcDatetime
from server.payments.models import LedgerEvent, Payment


class CreatePaymentIn(StrictIn):
    provider: Literal["sandbox", "manual"]


class ProofIn(StrictIn):
    reference: Annotated[str, Trimmed(1, 200)]
    note: Annotated[Text, StringConstraints(max_length=1000)] | None = None


class RejectIn(StrictIn):
    reason: Annotated[Text, StringConstraints(max_length=500)] = ""


class EmptyIn(StrictIn):
    pass


class WebhookIn(StrictIn):
    id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    type: Literal["payment.succeeded", "payment.failed", "refund.succeeded"]
    payment_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    # No price is larger (PriceIn), and a larger integer cannot even be stored (BSON int64).
    amount: Annotated[int, Field(ge=0, le=100_000_000)]
    currency: Currency


class PaymentOut(Out):
    id: str
    activity_id: str
    user_id: str
    amount: int
    currency: str
    provider: Literal["sandbox", "manual"]
    # A test payment (the sandbox provider): no money moved.
    test: bool
    status: Literal["pending", "paid", "refund_pending", "refunded", "failed", "expired"]
    checkout_url: str | None = None
    reference: str | None = None
    note: str | None = None
    failure_reason: str | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime

    @classmethod
    def of(cls, p: Payment) -> PaymentOut:
        return cls(
            id=p.id,
            activity_id=p.activity_id,
            user_id=p.user_id,
            amount=p.amount,
            currency=p.currency,
            provider=p.provider,
            test=p.test,
            status=p.status,
            checkout_url=p.checkout_url,
            reference=p.reference,
            note=p.note,
            failure_reason=p.failure_reason,
            created_at=p.created_at,
            updated_at=p.updated_at,
        )


class EventOut(Out):
    version: int
    status: str
    reason: str
    at: UtcDatetime
    data: dict[str, Any]

    @classmethod
    def of(cls, e: LedgerEvent) -> EventOut:
        return cls(version=e.version, status=e.status, reason=e.reason, at=e.at, data=e.data)


class PaymentEnvelope(Out):
    payment: PaymentOut


class PaymentDetailOut(Out):
    payment: PaymentOut
    events: list[EventOut]


class TestTotals(Out):
    gross: int
    refunded: int
    net: int


class Totals(Out):
    """Real money only; test (sandbox) payments are summed apart, in ``test``."""

    currency: str | None
    gross: int
    refunded: int
    net: int
    test: TestTotals


class PayerOut(Out):
    id: str
    handle: str
    display_name: str


class PaymentListItem(PaymentDetailOut):
    payer: PayerOut | None = None


class ActivityPaymentsOut(Out):
    payments: list[PaymentListItem]
    totals: Totals


class ProvidersOut(Out):
    providers: list[Literal["sandbox", "manual"]]


class WebhookOut(Out):
    received: bool
    outcome: str
