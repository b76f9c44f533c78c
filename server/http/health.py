"""Readiness (``GET /readyz``), draining on SIGTERM, and ``GET /metrics``.

``/healthz`` (server/app.py) says the process answers. ``/readyz`` says a load balancer may send
it new work: storage set up, the database and Redis answering, and not draining. On SIGTERM a
process with ``DRAIN_SECONDS`` > 0 first drains for that long, still listening: ``/readyz``
answers 503 ``draining`` and new Socket.IO connections are refused (``unavailable``, reason
``draining``) while the open ones carry on, so the balancer sends new sockets to other processes
before this one stops listening and runs its graceful shutdown (``SHUTDOWN_GRACE_SECONDS``).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import signal
import threading
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.core import metrics
from server.settings import Settings

log = logging.getLogger(__name__)
Check = Callable[[], Awaitable[object]]


class Drain:
    """Whether this process is draining. One per process: a signal drains the whole process."""

    def __init__(self) -> None:
        self.draining = False

    def start(self) -> None:
        if not self.draining:
            self.draining = True
            log.warning("draining: not ready, refusing new sockets")

    def refusal(self) -> str | None:
        """Why a new socket is refused now, or None."""
        return "draining" if self.draining else None


DRAIN = Drain()


class Readiness:
    """``storage_ready`` is set once indexes (and their PostgreSQL mirrors) are in place."""

    def __init__(self, checks: dict[str, Check], timeout: float, drain: Drain = DRAIN) -> None:
        self._checks = checks
        self._timeout = timeout
        self._drain = drain
        self.storage_ready = False

    async def _probe(self, check: Check) -> str:
        try:
            await asyncio.wait_for(check(), self._timeout)
        except Exception as exc:  # any failure means not ready; its kind is what we report
            return f"failed: {type(exc).__name__}"
        return "ok"

    async def report(self) -> tuple[bool, dict[str, Any]]:
        names = list(self._checks)
        results = await asyncio.gather(*[self._probe(self._checks[n]) for n in names])
        checks: dict[str, str] = dict(zip(names, results, strict=True))
        checks["storage"] = "ok" if self.storage_ready else "setting up"
        checks["draining"] = "yes" if self._drain.draining else "no"
        failing = [n for n, v in checks.items() if v not in ("ok", "no")]
        return not failing, {
            "status": "ready" if not failing else "not_ready",
            "failing": failing,
            "checks": checks,
        }

    async def endpoint(self, request: Request) -> Response:
        ready, body = await self.report()
        return JSONResponse(body, status_code=200 if ready else 503)


def _loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def metrics_route(settings: Settings) -> Route:
    """``/metrics``: with METRICS_TOKEN set, only with ``Authorization: Bearer <token>``.
    Without a token it is off (404) unless METRICS_ENABLED is true, and then served to loopback
    clients only: behind a reverse proxy on the same machine every client looks like loopback,
    which is why a token, not the address, is the default protection."""
    token = settings.metrics_token
    enabled = settings.metrics_served

    async def endpoint(request: Request) -> Response:
        if not enabled:
            return _error(404, "not_found", "metrics are disabled (METRICS_ENABLED)")
        if token:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), token):
                return _error(401, "unauthorized", "a bearer token (METRICS_TOKEN) is needed")
        elif not _loopback(request):
            return _error(403, "forbidden", "metrics are served to loopback only (METRICS_TOKEN)")
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return Route("/metrics", endpoint)


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


class DrainingServer(uvicorn.Server):
    """uvicorn's server, draining for ``drain_seconds`` on the first SIGTERM before its own
    graceful shutdown. A second signal (or SIGINT) shuts down at once."""

    def __init__(self, config: uvicorn.Config, drain_seconds: float, drain: Drain = DRAIN):
        super().__init__(config)
        self._drain_seconds = drain_seconds
        self._state = drain
        self._timer: threading.Timer | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig == signal.SIGTERM and self._drain_seconds > 0 and not self._state.draining:
            self._state.start()
            # uvicorn's main loop polls should_exit every 0.1 s: a plain flag set later is enough.
            self._timer = threading.Timer(self._drain_seconds, self._stop_after_drain, (sig,))
            self._timer.daemon = True
            self._timer.start()
            return
        if self._timer is not None:
            self._timer.cancel()
        super().handle_exit(sig, frame)

    def _stop_after_drain(self, sig: int) -> None:
        log.warning("drained for %.1f s: shutting down", self._drain_seconds)
        super().handle_exit(sig, None)
