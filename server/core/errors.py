"""Domain errors and their stable wire codes (PROTOCOL.md section 1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

STATUS_BY_CODE = {
    "bad_request": 400,
    "invalid": 422,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "rate_limited": 429,
    "unavailable": 503,
}


class DomainError(Exception):
    """An expected refusal; transports turn it into an ack error or an HTTP error body."""

    code = "invalid"

    def __init__(self, message: str = "", details: dict[str, Any] | None = None) -> None:
        super().__init__(message or self.code)
        self.message = message or self.code.replace("_", " ")
        self.details = details

    @property
    def status(self) -> int:
        return STATUS_BY_CODE[self.code]

    def to_wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class BadRequest(DomainError):
    code = "bad_request"


class Invalid(DomainError):
    code = "invalid"


class Unauthorized(DomainError):
    code = "unauthorized"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"

    def __init__(self, reason: str, message: str = "", **extra: Any) -> None:
        super().__init__(message or reason.replace("_", " "), {"reason": reason, **extra})
        self.reason = reason


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, retry_after: float) -> None:
        super().__init__("slow down", {"retry_after": max(1, round(retry_after))})


class Unavailable(DomainError):
    code = "unavailable"


Translator = Callable[[BaseException], DomainError | None]
_translators: list[Translator] = []


def register_translator(fn: Translator) -> None:
    """Let a client module (mongo, redis) say which of its exceptions mean 'unavailable'."""
    _translators.append(fn)


def translate(exc: BaseException) -> DomainError | None:
    """The domain meaning of an infrastructure exception, or None for a real bug."""
    if isinstance(exc, DomainError):
        return exc
    for fn in _translators:
        found = fn(exc)
        if found is not None:
            return found
    return None
