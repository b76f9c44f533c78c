"""Signed tokens, one salt per purpose, so a token minted for one use is refused for any other."""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from server.core import clock
from server.core.errors import Unauthorized

PURPOSES = ("session", "invite", "calendar", "ticket", "share")


class ClockSigner(TimestampSigner):
    """Timestamps from ``core.clock``, so token ages follow the same clock as everything else."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def serializer(secret_key: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=salt, signer=ClockSigner)


class TokenSigner:
    """Mint and verify tokens. ``verify`` raises ``Unauthorized`` for anything not valid."""

    def __init__(self, secret_key: str) -> None:
        self._serializers = {
            purpose: serializer(secret_key, f"circles.{purpose}.v1") for purpose in PURPOSES
        }

    def sign(self, purpose: str, payload: dict[str, Any]) -> str:
        return str(self._serializers[purpose].dumps(payload))

    def verify(self, purpose: str, token: object, max_age: float | None = None) -> dict[str, Any]:
        if not isinstance(token, str) or not 0 < len(token) <= 1024:
            raise Unauthorized("missing or malformed token")
        try:
            age = int(max_age) if max_age is not None else None
            data = self._serializers[purpose].loads(token, max_age=age)
        except SignatureExpired:
            raise Unauthorized("token expired") from None
        except (BadSignature, ValueError, TypeError):
            raise Unauthorized("invalid token") from None
        if not isinstance(data, dict):
            raise Unauthorized("invalid token")
        return data
