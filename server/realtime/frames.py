"""Data that is not Engine.IO packets ends the connection before Engine.IO parses it.

python-engineio decodes each websocket frame outside its error handling: an empty frame raised
out of its websocket handler (a traceback per frame), and the socket was never closed, so its
user's connection slot stayed taken until the ping timeout, ~40 s later. A packet of no known
type was logged with a traceback (from its own log line) and ignored, on both transports, as
were a polling body that is not UTF-8 or holds too many packets. And the protocol has no binary
data, so binary can only be an attachment nobody asked for.

``GuardedWebSocket.wait`` refuses such frames by raising ``OSError``, which Engine.IO's handler
takes as the client going away: it stops its writer, closes the websocket and runs the
disconnect handlers at once (the slot is released), as for any client that leaves.
``screen_polling_post`` finds the same in a long-polling POST body; that session is closed and
the POST answered 400.
"""

from __future__ import annotations

import logging
import urllib.parse
from typing import Any

from engineio.async_drivers.asgi import WebSocket
from engineio.payload import Payload

from server.core.asgi import Message, Receive

log = logging.getLogger(__name__)

# Engine.IO packet types a client may send: CLOSE, PING (the upgrade probe), PONG, MESSAGE,
# UPGRADE, NOOP. OPEN only ever comes from the server.
CLIENT_PACKET_TYPES = frozenset("123456")


class RefusedFrame(OSError):
    """A frame no Circles client sends; the connection is closed."""


class GuardedWebSocket(WebSocket):  # type: ignore[misc]
    async def wait(self) -> Any:
        data = await super().wait()
        if isinstance(data, bytes):
            reason = "a binary frame"
        elif not data:
            reason = "an empty frame"
        elif data[0] not in CLIENT_PACKET_TYPES:
            reason = "a frame of no Engine.IO packet type"
        else:
            return data
        sid = getattr(getattr(self.handler, "__self__", None), "sid", "?")
        log.warning("closing websocket %s: it sent %s", sid, reason)
        raise RefusedFrame(reason)


async def screen_polling_post(receive: Receive) -> tuple[str | None, Receive]:
    """Read a polling POST body (bounded by bodies.py before it gets here). Returns why it is
    refused (None if it is not), and a ``receive`` that hands the body on unchanged."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return "nothing (the client left)", receive
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replay: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive_body() -> Message:
        return replay.pop() if replay else await receive()

    return _payload_problem(body), receive_body


def _payload_problem(body: bytes) -> str | None:
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return "bytes that are not UTF-8"
    if text.startswith("d="):  # JSONP form encoding, as python-engineio reads it
        text = urllib.parse.parse_qs(text).get("d", [""])[0]
    if not text:
        return None
    packets = text.split("\x1e")
    if len(packets) > Payload.max_decode_packets:
        return "too many packets"
    if any(not p or p[0] not in CLIENT_PACKET_TYPES for p in packets):
        return "a packet of no Engine.IO type (or binary)"
    return None
