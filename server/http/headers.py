"""Security headers on every HTTP response: pages, assets, API answers and errors alike.

The Content-Security-Policy allows exactly what the built web client (web/dist) uses: its own
module script and stylesheet, images from itself plus ``data:`` and ``blob:`` URLs (the ticket QR
code is an SVG ``data:`` URL), and fetch/XHR/websocket connections to its own origin (the API and
Socket.IO; CSP Level 3 lets ``'self'`` match ``ws:``/``wss:`` on the same host). No inline
script, no ``eval``, no plugins, no ``<base>``; forms post only to this origin; and no other site
may frame any page (``frame-ancestors 'none'``, with ``X-Frame-Options`` for older browsers), so
the logged-in app cannot be clickjacked. One policy for every response keeps it simple: a JSON
answer opened as a document gets the same lock-down.

A response that sets one of these headers itself keeps its own value.
"""

from __future__ import annotations

from typing import Any

from server.core.asgi import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),  # URLs may carry keys (checkout, calendar)
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:  # the wrapped app's attributes (state, ...)
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {bytes(name).lower() for name, _ in headers}
                headers += [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_secured)
