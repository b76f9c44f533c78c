"""Client managers: python-socketio's, with a cheaper local fan-out and a control channel.

- Local delivery encodes a packet once and puts it straight on each recipient's Engine.IO queue,
  instead of one asyncio task per recipient (PERFORMANCE.md point 1). A recipient whose queue is
  already long has stopped reading; it is disconnected instead of growing the server's memory.
- ``control`` ops (move a user's sockets between channels, disconnect a session's sockets) reach
  every process: through Redis with ``AsyncRedisManager``, locally otherwise.
- With Redis, ``message:new`` passes through a Sequencer so each socket sees increasing seq.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from server.realtime import channels
from server.realtime.sequencer import Sequencer

log = logging.getLogger(__name__)

CONTROL_EVENT = "__circles_control__"
MAX_QUEUED_PACKETS = 2000
NAMESPACE = "/"


class _LocalFanout:
    """Mixin for a socketio AsyncManager: fast local delivery and control ops."""

    server: Any
    rooms: dict[str, Any]

    if TYPE_CHECKING:

        def get_participants(self, namespace: str, room: str | None) -> Any: ...

        def basic_enter_room(
            self, sid: str, namespace: str, room: str, eio_sid: str | None = None
        ) -> None: ...

        def basic_leave_room(self, sid: str, namespace: str, room: str) -> None: ...

    def deliver(
        self, event: str, data: Any, room: str | None, skip_sid: str | list[str] | None
    ) -> None:
        if NAMESPACE not in self.rooms:
            return
        pkt = self.server.packet_class(sio_packet.EVENT, namespace=NAMESPACE, data=[event, data])
        encoded = pkt.encode()
        if isinstance(encoded, list):  # binary attachments: not used by Circles
            raise TypeError("binary payloads are not supported")
        eio_pkt = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
        sockets = self.server.eio.sockets
        for sid, eio_sid in list(self.get_participants(NAMESPACE, room)):
            if sid in skip:
                continue
            sock = sockets.get(eio_sid)
            if sock is None or sock.closed:
                continue
            if sock.queue.qsize() >= MAX_QUEUED_PACKETS:
                log.warning(
                    "disconnecting %s: it stopped reading (%d queued)", sid, sock.queue.qsize()
                )
                asyncio.get_running_loop().create_task(self._drop(eio_sid))
                continue
            sock.queue.put_nowait(eio_pkt)

    async def _drop(self, eio_sid: str) -> None:
        try:
            await self.server.eio.disconnect(eio_sid)
        except Exception:  # the socket may already be gone
            log.debug("drop of %s failed", eio_sid, exc_info=True)

    async def apply_control(self, op: dict[str, Any]) -> None:
        kind = op.get("op")
        if kind in ("enter", "leave"):
            for sid, eio_sid in list(self.get_participants(NAMESPACE, channels.user(op["user"]))):
                if kind == "enter":
                    self.basic_enter_room(sid, NAMESPACE, op["channel"], eio_sid)
                else:
                    self.basic_leave_room(sid, NAMESPACE, op["channel"])
        elif kind == "revoke":
            for sid, _ in list(self.get_participants(NAMESPACE, channels.session(op["jti"]))):
                await self.server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)


class LocalManager(_LocalFanout, socketio.AsyncManager):  # type: ignore[misc]
    """Single process: everything is local."""

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str | None = None,
        room: str | None = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: str | None = None,
        **kwargs: Any,
    ) -> None:
        room = to or room
        if callback is not None or (namespace or NAMESPACE) != NAMESPACE:
            await super().emit(
                event,
                data,
                namespace=namespace,
                room=room,
                skip_sid=skip_sid,
                callback=callback,
                **kwargs,
            )
            return
        self.deliver(event, data, room, skip_sid)

    async def control(self, op: dict[str, Any]) -> None:
        await self.apply_control(op)


class RedisManager(_LocalFanout, socketio.AsyncRedisManager):  # type: ignore[misc]
    """Several processes: python-socketio's Redis manager, with local fast delivery, control ops
    and seq ordering of ``message:new`` on the receiving side."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(url, **kwargs)
        self.sequencer = Sequencer()
        self._flusher: asyncio.Task[None] | None = None

    async def control(self, op: dict[str, Any]) -> None:
        await self.emit(CONTROL_EVENT, op, namespace=NAMESPACE)

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        event = str(message.get("event"))
        data = message.get("data")
        payload = data[0] if isinstance(data, list) and len(data) == 1 else data
        if (
            message.get("callback")
            or message.get("binary")
            or (message.get("namespace") or NAMESPACE) != NAMESPACE
        ):
            await super()._handle_emit(message)
            return
        if event == CONTROL_EVENT:
            if isinstance(payload, dict):
                await self.apply_control(payload)
            return
        room, skip = message.get("room"), message.get("skip_sid")
        if event == "message:new" and isinstance(payload, dict):
            m = payload.get("message") or {}
            ready = self.sequencer.push(
                str(m.get("conversation_id")), int(m.get("seq", 0)), (room, skip, payload)
            )
            for r, s, p in ready:
                self.deliver("message:new", p, r, s)
            self._ensure_flusher()
            return
        self.deliver(event, payload, room, skip)

    def _ensure_flusher(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_overdue())

    async def _flush_overdue(self) -> None:
        while True:
            await asyncio.sleep(0.1)
            for r, s, p in self.sequencer.overdue():
                self.deliver("message:new", p, r, s)
