"""Paying for held seats: create, prove, confirm/reject, webhooks, refunds, cards, ledger."""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any, get_args

from server.accounts.models import User
from server.accounts.service import AccountService
from server.activities import rules
from server.activities.models import Activity, Effect
from server.activities.service import ActivityService
from server.core import clock
from server.core.errors import Conflict, Forbidden, Invalid
from server.core.ids import new_id
from server.messages.service import MessageService
from server.notifications.service import NotificationService
from server.payments import access, ledger
from server.payments.models import LedgerEvent, Payment, PaymentStatus
from server.payments.money import format_money
from server.payments.providers import ManualProvider, Provider, SandboxProvider
from server.payments.repository import PaymentRepository
from server.payments.schemas import WebhookIn

log = logging.getLogger(__name__)
# A transfer reference is taken while the payment is open, and late, once it expired.
OPEN_TO_PROOF: tuple[PaymentStatus, ...] = ("pending", "expired")
ANY_STATUS: tuple[PaymentStatus, ...] = tuple(get_args(PaymentStatus))
# Told of every ledger event this process appended (the payment as it now stands); must not
# raise. The organiser's reports keep their per-circle money from it (reports/book.py).
PaymentWatcher = Callable[[Payment], Awaitable[None]]


class PaymentService:
    def __init__(
        self,
        repo: PaymentRepository,
        activities: ActivityService,
        messages: MessageService,
        accounts: AccountService,
        notifications: NotificationService,
        sandbox: SandboxProvider,
        enabled: list[str],
    ) -> None:
        self._repo = repo
        self._activities = activities
        self._messages = messages
        self._accounts = accounts
        self._notes = notifications
        self.sandbox = sandbox
        # Every known provider, so payments made before a provider was disabled can still be
        # refunded and finished; only enabled ones take new payments and outside webhooks.
        self._providers: dict[str, Provider] = {"sandbox": sandbox, "manual": ManualProvider()}
        self.known = list(self._providers)
        self.enabled = [name for name in self._providers if name in enabled]
        self.watchers: list[PaymentWatcher] = []
        activities.on_payment_effect = self._payment_effect

    # the payer ---------------------------------------------------------------------------

    async def create(self, user: User, activity_id: str, provider: str) -> Payment:
        """Start paying for the caller's held seat. A pending payment of the same provider is
        returned again rather than duplicated. Posts no card."""
        if provider not in self.enabled:
            raise Invalid(
                "this payment provider is not enabled",
                {
                    "fields": {
                        "provider": f"not enabled here; use one of: {', '.join(self.enabled)}"
                    }
                },
            )
        a = await self._activities.get(user, activity_id)
        entry = a.entries.get(user.id)
        if entry is None or entry.status != "pending_payment" or a.price is None:
            raise Conflict("no_hold", "there is no held seat to pay for")
        previous = await self._repo.get(entry.payment_id) if entry.payment_id else None
        if previous and previous.status == "pending" and previous.provider == provider:
            return previous
        now = clock.now()
        if entry.hold_expires_at is not None and now >= entry.hold_expires_at:
            # Checked here too (attach_payment checks again), so a refusal stores no payment.
            raise Conflict("hold_expired", "the hold on your seat expired")
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
        await self._tell_watchers(p)
        await self._activities.apply(a.id, lambda s: rules.attach_payment(s, user.id, p.id, now))
        if previous and previous.status == "pending":
            # One open payment per held seat: the one the payer switched away from ends here
            # (money that still arrives for it is refunded, as for any payment without a seat).
            await self._transition(previous.id, "expired", "replaced", {"by": p.id})
        return p

    async def view(self, user: User, payment_id: str) -> tuple[Payment, list[LedgerEvent]]:
        p = await access.require_visible(self._repo, self._activities, user, payment_id)
        return p, await self._repo.ledger(p.id)

    async def submit_proof(
        self, user: User, payment_id: str, reference: str, note: str | None
    ) -> Payment:
        p = await access.require_visible(self._repo, self._activities, user, payment_id)
        if p.user_id != user.id:
            raise Forbidden("only the payer submits proof")
        if p.provider != "manual":
            raise Conflict("wrong_provider", "proof is for manual payments")
        if p.status not in OPEN_TO_PROOF:
            raise Conflict("payment_closed", f"this payment is already {p.status}")
        # The status stays as it is: a late reference (the payment expired) is recorded too, so
        # the organiser can still confirm or reject it.
        done = await self._transition(
            p.id, None, "proof_submitted", {"reference": reference, "note": note}, OPEN_TO_PROOF
        )
        if done.status not in OPEN_TO_PROOF:  # decided meanwhile
            raise Conflict("payment_closed", f"this payment is already {done.status}")
        if done.status == "pending":
            await self._activities.apply(
                p.activity_id,
                lambda a: rules.hold_for_review(a, p.user_id, p.id, p.created_at, clock.now()),
            )
        late = (
            " It came after the hold on the seat ran out: confirming gives the seat back if one "
            "is free, otherwise the payment is refunded."
            if done.status == "expired"
            else " The seat is held while you check it."
        )
        await self._tell(
            p,
            p.organiser_id,
            "payment_proof",
            "Payment to check",
            f"{user.display_name} sent {format_money(p.amount, p.currency)} by transfer, "
            f"reference {reference}. Confirm it once it arrives.{late}",
        )
        return done

    async def complete_sandbox(self, user: User, payment_id: str) -> Payment:
        """The payer presses Pay on the sandbox checkout (a test payment: no money moves). Only
        the payer's own session may; the success goes through the same signed-webhook
        verification and processing as a real provider's, in process."""
        p = await access.require_visible(self._repo, self._activities, user, payment_id)
        if p.user_id != user.id:
            raise Forbidden("only the payer completes a checkout")
        if p.provider != "sandbox":
            raise Conflict("wrong_provider", "this is not a sandbox payment")
        if "sandbox" not in self.enabled:
            raise Conflict("provider_disabled", "the sandbox provider is not enabled")
        if p.status not in ("pending", "failed"):
            raise Conflict("not_payable", f"this payment is {p.status}")
        await self.sandbox.send_event("payment.succeeded", p)
        return (await self._repo.get(p.id)) or p

    # the organiser -----------------------------------------------------------------------

    async def confirm(self, user: User, payment_id: str) -> Payment:
        """Mark a manual payment received, also late (after its hold ran out or a rejection):
        the seat is confirmed if still held or, failing that, free; otherwise it is refunded."""
        p = await access.require_organised(
            self._repo, self._activities, user, payment_id, manual=True
        )
        return await self._succeed(p, "manual_confirmed", {"by": user.id}, reseat=True)

    async def reject(self, user: User, payment_id: str, reason: str) -> Payment:
        """Refuse a manual payment (PROTOCOL §4: the sign-up stays ``pending_payment`` so the
        payer can pay again). A seat held for the organiser's review goes back to an ordinary
        hold from now, so a made-up reference cannot keep it for the whole review window."""
        p = await access.require_organised(
            self._repo, self._activities, user, payment_id, manual=True
        )
        why = reason or "rejected by the organiser"
        done = await self._transition(p.id, "failed", "manual_rejected", {"failure_reason": why})
        if done.status != "failed":
            return done
        now = clock.now()
        applied = await self._activities.apply(
            p.activity_id, lambda a: rules.payment_rejected(a, p.user_id, p.id, now)
        )
        if p.status != "failed":
            e = applied.activity.entries.get(p.user_id)
            until = e.hold_expires_at if e and e.status == "pending_payment" else None
            after = ""
            if until is not None and until > now:
                left = math.ceil((until - now).total_seconds() / 60)
                after = f" Your seat is held for {left} more min: pay again to keep it."
            await self._tell(
                p, p.user_id, "payment_failed", "Payment not accepted", f"{why}.{after}"
            )
        return done

    async def _tell(
        self, p: Payment, user_id: str, kind: str, heading: str, body: str, key: str | None = None
    ) -> None:
        """Notify ``user_id`` about ``p``, titled "<heading>: <activity title>"."""
        a = await self._activities.state(p.activity_id)
        title = a.title if a else "an activity"
        await self._notes.notify(
            user_id,
            kind,
            f"{heading}: {title}",
            body,
            {"activity_id": p.activity_id, "payment_id": p.id},
            key=key,
        )

    async def mark_refunded(self, user: User, payment_id: str) -> Payment:
        p = await access.require_organised(
            self._repo, self._activities, user, payment_id, manual=True
        )
        return await self._refunded(p, "manual_refunded")

    async def for_activity(
        self, user: User, activity_id: str
    ) -> list[tuple[Payment, list[LedgerEvent], User | None]]:
        await self._activities.require_organiser(user, activity_id, "review_payments")
        found = await self._repo.for_activity(activity_id)
        payers = await self._accounts.get_users(list({p.user_id for p in found}))
        return [(p, await self._repo.ledger(p.id), payers.get(p.user_id)) for p in found]

    async def records_of(self, activity_id: str) -> list[tuple[Payment, list[LedgerEvent]]]:
        """An activity's payments with their ledgers, for other domains' services (no
        permission check: the caller's gate has decided already)."""
        return [
            (p, await self._repo.ledger(p.id)) for p in await self._repo.for_activity(activity_id)
        ]

    # webhooks ----------------------------------------------------------------------------

    async def apply_event(self, provider: str, e: WebhookIn) -> str:
        """A verified, first-seen provider event (see webhooks.py); returns the outcome."""
        p = await self._repo.get(e.payment_id)
        if p is None or p.provider != provider:
            return "unknown_payment"
        if (e.amount, e.currency) != (p.amount, p.currency):
            # Recorded on the ledger (an organiser sees what the provider claimed), answered 200
            # so the provider stops retrying, and confirms nothing (PROTOCOL §4).
            log.warning("webhook %s for payment %s: amount or currency differs", e.id, p.id)
            await self._transition(
                p.id,
                None,
                "amount_mismatch",
                {"event": e.id, "type": e.type, "amount": e.amount, "currency": e.currency},
                ANY_STATUS,
            )
            return "amount_mismatch"
        before = p.status
        if e.type == "payment.succeeded":
            p = await self._succeed(p, "webhook", {"event": e.id})
        elif e.type == "payment.failed" and p.status == "expired":
            return "ignored"  # a decline after the hold ran out changes nothing
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

    async def _succeed(
        self, p: Payment, reason: str, data: dict[str, Any], reseat: bool = False
    ) -> Payment:
        paid = await self._transition(p.id, "paid", reason, data)
        if paid.status != "paid":
            return paid
        # Paid, now or by an earlier attempt that may have died half-way: every step below is
        # idempotent (the seat rule, keyed card and notification), so finishing again is safe.
        applied = await self._activities.apply(
            p.activity_id,
            lambda a: rules.payment_succeeded(a, p.user_id, p.id, clock.now(), reseat),
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
        if reason == "seat_gone":  # the payer expected a seat: say why the money goes back
            await self._tell(
                started,
                p.user_id,
                "refund_started",
                "Refund on its way",
                f"Your payment of {format_money(p.amount, p.currency)} arrived after your seat "
                "was no longer held and none was free, so it is being refunded.",
                key=f"refund-started-{p.id}",
            )
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
        to: PaymentStatus | None,
        reason: str,
        data: dict[str, Any],
        keep: tuple[PaymentStatus, ...] = (),
    ) -> Payment:
        after = await ledger.transition(self._repo, payment_id, to, reason, data, keep)
        await self._tell_watchers(after)  # also when nothing was appended: rare, and harmless
        return after

    async def _tell_watchers(self, p: Payment) -> None:
        for watch in self.watchers:
            await watch(p)

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
            "test": p.test,  # the sandbox: no money moved
        }
        await self._messages.post(
            conv.id,
            None,
            "card",
            f"Payment {p.status}: {a.title}",
            card,
            key=f"pay-{p.id}-{p.status}",
        )

    async def payment(self, payment_id: str) -> Payment | None:
        return await self._repo.get(payment_id)

    @staticmethod
    def totals(payments: list[Payment], test: bool) -> tuple[str | None, int, int]:
        return ledger.totals(payments, test)
