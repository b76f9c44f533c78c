"""Request bodies are bounded before any route reads them.

A route that calls ``request.body()`` gets every byte the client sends, however many: one 300 MiB
login attempt, with no account, used to grow the process by 600 MiB. So every HTTP request passes
through ``BodyLimit`` first:

- a ``Content-Length`` over the limit is refused before one byte of the body is read (uvicorn
  only sends ``100 Continue`` when the app reads, so a polite client never sends it);
- a streamed (chunked) body is read up to the limit and refused as soon as it passes it;
- a body must arrive within the handshake timeout, so a client cannot hold a request open by
  trickling it.

Refusals are the usual error envelope, with ``Connection: close``: the unread rest of the body
must not be parsed as a next request. Within the limit, the body is handed to the app whole.

Engine.IO polling bodies have their own limit (``MAX_FRAME_BYTES``); one that *announces* more is
passed on to Engine.IO, which refuses it unread and closes that session, as for an oversize
websocket frame.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from server.core.asgi import ASGIApp, Message, Receive, Scope, Send
from server.core.errors import BadRequest, DomainError, Invalid


class BodyLimit:
    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        engineio_path: str,
        engineio_limit: int,
        timeout: float,
    ) -> None:
        self.app = app
        self._limit = limit
        self._eio_path = engineio_path
        self._eio_limit = engineio_limit
        self._timeout = timeout

    def __getattr__(self, name: str) -> Any:  # the wrapped app's attributes (state, ...)
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length, chunked = _declared(scope)
        if not chunked and not length:  # no body: nothing to bound (long polls, pages)
            await self.app(scope, receive, send)
            return
        engineio = str(scope.get("path", "")).startswith(self._eio_path)
        limit = self._eio_limit if engineio else self._limit
        if length is not None and length > limit:
            if engineio:
                await self.app(scope, receive, _closing(send))
            else:
                await refuse(send, too_large(limit))
            return
        body = await self._read(receive, send, limit)
        if body is None:
            return
        replay: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive_body() -> Message:
            return replay.pop() if replay else await receive()

        await self.app(scope, receive_body, send)

    async def _read(self, receive: Receive, send: Send, limit: int) -> bytes | None:
        """The whole body, or None once the request has been refused (or the client left)."""
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self._timeout):
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        return None  # http.disconnect: nobody to answer
                    data = message.get("body", b"")
                    size += len(data)
                    if size > limit:
                        await refuse(send, too_large(limit))
                        return None
                    chunks.append(data)
                    if not message.get("more_body", False):
                        return b"".join(chunks)
        except TimeoutError:
            late = f"not complete within {self._timeout:g} s"
            await refuse(
                send, BadRequest("the body arrived too slowly", {"fields": {"body": late}})
            )
            return None


def too_large(limit: int) -> DomainError:
    return Invalid("the body is too large", {"fields": {"body": f"over {limit} bytes"}})


def _declared(scope: Scope) -> tuple[int | None, bool]:
    """(Content-Length, whether the body is chunked). uvicorn's parser has already refused a
    malformed or repeated Content-Length."""
    length: int | None = None
    chunked = False
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
    return length, chunked


async def refuse(send: Send, err: DomainError) -> None:
    body = json.dumps({"error": err.to_wire()}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": err.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _closing(send: Send) -> Send:
    """``send``, with ``Connection: close`` on the response: the body was left unread."""

    async def closing_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"]
            message = {**message, "headers": [*headers, (b"connection", b"close")]}
        await send(message)

    return closing_send
