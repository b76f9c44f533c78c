"""Limits on the endpoints anyone can call without a token: registration and login.

They are keyed by client address, never by handle alone: a limit per handle lets anyone lock a
user out by guessing at their password, and does nothing against one address trying many
handles.
"""

from __future__ import annotations

from starlette.requests import Request

from server.core.ratelimit import Backoff, Budget, Limits


def client_address(request: Request) -> str:
    """The ASGI peer address. Behind a proxy listed in TRUSTED_PROXIES, uvicorn has already put
    the client's address from ``X-Forwarded-For`` there; from any other peer that header is
    ignored, so a client cannot choose the address it is limited by."""
    return request.client.host if request.client else "unknown"


class AuthThrottle:
    """Every login attempt spends from its address's budget, so spraying handles from one
    address is slow; each (address, handle) pair backs off exponentially after a few failed
    attempts, while the same handle from another address is untouched, so the real user can
    still log in. Registration has a per-address budget of its own."""

    def __init__(self, limits: Limits, backoff: Backoff, per_minute: int) -> None:
        self._limits = limits
        self._backoff = backoff
        # Sized by RATE_LIMIT_AUTH_PER_MINUTE alone (a minute's worth may be spent at once).
        self._login = Budget("login_address", per_minute, per_minute, scalable=False)
        self._register = Budget("register_address", per_minute, per_minute, scalable=False)

    async def before_register(self, address: str) -> None:
        await self._limits.charge(self._register, address)

    async def before_login(self, address: str, handle: str) -> None:
        """Refuse (``rate_limited``) or count the attempt as a failure until it succeeds."""
        await self._limits.charge(self._login, address)
        await self._backoff.attempt(_pair(address, handle))

    async def logged_in(self, address: str, handle: str) -> None:
        await self._backoff.succeeded(_pair(address, handle))


def _pair(address: str, handle: str) -> str:
    return f"{address}|{handle}"
