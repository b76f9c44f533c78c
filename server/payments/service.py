"""Paying for held seats: create, prove, confirm/reject, webhooks, refunds, cards, ledger."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from typing import Any

from pydantic import ValidationError

from server.accounts.models import User
from server.accounts.service import AccountService
from server.activities import rules
from server.activities.models import Activity, Effect
from server.activities.service import ActivityService
from server.core import clock
from server.core.errors import Conflict, Forbidden, Invalid, NotFound
from server.core.ids import new_id
from server.core.schemas import invalid_from
from server.messages.service import MessageService
from server.notifications.service import NotificationService
from server.payments import signatures
from server.payments.models import TRANSITIONS, LedgerEvent, Payment, PaymentStatus
from server.payments.money import format_money
from server.payments.providers import ManualProvider, Provider, SandboxProvider
from server.payments.repository import PaymentRepository
from server.payments.schemas import WebhookIn

log = logging.getLogger(__name__)
PAID_STATES = ("paid", "refund_pending", "refunded")
# A recorded webhook event without an outcome after this long was abandoned by its attempt.
STALE_WEBHOOK_SECONDS = 30.0


class PaymentService:
    def __init__(
        self,
        repo: PaymentRepository,
        activities: ActivityService,
        messages: MessageService,
        accounts: AccountService,
        notifications: NotificationService,
        sandbox: SandboxProvider,
        webhook_secrets: list[str],
    ) -> None:
        self._repo = repo
        self._activities = activities
        self._messages = messages
        self._accounts = accounts
        self._notes = notifications
        self.sandbox = sandbox
        self._providers: dict[str, Provider] = {"sandbox": sandbox, "manual": ManualProvider()}
        self._secrets = webhook_secrets
        activities.on_payment_effect = self._payment_effect

    # the payer ---------------------------------------------------------------------------

    async def create(self, user: User, activity_id: str, provider: str) -> Payment:
        """Start paying for the caller's held seat. A pending payment of the same provider is
        returned again rather than duplicated. Posts no card."""
        a = await self._activities.get(user, activity_id)
        entry = a.entries.get(user.id)
        if entry is None or entry.status != "pending_payment" or a.price is None:
            raise Conflict("no_hold", "there is no held seat to pay for")
        previous = await self._repo.get(entry.payment_id) if entry.payment_id else None
        if previous and previous.status == "pending" and previous.provider == provider:
            return previous
        now = clock.now()
        p = Payment(
            id=new_id(),
            activity_id=a.id,
            user_id=user.id,
            organiser_id=a.organiser_id,
            amount=a.price.amount,
            currency=a.price.currency,
            provider=provider,  # type: ignore[arg-type]
            status="pending",
            created_at=now,
            updated_at=now,
        )
        p.checkout_url = self._providers[provider].checkout_url(p)
        await self._repo.create(p, LedgerEvent(p.id, 1, "pending", "created", now))
        await self._activities.apply(a.id, lambda s: rules.attach_payment(s, user.id, p.id, now))
        if previous and previous.status == "pending":
            # One open payment per held seat: the one the payer switched away from ends here
            # (money that still arrives for it is refunded, as for any payment without a seat).
            await self._transition(previous.id, "expired", "replaced", {"by": p.id})
        return p

    async def view(self, user: User, payment_id: str) -> tuple[Payment, list[LedgerEvent]]:
        p = await self._visible(user, payment_id)
        return p, await self._repo.ledger(p.id)

    async def submit_proof(
        self, user: User, payment_id: str, reference: str, note: str | None
    ) -> Payment:
        p = await self._visible(user, payment_id)
        if p.user_id != user.id:
            raise Forbidden("only the payer submits proof")
        if p.provider != "manual":
            raise Conflict("wrong_provider", "proof is for manual payments")
        done = await self._transition(
            p.id,
            "pending",
            "proof_submitted",
            {"reference": reference, "note": note},
            allow_same=True,
        )
        if done.status == "pending" and done.reference == reference:
            await self._tell(
                p,
                p.organiser_id,
                "payment_proof",
                "Payment to check",
                f"{user.display_name} sent {format_money(p.amount, p.currency)} by transfer, "
                f"reference {reference}. Confirm it once it arrives.",
            )
        return done

    # the organiser -----------------------------------------------------------------------

    async def confirm(self, user: User, payment_id: str) -> Payment:
        p = await self._organised(user, payment_id, manual=True)
        return await self._succeed(p, "manual_confirmed", {"by": user.id})

    async def reject(self, user: User, payment_id: str, reason: str) -> Payment:
        p = await self._organised(user, payment_id, manual=True)
        why = reason or "rejected by the organiser"
        done = await self._transition(p.id, "failed", "manual_rejected", {"failure_reason": why})
        if done.status == "failed" and p.status != "failed":
            await self._tell(
                p,
                p.user_id,
                "payment_failed",
                "Payment not accepted",
                f"{why}. Your seat is still held until the hold runs out: pay again.",
            )
        return done

    async def _tell(self, p: Payment, user_id: str, kind: str, heading: str, body: str) -> None:
        """Notify ``user_id`` about ``p``, titled "<heading>: <activity title>"."""
        a = await self._activities.state(p.activity_id)
        title = a.title if a else "an activity"
        await self._notes.notify(
            user_id,
            kind,
            f"{heading}: {title}",
            body,
            {"activity_id": p.activity_id, "payment_id": p.id},
        )

    async def mark_refunded(self, user: User, payment_id: str) -> Payment:
        p = await self._organised(user, payment_id, manual=True)
        return await self._refunded(p, "manual_refunded")

    async def for_activity(
        self, user: User, activity_id: str
    ) -> list[tuple[Payment, list[LedgerEvent], User | None]]:
        await self._activities.require_organiser(user, activity_id)
        found = await self._repo.for_activity(activity_id)
        payers = await self._accounts.get_users(list({p.user_id for p in found}))
        return [(p, await self._repo.ledger(p.id), payers.get(p.user_id)) for p in found]

    # webhooks ----------------------------------------------------------------------------

    async def webhook(self, provider: str, header: str | None, raw: bytes) -> str:
        """Verify, deduplicate, then apply. Returns what happened (for the 200 answer)."""
        signatures.verify(header, raw, self._secrets, time.time())
        try:
            body = WebhookIn.model_validate(json.loads(raw))
        except ValidationError as exc:
            raise invalid_from(exc) from None
        except ValueError:
            raise Invalid("malformed JSON", {"fields": {"body": "malformed JSON"}}) from None
        if provider not in self._providers:
            raise NotFound("no such provider")
        if not await self._repo.record_webhook(provider, body.id, body.model_dump(), clock.now()):
            # Seen before. If that attempt never finished (the process died or the database
            # failed half-way, so the provider got an error and retries), finish it now rather
            # than answer "duplicate" and lose the payment.
            if not await self._repo.unfinished_webhook(provider, body.id, STALE_WEBHOOK_SECONDS):
                return "duplicate"
        outcome = await self._apply_event(provider, body)
        await self._repo.webhook_outcome(provider, body.id, outcome)
        return outcome

    async def _apply_event(self, provider: str, e: WebhookIn) -> str:
        p = await self._repo.get(e.payment_id)
        if p is None or p.provider != provider:
            return "unknown_payment"
        if e.amount != p.amount or e.currency != p.currency:
            await self._transition(
                p.id,
                p.status,
                "amount_mismatch",
                {"event": e.id, "amount": e.amount, "currency": e.currency},
                allow_same=True,
            )
            return "amount_mismatch"
        before = p.status
        if e.type == "payment.succeeded":
            p = await self._succeed(p, "webhook", {"event": e.id})
        elif e.type == "payment.failed":
            p = await self._transition(
                p.id,
                "failed",
                "webhook",
                {"event": e.id, "failure_reason": "declined by the provider"},
            )
        else:
            p = await self._refunded(p, "webhook", {"event": e.id})
        return "applied" if p.status != before else "ignored"

    # state changes -----------------------------------------------------------------------

    async def _succeed(self, p: Payment, reason: str, data: dict[str, Any]) -> Payment:
        paid = await self._transition(p.id, "paid", reason, data)
        if paid.status != "paid":
            return paid
        # Paid, now or by an earlier attempt that may have died half-way: every step below is
        # idempotent (the seat rule, keyed card and notification), so finishing again is safe.
        applied = await self._activities.apply(
            p.activity_id, lambda a: rules.payment_succeeded(a, p.user_id, p.id, clock.now())
        )
        a = applied.activity
        if any(e.kind == "refund_due" for e in applied.effects):
            await self.refund(paid, "seat_gone")
            return (await self._repo.get(p.id)) or paid
        await self._card(paid, a)
        await self._notes.notify(
            p.user_id,
            "payment_succeeded",
            f"Paid: {a.title}",
            "Your seat is confirmed. The payment card is your ticket proof.",
            {"activity_id": a.id, "payment_id": p.id},
            key=f"paid-{p.id}",
        )
        return paid

    async def refund(self, p: Payment, reason: str) -> Payment:
        """Start a refund of a paid payment (idempotent: a refund already started is left)."""
        started = await self._transition(p.id, "refund_pending", reason, {})
        if started.status != "refund_pending" or p.status == "refund_pending":
            return started
        a = await self._activities.state(p.activity_id)
        if a is not None:
            await self._card(started, a)
        await self._providers[p.provider].refund(started)
        return started

    async def _refunded(
        self, p: Payment, reason: str, data: dict[str, Any] | None = None
    ) -> Payment:
        done = await self._transition(p.id, "refunded", reason, data or {})
        if done.status == "refunded" and p.status != "refunded":
            a = await self._activities.state(p.activity_id)
            if a is not None:
                await self._card(done, a)
                await self._notes.notify(
                    p.user_id,
                    "refund_succeeded",
                    f"Refunded: {a.title}",
                    f"{format_money(done.amount, done.currency)} is on its way back.",
                    {"activity_id": a.id, "payment_id": p.id},
                    key=f"refunded-{p.id}",
                )
        return done

    async def _payment_effect(self, a: Activity, effect: Effect) -> None:
        """Seat-side events that concern a payment: refunds owed, holds that ran out."""
        payment_id = effect.data.get("payment_id")
        p = await self._repo.get(str(payment_id)) if payment_id else None
        if p is None:
            return
        if effect.kind == "refund_due" and p.status == "paid":
            await self.refund(p, str(effect.data.get("reason", "refund")))
        elif effect.kind == "hold_expired" and p.status in ("pending", "failed"):
            await self._transition(p.id, "expired", "hold_expired", {})

    async def _transition(
        self,
        payment_id: str,
        to: PaymentStatus,
        reason: str,
        data: dict[str, Any],
        allow_same: bool = False,
    ) -> Payment:
        """Append the next ledger event if ``to`` may follow the current status; otherwise
        (out of order, repeated) return the payment unchanged."""
        for _ in range(20):
            p = await self._repo.get(payment_id)
            if p is None:
                raise NotFound("no such payment")
            if not (to in TRANSITIONS[p.status] or (allow_same and to == p.status)):
                return p
            now = clock.now()
            fields = {k: v for k, v in data.items() if k in ("reference", "note", "failure_reason")}
            nxt = replace(p, status=to, version=p.version + 1, updated_at=now, **fields)
            if to != "failed" and "failure_reason" not in fields:
                nxt.failure_reason = None if to == "paid" else nxt.failure_reason
            if await self._repo.append(nxt, LedgerEvent(p.id, nxt.version, to, reason, now, data)):
                return nxt
        raise Conflict("busy", "the payment is changing; try again")

    async def _card(self, p: Payment, a: Activity) -> None:
        """Post the payment card into the DM between payer and organiser."""
        users = await self._accounts.get_users([p.user_id, a.organiser_id])
        if p.user_id not in users or a.organiser_id not in users or p.user_id == a.organiser_id:
            return
        conv, _ = await self._messages.open_dm(users[p.user_id], users[a.organiser_id])
        card = {
            "type": "payment",
            "payment_id": p.id,
            "activity_id": a.id,
            "amount": p.amount,
            "currency": p.currency,
            "status": p.status,
            "activity_title": a.title,
        }
        await self._messages.post(
            conv.id,
            None,
            "card",
            f"Payment {p.status}: {a.title}",
            card,
            key=f"pay-{p.id}-{p.status}",
        )

    # access ------------------------------------------------------------------------------

    async def _visible(self, user: User, payment_id: str) -> Payment:
        p = await self._repo.get(payment_id)
        if p is None:
            raise NotFound("no such payment")
        if p.user_id == user.id:
            return p
        try:
            await self._activities.require_organiser(user, p.activity_id)
        except (Forbidden, NotFound):
            raise NotFound("no such payment") from None
        return p

    async def _organised(self, user: User, payment_id: str, manual: bool) -> Payment:
        p = await self._repo.get(payment_id)
        if p is None:
            raise NotFound("no such payment")
        try:
            await self._activities.require_organiser(user, p.activity_id)
        except (Forbidden, NotFound):
            if p.user_id == user.id:  # the payer sees the payment but may not decide it
                raise Forbidden("organisers only") from None
            raise NotFound("no such payment") from None
        if manual and p.provider != "manual":
            raise Conflict("wrong_provider", "only manual payments are confirmed by hand")
        return p

    async def payment(self, payment_id: str) -> Payment | None:
        return await self._repo.get(payment_id)

    @staticmethod
    def totals(payments: list[Payment]) -> tuple[str | None, int, int]:
        gross = sum(p.amount for p in payments if p.status in PAID_STATES)
        refunded = sum(p.amount for p in payments if p.status == "refunded")
        currency = payments[0].currency if payments else None
        return currency, gross, refunded
