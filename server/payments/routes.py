"""Payment endpoints, the webhook, and the sandbox provider's checkout page."""

from __future__ import annotations

import html
from typing import Annotated

from pydantic import StringConstraints
from starlette.responses import HTMLResponse, RedirectResponse, Response

from server.core.errors import NotFound
from server.core.schemas import StrictIn
from server.http.routing import Ctx, Route
from server.payments.models import LedgerEvent, Payment
from server.payments.money import format_money
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
    RejectIn,
    Totals,
    WebhookOut,
)
from server.payments.service import PaymentService


class CheckoutQuery(StrictIn):
    t: Annotated[str, StringConstraints(min_length=1, max_length=512)]


def _detail(p: Payment, events: list[LedgerEvent]) -> PaymentDetailOut:
    return PaymentDetailOut(payment=PaymentOut.of(p), events=[EventOut.of(e) for e in events])


def routes(payments: PaymentService) -> list[Route]:
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
        currency, gross, refunded = payments.totals([p for p, _, _ in found])
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
            totals=Totals(currency=currency, gross=gross, refunded=refunded, net=gross - refunded),
        )

    async def payment_webhook(ctx: Ctx) -> WebhookOut:
        raw = await ctx.request.body()
        outcome = await payments.webhook(
            ctx.path["provider"], ctx.request.headers.get("circles-signature"), raw
        )
        return WebhookOut(received=True, outcome=outcome)

    async def sandbox_checkout(ctx: Ctx) -> Response:
        q: CheckoutQuery = ctx.query
        p = await _checkout_payment(payments, ctx.path["id"], q.t)
        return HTMLResponse(_checkout_page(p, q.t))

    async def sandbox_pay(ctx: Ctx) -> Response:
        q: CheckoutQuery = ctx.query
        p = await _checkout_payment(payments, ctx.path["id"], q.t)
        if p.status in ("pending", "failed", "expired"):
            await payments.sandbox.send_event("payment.succeeded", p)
        return RedirectResponse(f"/#/activity/{p.activity_id}", status_code=303)

    t = ["payments"]
    return [
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
            "GET",
            "/pay/sandbox/{id}",
            sandbox_checkout,
            "Sandbox checkout page (HTML)",
            query=CheckoutQuery,
            auth=False,
            tags=t,
        ),
        Route(
            "POST",
            "/pay/sandbox/{id}/complete",
            sandbox_pay,
            "Sandbox: press Pay",
            query=CheckoutQuery,
            auth=False,
            tags=t,
        ),
    ]


async def _checkout_payment(payments: PaymentService, payment_id: str, token: str) -> Payment:
    if not payments.sandbox.verify_checkout(payment_id, token):
        raise NotFound("no such checkout")
    p = await payments.payment(payment_id)
    if p is None or p.provider != "sandbox":
        raise NotFound("no such checkout")
    return p


def _checkout_page(p: Payment, token: str) -> str:
    amount = format_money(p.amount, p.currency)
    done = p.status not in ("pending", "failed", "expired")
    button = (
        "<p data-testid='checkout-status'>Status: " + html.escape(p.status) + "</p>"
        if done
        else f"<form method='post' action='/pay/sandbox/{html.escape(p.id)}/complete?t="
        f"{html.escape(token)}'><button data-testid='checkout-pay' type='submit'>"
        f"Pay {html.escape(amount)}</button></form>"
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Circles sandbox checkout</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;"
        "padding:1rem}button{font-size:1.1rem;padding:.6rem 1.4rem}</style></head><body>"
        "<h1>Sandbox checkout</h1><p>This is the Circles test payment provider. "
        "No real money moves.</p>"
        f"<p data-testid='checkout-amount'>Amount: <strong>{html.escape(amount)}</strong></p>"
        f"{button}</body></html>"
    )
