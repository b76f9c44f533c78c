"""Who gets a connection, and for how long before it has said what it wants.

This works below ASGI, in uvicorn's HTTP protocol, because the app only hears of a request once
its headers are complete: a client that connects and then sends nothing, or one header byte at a
time, is invisible to it, and uvicorn on its own keeps such a connection forever (its keep-alive
timer only runs between requests, and any byte cancels it). So:

- request headers must be complete within ``HANDSHAKE_TIMEOUT_SECONDS`` of the connection
  opening, and of each previous response on a keep-alive connection, or the connection is
  closed (the body then has the same time, see bodies.py; an Engine.IO session has it to
  complete its Socket.IO CONNECT, see realtime/server.py);
- one client address may hold ``MAX_CONNECTIONS_PER_ADDRESS`` open connections per process,
  websockets included; one more is answered 429 ``rate_limited`` and closed at once, before it
  costs anything. The address is the TCP peer: behind a reverse proxy every client has the
  proxy's address, so loopback and ``TRUSTED_PROXIES`` are exempt (``CONNECTION_CAP_EXEMPT``)
  and the proxy should cap per client itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from server.core.errors import RateLimited
from server.http.headers import SECURITY_HEADERS
from server.settings import Settings

log = logging.getLogger(__name__)
SWEEP_EVERY = 1024  # admissions between sweeps of connections that ended as websockets
RETRY_AFTER = 10
REPORT_EVERY = 10.0  # seconds between log lines about refused connections
# A header timer that fires this much past its time found the event loop stalled: it waits this
# long again, so that bytes the stall left unread are read first.
LATE_GRACE_SECONDS = 0.5


class AddressBook:
    """The open connections (transports) of each client address on this process.

    A connection that became a websocket is handed to another protocol object, so its end is
    not reported here: such transports are pruned when they are found closed, before a
    refusal and every ``SWEEP_EVERY`` admissions."""

    def __init__(self, cap: int, exempt: set[str]) -> None:
        self._cap = cap
        self._exempt = exempt
        self._open: dict[str, set[asyncio.BaseTransport]] = {}
        self._admitted = 0
        self._refused = 0
        self._reported_at = -REPORT_EVERY

    def admit(self, host: str | None, transport: asyncio.BaseTransport) -> bool:
        if self._cap <= 0 or host is None or host in self._exempt:
            return True
        self._admitted += 1
        if self._admitted % SWEEP_EVERY == 0:
            self._sweep()
        held = self._open.setdefault(host, set())
        if len(held) >= self._cap:
            held -= {t for t in held if t.is_closing()}
            if len(held) >= self._cap:
                return False
        held.add(transport)
        return True

    def release(self, host: str | None, transport: asyncio.BaseTransport) -> None:
        held = self._open.get(host) if host is not None else None
        if held is not None and host is not None:
            held.discard(transport)
            if not held:
                del self._open[host]

    def report_refusal(self, host: str | None) -> None:
        """Log refusals, at most one line per ``REPORT_EVERY`` seconds (a flood of refused
        connections must not become a flood of log lines)."""
        self._refused += 1
        now = time.monotonic()
        if now - self._reported_at >= REPORT_EVERY:
            log.warning(
                "refused %d connection(s) over the per-address cap (last from %s)",
                self._refused,
                host,
            )
            self._refused = 0
            self._reported_at = now

    def _sweep(self) -> None:
        for host, held in list(self._open.items()):
            held -= {t for t in held if t.is_closing()}
            if not held:
                del self._open[host]


def _refusal() -> bytes:
    err = RateLimited(RETRY_AFTER)
    err.message = "too many connections from your address"
    body = json.dumps({"error": err.to_wire()}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(RETRY_AFTER).encode()),
        (b"connection", b"close"),
        *SECURITY_HEADERS,
    ]
    lines = [b"HTTP/1.1 429 Too Many Requests", *(name + b": " + value for name, value in headers)]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def guarded_http_protocol(settings: Settings) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol with a header timeout and a per-address cap, for
    ``uvicorn.run(http=...)``. One address book per server process."""
    book = AddressBook(
        settings.max_connections_per_address,
        {*settings.connection_cap_exempt, *settings.trusted_proxies},
    )
    header_timeout = settings.handshake_timeout_seconds
    refusal = _refusal()

    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        _header_timer: asyncio.TimerHandle | None = None
        _header_due = 0.0
        _host: str | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._host = self.client[0] if self.client else None
            if not book.admit(self._host, transport):
                book.report_refusal(self._host)
                transport.write(refusal)
                transport.close()
                self._host = None  # never counted, so never released
                return
            self._expect_headers()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_waiting()
            book.release(self._host, self.transport)
            super().connection_lost(exc)

        def on_headers_complete(self) -> None:
            self._stop_waiting()
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            # The next request on a keep-alive connection gets the same time for its headers
            # (unless one is already parsed and waiting in the pipeline).
            if not self.transport.is_closing() and self.cycle.response_complete:
                self._expect_headers()

        def _expect_headers(self, wait: float = header_timeout) -> None:
            self._stop_waiting()
            self._header_due = self.loop.time() + wait
            self._header_timer = self.loop.call_later(wait, self._headers_too_slow)

        def _stop_waiting(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if self.loop.time() - self._header_due > LATE_GRACE_SECONDS:
                # The event loop was stalled (a loaded machine): uvloop runs due timers before
                # it reads the sockets, so headers that arrived meanwhile are still unread. Give
                # them a moment to be read before deciding.
                self._expect_headers(LATE_GRACE_SECONDS)
                return
            if not self.transport.is_closing():
                log.info("closing a connection from %s: no request headers in time", self._host)
                self.transport.close()

    return GuardedHttpToolsProtocol
