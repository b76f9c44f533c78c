"""The payment ledger's two rules: how a payment moves to its next status (one appended event per
version, under a unique key, so concurrent movers cannot both win), and how totals are summed."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from server.core import clock
from server.core.errors import Conflict, NotFound
from server.payments.models import TRANSITIONS, LedgerEvent, Payment, PaymentStatus
from server.payments.repository import PaymentRepository

PAID_STATES = ("paid", "refund_pending", "refunded")


async def transition(
    repo: PaymentRepository,
    payment_id: str,
    to: PaymentStatus | None,
    reason: str,
    data: dict[str, Any],
    keep: tuple[PaymentStatus, ...] = (),
) -> Payment:
    """Append the next ledger event if ``to`` may follow the current status, or (to record data
    such as a reference) the current status again if it is one of ``keep``; otherwise (out of
    order, repeated) return the payment unchanged."""
    for _ in range(20):
        p = await repo.get(payment_id)
        if p is None:
            raise NotFound("no such payment")
        if p.status in keep:
            status = p.status
        elif to is not None and to in TRANSITIONS[p.status]:
            status = to
        else:
            return p
        now = clock.now()
        fields = {k: v for k, v in data.items() if k in ("reference", "note", "failure_reason")}
        nxt = replace(p, status=status, version=p.version + 1, updated_at=now, **fields)
        if status != "failed" and "failure_reason" not in fields:
            nxt.failure_reason = None if status == "paid" else nxt.failure_reason
        event = LedgerEvent(p.id, nxt.version, status, reason, now, data)
        if await repo.append(nxt, event):
            return nxt
    raise Conflict("busy", "the payment is changing; try again")


def totals(payments: list[Payment], test: bool) -> tuple[str | None, int, int]:
    """(currency, gross, refunded) of the real payments, or of the test ones with ``test``:
    sandbox money is never added to real money."""
    mine = [p for p in payments if p.test == test]
    gross = sum(p.amount for p in mine if p.status in PAID_STATES)
    refunded = sum(p.amount for p in mine if p.status == "refunded")
    currency = (mine or payments)[0].currency if payments else None
    return currency, gross, refunded


class LedgerReader:
    """Read-only: the payments of activities with their ledgers, for payout statements
    (server/trust/payouts.py). Each lookup is an equality on a declared index."""

    def __init__(self, repo: PaymentRepository) -> None:
        self._repo = repo

    async def of_activity(self, activity_id: str) -> list[tuple[Payment, list[LedgerEvent]]]:
        found = await self._repo.for_activity(activity_id)
        return [(p, await self._repo.ledger(p.id)) for p in found]
