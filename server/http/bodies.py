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

*Streamed* routes (uploads) have a limit of their own and read their body themselves, piece by
piece, so it is never held here whole: a ``Content-Length`` over their limit is refused unread
with their own error; otherwise the body is passed through counted, and the piece that passes
the limit raises that error inside the route, as does a piece that takes longer than the
timeout to arrive (each piece, not the whole body: a large file on a slow link is fine). A
response sent before the body was read to its end (a refusal) first reads and drops a small rest
(``DRAIN_BYTES``), so the connection stays open; after a larger one it carries
``Connection: close``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from server.core.asgi import ASGIApp, Message, Receive, Scope, Send
from server.core.errors import BadRequest, DomainError, Invalid

# A refused streamed body this small (or its unread rest) is read and dropped before the answer,
# so the connection stays usable; a larger one is answered at once with ``Connection: close``.
DRAIN_BYTES = 256 * 1024
DRAIN_SECONDS = 2.0


@dataclass(frozen=True)
class Streamed:
    """A route (by exact path) that reads its own body, up to ``limit`` bytes."""

    limit: int
    refusal: Callable[[int], DomainError]


class BodyLimit:
    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        engineio_path: str,
        engineio_limit: int,
        timeout: float,
        streamed: dict[str, Streamed] | None = None,
    ) -> None:
        self.app = app
        self._limit = limit
        self._eio_path = engineio_path
        self._eio_limit = engineio_limit
        self._timeout = timeout
        self._streamed = streamed or {}

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
        streamed = self._streamed.get(str(scope.get("path", "")))
        if streamed is not None:
            await self._pass_counted(scope, receive, send, length, streamed)
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

    async def _pass_counted(
        self, scope: Scope, receive: Receive, send: Send, length: int | None, route: Streamed
    ) -> None:
        if length is not None and length > route.limit:
            await refuse(send, route.refusal(route.limit))
            return
        size = 0
        ended = False

        async def counted() -> Message:
            nonlocal size, ended
            if ended:  # read to the end already: only a disconnect can follow
                return await receive()
            try:
                async with asyncio.timeout(self._timeout):
                    message = await receive()
            except TimeoutError:
                late = f"no data for {self._timeout:g} s"
                raise BadRequest(
                    "the body arrived too slowly", {"fields": {"body": late}}
                ) from None
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > route.limit:
                    raise route.refusal(route.limit)
                ended = not message.get("more_body", False)
            return message

        async def drained() -> bool:
            """Read and drop what is left of a small body before a response that did not need
            it (a refusal): closing a socket with unread data makes the kernel reset the
            connection, which can destroy the response before the client reads it."""
            nonlocal size, ended
            if ended or (length is not None and length - size > DRAIN_BYTES):
                return ended
            try:
                async with asyncio.timeout(DRAIN_SECONDS):
                    while not ended and size <= DRAIN_BYTES + (length or 0):
                        message = await receive()
                        if message["type"] != "http.request":
                            return False
                        size += len(message.get("body", b""))
                        ended = not message.get("more_body", False)
            except TimeoutError:
                return False
            return ended

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                await drained()
            await closing(message)

        closing = _closing(send, unless=lambda: ended)
        await self.app(scope, counted, answer)

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


def _closing(send: Send, unless: Callable[[], bool] = lambda: False) -> Send:
    """``send``, with ``Connection: close`` on the response: the body was left unread (unless
    ``unless()`` says it was read after all when the response starts)."""

    async def closing_send(message: Message) -> None:
        if message["type"] == "http.response.start" and not unless():
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"]
            message = {**message, "headers": [*headers, (b"connection", b"close")]}
        await send(message)

    return closing_send
