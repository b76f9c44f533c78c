"""Payment providers behind one small interface. A real provider (Stripe, WeChat Pay, Alipay)
implements ``Provider`` and reports back through the signed webhook; the domain never changes."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from server.core.ids import new_id
from server.payments.models import Payment
from server.payments.signatures import sign

log = logging.getLogger(__name__)

# Hands a signed webhook (provider, Circles-Signature header, raw body) to the payment service's
# own verification and processing; returns the outcome.
Deliver = Callable[[str, str, bytes], Awaitable[str]]


class Provider(Protocol):
    name: str
    test: bool  # no real money moves: kept out of an organiser's totals

    def checkout_url(self, payment: Payment) -> str | None: ...

    async def refund(self, payment: Payment) -> None:
        """Start a refund; completion arrives later as a ``refund.succeeded`` webhook (or, for
        manual payments, when the organiser marks it refunded)."""


class ManualProvider:
    """Bank transfer or cash: the payer submits a reference, the organiser confirms."""

    name = "manual"
    test = False

    def checkout_url(self, payment: Payment) -> str | None:
        return None

    async def refund(self, payment: Payment) -> None:
        return None  # the organiser pays back by hand and marks the refund done


class SandboxProvider:
    """A pretend card processor for demos and tests: its checkout is a page of the web client
    that only the payer's own session can complete, and no money moves. Completion and refunds
    are signed webhook events handed to the same verification and processing a real provider's
    webhook goes through, in process (no HTTP client)."""

    name = "sandbox"
    test = True

    def __init__(self, base_url: str, secret: str) -> None:
        self._base_url = base_url
        self._secret = secret
        self._tasks: set[asyncio.Task[None]] = set()
        self.deliver: Deliver | None = None  # set by the payment service

    def checkout_url(self, payment: Payment) -> str | None:
        return f"{self._base_url}/#/pay/{payment.id}"

    async def send_event(self, kind: str, payment: Payment) -> str:
        """Sign an event for ``payment`` as the provider would, and have it processed."""
        if self.deliver is None:
            raise RuntimeError("the sandbox provider is not connected to a payment service")
        body = json.dumps(
            {
                "id": f"evt_{new_id()}",
                "type": kind,
                "payment_id": payment.id,
                "amount": payment.amount,
                "currency": payment.currency,
            }
        ).encode()
        return await self.deliver(self.name, sign(self._secret, int(time.time()), body), body)

    async def refund(self, payment: Payment) -> None:
        # A real provider confirms a refund later; so does the sandbox, after a short while.
        async def later() -> None:
            await asyncio.sleep(0.2)
            try:
                await self.send_event("refund.succeeded", payment)
            except Exception:
                log.exception("sandbox refund event for %s failed", payment.id)

        task = asyncio.create_task(later())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
