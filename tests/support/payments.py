"""Helpers for payment tests: signed webhooks as a provider would send them."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import httpx

SECRET = "whsec_test"  # PAYMENT_WEBHOOK_SECRET of the test servers (tests/conftest.py)


def signed(
    body: dict[str, Any] | bytes, secret: str = SECRET, at: int | None = None
) -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    t = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{t}.".encode() + raw, hashlib.sha256).hexdigest()
    return raw, {"Circles-Signature": f"t={t},v1={mac}", "Content-Type": "application/json"}


def event(payment: dict[str, Any], kind: str = "payment.succeeded", **over: Any) -> dict[str, Any]:
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "type": kind,
        "payment_id": payment["id"],
        "amount": payment["amount"],
        "currency": payment["currency"],
        **over,
    }


async def deliver(
    base_url: str,
    body: dict[str, Any] | bytes,
    provider: str = "sandbox",
    headers: dict[str, str] | None = None,
    **sign_kw: Any,
) -> httpx.Response:
    raw, h = signed(body, **sign_kw)
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        return await http.post(
            f"/api/payments/webhook/{provider}",
            content=raw,
            headers=headers if headers is not None else h,
        )
