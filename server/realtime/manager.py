"""Client managers: python-socketio's, with a cheaper local fan-out and a control channel.

- Local delivery encodes a packet once and puts it straight on each recipient's Engine.IO queue,
  instead of one asyncio task per recipient (PERFORMANCE.md point 1). A recipient whose queue is
  over its bound has stopped reading; it is disconnected instead of growing the server's memory
  (backpressure.py).
- ``control`` ops (move a user's sockets between channels, disconnect a session's sockets) reach
  every process: through Redis with ``AsyncRedisManager``, locally otherwise. A session's socket
  whose handshake is still running when its session is revoked is disconnected as it connects.
- ``message:new`` and ``message:updated`` are delivered in rev order per conversation, gaps
  filled from the database (ordering.py), so a client never sees a rev before a lower one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from server.core.metrics import FANOUT, labelled
from server.realtime import channels
from server.realtime.backpressure import BoundedQueue, text_frame
from server.realtime.ordering import RevOrder

log = logging.getLogger(__name__)

CONTROL_EVENT = "__circles_control__"
BATCH_EVENT = "__circles_batch__"  # several (event, payload, channel) in one publish
ORDERED_EVENTS = ("message:new", "message:updated")
GAP_WAIT_SECONDS = 0.15  # how long a gap may last before the database is asked about it
# (conversation id, missing revs ascending) -> [(rev, event | None | "pending", payload)]
Resolver = Callable[
    [str, list[int]], Awaitable[list[tuple[int, str | None, dict[str, Any] | None]]]
]
NAMESPACE = "/"
Frames = dict[str, list[tuple[bytes, Any]]]  # per Engine.IO sid: its frames and their packets


class _LocalFanout:
    """Mixin for a socketio AsyncManager: fast local delivery and control ops."""

    server: Any
    rooms: dict[str, Any]
    resolver: Resolver | None = None  # set once the messages domain exists
    _leave_listeners: tuple[Callable[[str, str], None], ...] = ()
    _forget_listeners: tuple[Callable[[str, str], None], ...] = ()
    _order: RevOrder | None = None
    _filler: asyncio.Task[None] | None = None
    _filling_stopped = False
    _doomed_sids: set[str] | None = None

    if TYPE_CHECKING:

        def get_participants(self, namespace: str, room: str | None) -> Any: ...

        def basic_enter_room(
            self, sid: str, namespace: str, room: str, eio_sid: str | None = None
        ) -> None: ...

        def basic_leave_room(self, sid: str, namespace: str, room: str) -> None: ...

        def is_connected(self, sid: str, namespace: str) -> bool: ...

    def deliver(
        self,
        event: str,
        data: Any,
        room: str | None,
        skip_sid: str | list[str] | None,
        out: Frames | None = None,
    ) -> None:
        """Write the event to every socket in ``room`` whose queue is idle, else queue it. With
        ``out``, the frames for idle sockets are collected there instead, for one write per
        socket (``_write_out``)."""
        if NAMESPACE not in self.rooms:
            return
        pkt = self.server.packet_class(sio_packet.EVENT, namespace=NAMESPACE, data=[event, data])
        encoded = pkt.encode()
        if isinstance(encoded, list):  # binary attachments: not used by Circles
            raise TypeError("binary payloads are not supported")
        eio_pkt = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        frame: bytes | None = None
        skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
        eio = self.server.eio
        sockets = eio.sockets
        targets = list(self.get_participants(NAMESPACE, room))
        labelled(FANOUT, event).inc(sum(1 for sid, _ in targets if sid not in skip))
        for sid, eio_sid in targets:
            if sid in skip:
                continue
            sock = sockets.get(eio_sid)
            if sock is None or sock.closed:
                continue
            queue = sock.queue
            if not isinstance(queue, BoundedQueue):
                queue.put_nowait(eio_pkt)
                continue
            if queue.over:
                eio.drop(eio_sid, queue)  # it stopped reading
                continue
            if eio.direct(sock):
                # Nothing waits ahead of it: write the frame, encoded once for everybody,
                # instead of waking the socket's writer task for one packet.
                if frame is None:
                    frame = text_frame(eio_pkt.encode())
                if out is not None:
                    out.setdefault(eio_sid, []).append((frame, eio_pkt))
                    continue
                if eio.connections.write(eio_sid, frame):
                    continue
            queue.put_nowait(eio_pkt)

    def _write_out(self, out: Frames) -> None:
        """Each socket's collected frames in one write (one system call for a batch of
        messages, not one per message); any the wire no longer takes go through the queue, in
        order. Nothing else can write to these sockets while a batch is collected: it is
        collected and written without yielding to the loop, so every socket whose first frame
        was collected for the direct path stayed idle for the rest."""
        eio = self.server.eio
        for eio_sid, parts in out.items():
            data = parts[0][0] if len(parts) == 1 else b"".join(frame for frame, _ in parts)
            if eio.connections.write(eio_sid, data):
                continue
            sock = eio.sockets.get(eio_sid)
            if sock is not None and not sock.closed:
                for _, pkt in parts:
                    sock.queue.put_nowait(pkt)

    def deliver_ordered(
        self,
        event: str,
        data: Any,
        room: str | None,
        skip_sid: str | list[str] | None,
        out: Frames | None = None,
    ) -> None:
        message = data.get("message") if isinstance(data, dict) else None
        if event not in ORDERED_EVENTS or not isinstance(message, dict):
            self.deliver(event, data, room, skip_sid, out)
            return
        if self._order is None:
            self._order = RevOrder()
        try:
            key, rev = str(message["conversation_id"]), int(message["rev"])
        except (KeyError, TypeError, ValueError):
            self.deliver(event, data, room, skip_sid, out)
            return
        for e, d, r, s in self._order.push(key, rev, (event, data, room, skip_sid)):
            self.deliver(e, d, r, s, out)
        if self._filling_stopped:
            return
        if self._order.waiting() and (self._filler is None or self._filler.done()):
            self._filler = asyncio.get_running_loop().create_task(self._fill_gaps())

    async def stop_filling(self) -> None:
        """At shutdown, before the database client closes: the gap filler stops and none starts
        again. It asked the database every 75 ms for as long as a gap lasted, so one left
        running after the client closed logged a failure on each try for as long as the event
        loop lived (thousands of lines in a test run whose in-process server had stopped)."""
        self._filling_stopped = True
        if self._filler is not None and not self._filler.done():
            self._filler.cancel()
            await asyncio.wait([self._filler])

    async def _fill_gaps(self) -> None:
        """While some conversation waits on a gap, ask the database about the missing revs."""
        order = self._order
        assert order is not None
        while order.waiting():
            await asyncio.sleep(GAP_WAIT_SECONDS / 2)
            for e, d, r, s in order.opened(GAP_WAIT_SECONDS):
                self.deliver(e, d, r, s)
            for key, missing in order.gaps(GAP_WAIT_SECONDS):
                if self.resolver is None:
                    answers: list[tuple[int, str | None, dict[str, Any] | None]] = [
                        (rev, None, None) for rev in missing
                    ]
                else:
                    try:
                        answers = await self.resolver(key, missing)
                    except Exception:
                        log.warning("resolving revs of %s failed", key, exc_info=True)
                        continue
                room = channels.conversation(key)
                for rev, event, payload in answers:
                    if event == "pending":
                        break
                    item = (event, payload, room, None) if event is not None else None
                    for e, d, r, s in order.fill(key, rev, item):
                        self.deliver(e, d, r, s)

    def deliver_many(self, items: list[tuple[str, Any, str]]) -> None:
        if len(items) == 1:
            self.deliver_ordered(*items[0], None)
            return
        out: Frames = {}
        for event, data, room in items:
            self.deliver_ordered(event, data, room, None, out)
        self._write_out(out)

    def add_leave_listener(self, listener: Callable[[str, str], None]) -> None:
        """``listener(user_id, channel)`` runs whenever a leave op is applied here."""
        self._leave_listeners = (*self._leave_listeners, listener)

    def add_forget_listener(self, listener: Callable[[str, str], None]) -> None:
        """``listener(what, key)`` runs whenever a ``forget`` op is applied here: a process's
        kept copy of ``what`` for ``key`` changed in the database."""
        self._forget_listeners = (*self._forget_listeners, listener)

    async def apply_control(self, op: dict[str, Any]) -> None:
        kind = op.get("op")
        if kind == "forget":
            for listener in self._forget_listeners:
                listener(str(op["what"]), str(op["key"]))
            return
        if kind == "leave":
            for listener in self._leave_listeners:
                listener(str(op["user"]), str(op["channel"]))
        if kind in ("enter", "leave"):
            for sid, eio_sid in list(self.get_participants(NAMESPACE, channels.user(op["user"]))):
                if kind == "enter":
                    self.basic_enter_room(sid, NAMESPACE, op["channel"], eio_sid)
                else:
                    self.basic_leave_room(sid, NAMESPACE, op["channel"])
        elif kind == "revoke":
            for sid, _ in list(self.get_participants(NAMESPACE, channels.session(op["jti"]))):
                if self.is_connected(sid, NAMESPACE):
                    await self.server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)
                else:
                    # Its handshake is still running, and python-socketio cannot disconnect a
                    # socket that is not connected yet: it is disconnected as it connects.
                    self._doomed.add(sid)

    @property
    def _doomed(self) -> set[str]:
        """Sockets whose session was revoked while their handshake was still running."""
        if self._doomed_sids is None:
            self._doomed_sids = set()
        return self._doomed_sids

    async def connect(self, sid: str, namespace: str) -> Any:
        sid = await super().connect(sid, namespace)  # type: ignore[misc]
        if sid in self._doomed:
            self._doomed.discard(sid)
            await self.server.disconnect(sid, namespace=namespace, ignore_queue=True)
        return sid

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> Any:
        self._doomed.discard(sid)  # refused, or gone: nothing left to doom
        return super().basic_disconnect(sid, namespace, **kwargs)  # type: ignore[misc]


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
        self.deliver_ordered(event, data, room, skip_sid)

    async def control(self, op: dict[str, Any]) -> None:
        await self.apply_control(op)

    async def emit_many(self, items: list[tuple[str, Any, str]]) -> None:
        self.deliver_many(items)


class RedisManager(_LocalFanout, socketio.AsyncRedisManager):  # type: ignore[misc]
    """Several processes: python-socketio's Redis manager, with local fast delivery, control ops
    and rev ordering of conversation changes on the receiving side.

    Redis hands every publish back to its own process too, which python-socketio decodes whole
    and then ignores (its ``host_id`` is this process's). Here a process's own publishes start
    with its ``host_id``, so its listener drops them by their first bytes, undecoded. The JSON is
    the same object, its keys in another order: a process of an earlier version reads it as
    before. A ``callback`` publish names the process it is for, not its sender, and keeps its
    order (python-socketio handles those from any sender).

    A publish is awaited, as python-socketio does: the message writer emits each batch before it
    takes the next, so the next batch gathers during the round trip. Taken off that path (a
    queue sent by a task of its own), batches were smaller and each costs the server and the
    database about as much as several messages: at half saturation that cost more than the round
    trip saved (docs/performance.md, "Redis publishes, search copies in packs")."""

    _own_prefix: bytes | None = None

    def _own(self) -> bytes:
        if self._own_prefix is None:
            # {"host_id": "<hex>"} without its closing brace, in this manager's JSON
            self._own_prefix = self.json.dumps({"host_id": self.host_id})[:-1].encode()
        return self._own_prefix

    async def _publish(self, data: Any) -> None:
        if (
            isinstance(data, dict)
            and data.get("host_id") == self.host_id
            and data.get("method") != "callback"
        ):
            data = {"host_id": self.host_id, **data}
        await super()._publish(data)

    async def _listen(self) -> Any:
        own = self._own()
        async for message in super()._listen():
            if isinstance(message, bytes) and message.startswith(own):
                continue  # this process's own publish, handled here before it was sent
            yield message

    async def control(self, op: dict[str, Any]) -> None:
        await self.emit(CONTROL_EVENT, op, namespace=NAMESPACE)

    async def emit_many(self, items: list[tuple[str, Any, str]]) -> None:
        """Deliver here, then publish the whole list to the other processes at once (one
        Redis round trip and one decode per process for a batch of messages)."""
        await self.emit(BATCH_EVENT, {"items": [list(i) for i in items]}, namespace=NAMESPACE)

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
        if event == BATCH_EVENT:
            items = payload.get("items") if isinstance(payload, dict) else None
            if isinstance(items, list):
                self.deliver_many([(str(e), d, str(r)) for e, d, r in items])
            return
        self.deliver_ordered(event, payload, message.get("room"), message.get("skip_sid"))
