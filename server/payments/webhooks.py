"""Signed provider events in: verify, check, deduplicate, then hand to the payment service.

Outside providers post to the webhook route; the sandbox hands its signed events to the same
``receive`` in process. Nothing is recorded for a refused event (bad signature, malformed body:
an amount outside 0..100,000,000 or a currency that is not three capital letters), so the same
event id delivered right later still applies. A well-formed event whose amount or currency is
not the payment's is not refused: it is recorded, answered 200 (providers retry any other answer
forever) and confirms nothing (PROTOCOL §4; ``PaymentService.apply_event``).
"""

from __future__ import annotations

import json
import time

from pydantic import ValidationError

from server.core import clock
from server.core.errors import Invalid, NotFound
from server.core.schemas import invalid_from
from server.payments import signatures
from server.payments.repository import PaymentRepository
from server.payments.schemas import WebhookIn
from server.payments.service import PaymentService

# A recorded webhook event without an outcome after this long was abandoned by its attempt.
STALE_WEBHOOK_SECONDS = 30.0


class WebhookInbox:
    def __init__(
        self, repo: PaymentRepository, payments: PaymentService, secrets: list[str]
    ) -> None:
        self._repo = repo
        self._payments = payments
        self._secrets = secrets
        payments.sandbox.deliver = self.receive

    async def from_outside(self, provider: str, header: str | None, raw: bytes) -> str:
        """An outside provider's event: only enabled providers are heard."""
        return await self.receive(provider, header, raw, outside=True)

    async def receive(
        self, provider: str, header: str | None, raw: bytes, outside: bool = False
    ) -> str:
        """Returns what happened (for the 200 answer); raises the refusals."""
        signatures.verify(header, raw, self._secrets, time.time())
        try:
            body = WebhookIn.model_validate(json.loads(raw))
        except ValidationError as exc:
            raise invalid_from(exc) from None
        except ValueError:
            raise Invalid("malformed JSON", {"fields": {"body": "malformed JSON"}}) from None
        if provider not in (self._payments.enabled if outside else self._payments.known):
            raise NotFound("no such provider")
        if not await self._repo.record_webhook(provider, body.id, body.model_dump(), clock.now()):
            # Seen before. If that attempt never finished (the process died or the database
            # failed half-way, so the provider got an error and retries), finish it now rather
            # than answer "duplicate" and lose the payment.
            if not await self._repo.unfinished_webhook(provider, body.id, STALE_WEBHOOK_SECONDS):
                return "duplicate"
        outcome = await self._payments.apply_event(provider, body)
        await self._repo.webhook_outcome(provider, body.id, outcome)
        return outcome
