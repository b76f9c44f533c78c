"""Payment endpoints, the webhook, and the sandbox provider's completion."""

from __future__ import annotations

from server.http.routing import Ctx, Route
from server.payments.models import LedgerEvent, Payment
from server.payments.schemas import (
    ActivityPaymentsOut,
    CreatePaymentIn,
    EmptyIn,
    EventOut,
    PayerOut,
    PaymentDetailOut,
    PaymentEnvelope,
    PaymentListItem,
    PaymentOut,
    ProofIn,
    ProvidersOut,
    RejectIn,
    TestTotals,
    Totals,
    WebhookOut,
)
from server.payments.service import PaymentService
from server.payments.webhooks import WebhookInbox


def _detail(p: Payment, events: list[LedgerEvent]) -> PaymentDetailOut:
    return PaymentDetailOut(payment=PaymentOut.of(p), events=[EventOut.of(e) for e in events])


def routes(payments: PaymentService, inbox: WebhookInbox) -> list[Route]:
    async def create_payment(ctx: Ctx) -> PaymentEnvelope:
        body: CreatePaymentIn = ctx.body
        p = await payments.create(ctx.who.user, ctx.path["id"], body.provider)
        return PaymentEnvelope(payment=PaymentOut.of(p))

    async def get_payment(ctx: Ctx) -> PaymentDetailOut:
        return _detail(*await payments.view(ctx.who.user, ctx.path["id"]))

    async def submit_proof(ctx: Ctx) -> PaymentEnvelope:
        body: ProofIn = ctx.body
        p = await payments.submit_proof(ctx.who.user, ctx.path["id"], body.reference, body.note)
        return PaymentEnvelope(payment=PaymentOut.of(p))

    async def confirm_payment(ctx: Ctx) -> PaymentEnvelope:
        return PaymentEnvelope(
            payment=PaymentOut.of(await payments.confirm(ctx.who.user, ctx.path["id"]))
        )

    async def reject_payment(ctx: Ctx) -> PaymentEnvelope:
        body: RejectIn = ctx.body
        return PaymentEnvelope(
            payment=PaymentOut.of(await payments.reject(ctx.who.user, ctx.path["id"], body.reason))
        )

    async def mark_refunded(ctx: Ctx) -> PaymentEnvelope:
        return PaymentEnvelope(
            payment=PaymentOut.of(await payments.mark_refunded(ctx.who.user, ctx.path["id"]))
        )

    async def activity_payments(ctx: Ctx) -> ActivityPaymentsOut:
        found = await payments.for_activity(ctx.who.user, ctx.path["id"])
        listed = [p for p, _, _ in found]
        currency, gross, refunded = payments.totals(listed, test=False)
        _, test_gross, test_refunded = payments.totals(listed, test=True)
        return ActivityPaymentsOut(
            payments=[
                PaymentListItem(
                    **_detail(p, e).model_dump(),
                    payer=PayerOut(id=u.id, handle=u.handle, display_name=u.display_name)
                    if u
                    else None,
                )
                for p, e, u in found
            ],
            totals=Totals(
                currency=currency,
                gross=gross,
                refunded=refunded,
                net=gross - refunded,
                test=TestTotals(
                    gross=test_gross, refunded=test_refunded, net=test_gross - test_refunded
                ),
            ),
        )

    async def payment_webhook(ctx: Ctx) -> WebhookOut:
        raw = await ctx.request.body()
        outcome = await inbox.from_outside(
            ctx.path["provider"], ctx.request.headers.get("circles-signature"), raw
        )
        return WebhookOut(received=True, outcome=outcome)

    async def complete_sandbox(ctx: Ctx) -> PaymentEnvelope:
        p = await payments.complete_sandbox(ctx.who.user, ctx.path["id"])
        return PaymentEnvelope(payment=PaymentOut.of(p))

    async def providers(ctx: Ctx) -> ProvidersOut:
        return ProvidersOut(providers=payments.enabled)

    t = ["payments"]
    return [
        # before /api/payments/{id}, which would take "providers" for an id
        Route(
            "GET",
            "/api/payments/providers",
            providers,
            "The payment providers attendees may choose",
            response=ProvidersOut,
            tags=t,
        ),
        Route(
            "POST",
            "/api/activities/{id}/payment",
            create_payment,
            "Pay for your held seat",
            body=CreatePaymentIn,
            response=PaymentEnvelope,
            status=201,
            tags=t,
        ),
        Route(
            "GET",
            "/api/payments/{id}",
            get_payment,
            "A payment and its history (payer or organiser)",
            response=PaymentDetailOut,
            tags=t,
        ),
        Route(
            "POST",
            "/api/payments/{id}/proof",
            submit_proof,
            "Submit a transfer reference (manual)",
            body=ProofIn,
            response=PaymentEnvelope,
            tags=t,
        ),
        Route(
            "POST",
            "/api/payments/{id}/confirm",
            confirm_payment,
            "Confirm (organiser, manual)",
            body=EmptyIn,
            response=PaymentEnvelope,
            tags=t,
        ),
        Route(
            "POST",
            "/api/payments/{id}/reject",
            reject_payment,
            "Reject (organiser, manual)",
            body=RejectIn,
            response=PaymentEnvelope,
            tags=t,
        ),
        Route(
            "POST",
            "/api/payments/{id}/refunded",
            mark_refunded,
            "Mark a manual refund done (organiser)",
            body=EmptyIn,
            response=PaymentEnvelope,
            tags=t,
        ),
        Route(
            "GET",
            "/api/activities/{id}/payments",
            activity_payments,
            "Payments and totals (organiser)",
            response=ActivityPaymentsOut,
            tags=t,
        ),
        Route(
            "POST",
            "/api/payments/webhook/{provider}",
            payment_webhook,
            "Provider webhook (signed)",
            response=WebhookOut,
            auth=False,
            raw_body=True,
            tags=t,
        ),
        Route(
            "POST",
            "/api/payments/{id}/sandbox/complete",
            complete_sandbox,
            "Sandbox: the payer presses Pay (a test payment, no money moves)",
            body=EmptyIn,
            response=PaymentEnvelope,
            tags=t,
        ),
    ]
