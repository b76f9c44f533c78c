"""Clients that stop reading: a bound on each socket's send queue, and a hard close.

Every packet for a socket (broadcasts, and replies to its own requests alike) waits in its
Engine.IO queue until the socket's writer puts it on the wire. A client that stops reading
blocks that writer on the full TCP buffer, and the queue would grow without bound. So each queue
counts its packets and bytes; past ``MAX_QUEUED_PACKETS`` or ``MAX_QUEUED_BYTES`` nothing more is
queued and the connection is aborted.

A polite close cannot help here: uvicorn's websocket ``send`` (the close frame included) waits
until the transport is writable, which it never becomes, and asyncio's ``transport.close()``
waits to flush first. Only ``transport.abort()`` ends it. ASGI does not expose the transport, so
``Connections`` wraps the outermost ASGI app, learns each websocket's Engine.IO sid from the
query string (upgrades) or the server's OPEN packet, and keeps the transport of uvicorn's
protocol object (the owner of the ``send`` callable) to abort it. With a server that offers no
such handle, the socket is closed through Engine.IO instead.
"""

from __future__ import annotations

import asyncio
import json
import logging
import struct
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

import engineio
from engineio import packet as eio_packet

from server.realtime.frames import GuardedWebSocket, screen_polling_post

log = logging.getLogger(__name__)

MAX_QUEUED_PACKETS = 2000
MAX_QUEUED_BYTES = 8 * 1024 * 1024
CLOSE_FLUSH_SECONDS = 2.0

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _size(item: Any) -> int:
    data = getattr(item, "data", None)
    return len(data) + 8 if isinstance(data, str | bytes) else 8


class BoundedQueue(asyncio.Queue[Any]):
    """An Engine.IO send queue that knows how much it holds."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bytes = 0
        self.dropped = False  # its connection is being aborted: queue nothing more
        # Packets queued and not yet marked done by the socket's writer. Engine.IO's writer
        # marks a packet done just before it sends it, in the same step; a packet it has taken
        # but not marked (its wait_for wrapper finished, the writer not yet resumed) still counts.
        self.pending = 0

    def _put(self, item: Any) -> None:
        super()._put(item)
        self.bytes += _size(item)
        self.pending += 1

    def task_done(self) -> None:
        super().task_done()
        self.pending -= 1

    @property
    def idle(self) -> bool:
        """Nothing of this queue can still reach the wire ahead of a packet written now."""
        return self.pending == 0

    def _get(self) -> Any:
        item = super()._get()
        self.bytes -= _size(item)
        return item

    @property
    def over(self) -> bool:
        return self.dropped or self.qsize() >= MAX_QUEUED_PACKETS or self.bytes >= MAX_QUEUED_BYTES


def text_frame(text: str) -> bytes:
    """One unmasked, final websocket text frame (RFC 6455 5.2), as a server sends it."""
    data = text.encode()
    n = len(data)
    if n < 126:
        head = struct.pack("!BB", 0x81, n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", 0x81, 126, n)
    else:
        head = struct.pack("!BBQ", 0x81, 127, n)
    return head + data


class _Wire:
    """One websocket: uvicorn's protocol object, and how many sends of the Engine.IO writer are
    under way on it (a send waits while the transport is not writable, holding the writer's
    later packets behind it)."""

    def __init__(self, protocol: Any) -> None:
        self.protocol = protocol
        self.sending = 0


class Connections:
    """Engine.IO sid -> the transport of its websocket, to abort it, and uvicorn's protocol
    object, to write a frame straight to it (``write``)."""

    def __init__(self) -> None:
        self._transports: dict[str, Any] = {}
        self._wires: dict[str, _Wire] = {}

    def wrap(self, app: ASGIApp) -> TrackedApp:
        async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
            if scope.get("type") != "websocket":
                await app(scope, receive, send)
                return
            protocol = getattr(send, "__self__", None)
            transport = getattr(protocol, "transport", None)
            if transport is None or not hasattr(transport, "abort"):
                await app(scope, receive, send)
                return
            wire = _Wire(protocol) if _writable_directly(protocol) else None
            query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
            sids = [s for s in query.get("sid", [])[:1] if s]

            def track(sid: str) -> None:
                self._transports[sid] = transport
                if wire is not None:
                    self._wires[sid] = wire

            for sid in sids:
                track(sid)

            async def watching_send(message: Message) -> None:
                if not sids and message.get("type") == "websocket.send":
                    text = message.get("text")
                    if isinstance(text, str) and text.startswith("0{"):
                        try:
                            sid = json.loads(text[1:]).get("sid")
                        except ValueError:
                            sid = None
                        if isinstance(sid, str):
                            sids.append(sid)
                            track(sid)
                if wire is None:
                    await send(message)
                    return
                wire.sending += 1
                try:
                    await send(message)
                finally:
                    wire.sending -= 1

            try:
                await app(scope, receive, watching_send)
            finally:
                for sid in sids:
                    if self._transports.get(sid) is transport:
                        del self._transports[sid]
                    if wire is not None and self._wires.get(sid) is wire:
                        del self._wires[sid]

        return TrackedApp(app, asgi)

    def write(self, sid: str, frame: bytes) -> bool:
        """Put a complete text frame on the socket's wire now, if nothing can be ahead of it:
        no send of the Engine.IO writer under way, the connection open and writable. The
        caller checks that the socket's queue is idle. Returns False when the frame must go
        through the queue instead."""
        wire = self._wires.get(sid)
        if wire is None or wire.sending:
            return False
        protocol = wire.protocol
        if protocol.close_sent or not protocol.writable.is_set():
            return False
        transport = protocol.transport
        if transport.is_closing():
            return False
        transport.write(frame)  # whole frames only, as uvicorn writes them: never interleaved
        return True

    def abort(self, sid: str) -> bool:
        self._wires.pop(sid, None)
        transport = self._transports.pop(sid, None)
        if transport is None:
            return False
        transport.abort()
        return True


def _oversize(scope: Scope, limit: int) -> bool:
    """Whether the request announces a body over ``limit`` (Engine.IO refuses it unread)."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) > limit
    return False


def _writable_directly(protocol: Any) -> bool:
    """uvicorn's websockets-sansio protocol, with no extension negotiated (so a plain frame is
    exactly what it would write itself)."""
    conn = getattr(protocol, "conn", None)
    return (
        type(protocol).__name__ == "WebSocketsSansIOProtocol"
        and isinstance(getattr(protocol, "writable", None), asyncio.Event)
        and hasattr(protocol, "close_sent")
        and conn is not None
        and not getattr(conn, "extensions", None)
    )


class TrackedApp:
    """The wrapped ASGI app; other attributes are the inner app's (e.g. ``other_asgi_app``)."""

    def __init__(self, inner: ASGIApp, call: ASGIApp) -> None:
        self._inner = inner
        self._call = call

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._call(scope, receive, send)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class Engine(engineio.AsyncServer):  # type: ignore[misc]
    """Engine.IO's server with bounded send queues, frames checked before they are parsed
    (frames.py), and a disconnect that never waits on the client."""

    _async: dict[str, Any]  # python-engineio's async driver table

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections = Connections()
        self._async = {**self._async, "websocket": GuardedWebSocket}

    async def handle_request(self, scope: Scope, receive: Receive, send: Send) -> Any:
        if (
            scope.get("type") == "http"
            and scope.get("method") == "POST"
            and not _oversize(scope, self.max_http_buffer_size)
        ):
            problem, receive = await screen_polling_post(receive)
            if problem is not None:
                sid = (parse_qs(bytes(scope.get("query_string", b"")).decode()).get("sid") or [""])[
                    0
                ]
                log.warning("closing Engine.IO session %s: its POST held %s", sid or "?", problem)
                if sid:
                    await self.disconnect(sid)
                await send({"type": "http.response.start", "status": 400, "headers": []})
                await send({"type": "http.response.body", "body": b"Bad Request"})
                return None
        return await super().handle_request(scope, receive, send)

    async def disconnect(self, sid: str | None = None) -> None:
        """Close one session. python-engineio waits until the client has taken the CLOSE packet
        from the queue: a polling client that does not poll again never does, and the caller (a
        request answering a malformed POST, a message handler) then waited forever, one hung
        task per attempt. Here a polling session's CLOSE is left for its pending or next poll,
        and a websocket's writer gets ``CLOSE_FLUSH_SECONDS`` to send it and close the
        websocket before the connection is aborted."""
        if sid is None:
            await super().disconnect()
            return
        sock = self.sockets.get(sid)
        if sock is None:
            return
        await sock.close(wait=False, reason=self.reason.SERVER_DISCONNECT)
        self.sockets.pop(sid, None)
        if not sock.upgraded:
            return
        sock.queue.put_nowait(None)  # the writer stops after the CLOSE packet, closing the ws
        try:
            await asyncio.wait_for(sock.queue.join(), CLOSE_FLUSH_SECONDS)
        except TimeoutError:
            self.connections.abort(sid)

    def create_queue(self, *args: Any, **kwargs: Any) -> asyncio.Queue[Any]:
        return BoundedQueue(*args, **kwargs)

    def backed_up(self, sid: str) -> bool:
        """True (and the connection is being dropped) when the socket stopped reading."""
        sock = self.sockets.get(sid)
        queue = getattr(sock, "queue", None)
        if not isinstance(queue, BoundedQueue) or not queue.over:
            return False
        self.drop(sid, queue)
        return True

    def drop(self, sid: str, queue: BoundedQueue) -> None:
        if queue.dropped:
            return
        queue.dropped = True
        log.warning(
            "disconnecting %s: it stopped reading (%d packets, %d bytes queued)",
            sid,
            queue.qsize(),
            queue.bytes,
        )
        if not self.connections.abort(sid):
            asyncio.get_running_loop().create_task(self._disconnect_quietly(sid))

    async def _disconnect_quietly(self, sid: str) -> None:
        try:
            await self.disconnect(sid)
        except Exception:  # the socket may already be gone
            log.debug("disconnect of %s failed", sid, exc_info=True)

    async def send_packet(self, sid: str, pkt: Any) -> None:
        if self.backed_up(sid):
            return
        if self.write_now(sid, pkt):
            return
        await super().send_packet(sid, pkt)

    def direct(self, sock: Any) -> bool:
        """Whether a packet for ``sock`` may skip its queue: an upgraded websocket whose queue is
        idle and whose client still answers pings (the queue's path closes one that does not).
        The wire itself is checked when writing (``Connections.write``)."""
        if sock.closed or not sock.upgraded or not getattr(sock.queue, "idle", False):
            return False
        last_ping = sock.last_ping
        return not (last_ping and time.time() - last_ping > self.ping_timeout)

    def write_now(self, sid: str, pkt: Any) -> bool:
        """Write a text packet (an ack, an event for one socket) straight to the wire, as
        broadcasts are (manager.py); False when it must take the queue."""
        sock = self.sockets.get(sid)
        if sock is None or pkt.packet_type != eio_packet.MESSAGE or pkt.binary:
            return False
        return self.direct(sock) and self.connections.write(sid, text_frame(pkt.encode()))
