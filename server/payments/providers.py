"""Payment providers behind one small interface. A real provider (Stripe, WeChat Pay, Alipay)
implements ``Provider`` and reports back through the signed webhook; the domain never changes."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Protocol

import httpx

from server.core.ids import new_id
from server.core.tokens import TokenSigner
from server.payments.models import Payment
from server.payments.signatures import sign

log = logging.getLogger(__name__)


class Provider(Protocol):
    name: str

    def checkout_url(self, payment: Payment) -> str | None: ...

    async def refund(self, payment: Payment) -> None:
        """Start a refund; completion arrives later as a ``refund.succeeded`` webhook (or, for
        manual payments, when the organiser marks it refunded)."""


class ManualProvider:
    """Bank transfer or cash: the payer submits a reference, the organiser confirms."""

    name = "manual"

    def checkout_url(self, payment: Payment) -> str | None:
        return None

    async def refund(self, payment: Payment) -> None:
        return None  # the organiser pays back by hand and marks the refund done


class SandboxProvider:
    """A pretend card processor served by Circles itself. Its checkout page and refunds complete
    through the same signed webhook a real provider would call."""

    name = "sandbox"

    def __init__(self, base_url: str, secret: str, signer: TokenSigner) -> None:
        self._base_url = base_url
        self._secret = secret
        self._signer = signer
        self._tasks: set[asyncio.Task[None]] = set()

    def checkout_url(self, payment: Payment) -> str | None:
        token = self._signer.sign("share", {"pay": payment.id})
        return f"{self._base_url}/pay/sandbox/{payment.id}?t={token}"

    def verify_checkout(self, payment_id: str, token: str) -> bool:
        try:
            return self._signer.verify("share", token, max_age=24 * 3600).get("pay") == payment_id
        except Exception:
            return False

    async def send_event(self, kind: str, payment: Payment) -> int:
        """POST a signed event for ``payment`` to this server's webhook, as the provider would."""
        body = json.dumps(
            {
                "id": f"evt_{new_id()}",
                "type": kind,
                "payment_id": payment.id,
                "amount": payment.amount,
                "currency": payment.currency,
            }
        ).encode()
        headers = {
            "Circles-Signature": sign(self._secret, int(time.time()), body),
            "Content-Type": "application/json",
        }
        async with httpx.AsyncClient(timeout=10) as http:
            resp = await http.post(
                f"{self._base_url}/api/payments/webhook/sandbox", content=body, headers=headers
            )
        return resp.status_code

    async def refund(self, payment: Payment) -> None:
        async def later() -> None:
            await asyncio.sleep(0.2)
            try:
                await self.send_event("refund.succeeded", payment)
            except Exception:
                log.exception("sandbox refund webhook for %s failed", payment.id)

        task = asyncio.create_task(later())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
