"""Webhook signatures: ``Circles-Signature: t=<unix>,v1=<hex HMAC-SHA256("<t>.<raw body>")>``."""

from __future__ import annotations

import hashlib
import hmac
import re

from server.core.errors import BadRequest

TOLERANCE_SECONDS = 300
# Unix seconds as plain ASCII digits: int() would also take "+1", "1_0", other scripts' digits
# and thousands of digits (too large to compare with a float clock).
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(header: str | None, body: bytes, secrets: list[str], now: float) -> None:
    """Accept if any current secret (rotation: several) signed exactly these bytes recently.
    Comparisons are constant-time; every refusal is ``bad_request`` with no detail to probe."""
    if not header or not secrets:
        raise BadRequest("missing or unverifiable signature")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    given_t = parts.get("t", [""])[0]
    if not _TIMESTAMP.fullmatch(given_t):
        raise BadRequest("bad signature timestamp")
    timestamp = int(given_t)
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise BadRequest("signature timestamp out of tolerance")
    signed = f"{timestamp}.".encode() + body
    expected = [hmac.new(s.encode(), signed, hashlib.sha256).hexdigest() for s in secrets]
    ok = False
    for given in parts.get("v1", []):
        for mac in expected:
            ok |= hmac.compare_digest(given.encode(), mac.encode())
    if not ok:
        raise BadRequest("signature does not verify")
