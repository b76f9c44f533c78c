"""The Socket.IO server: handshake authentication, the event dispatcher and the ack envelope."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import socketio

from server.accounts.models import Principal
from server.accounts.service import AccountService
from server.core import metrics
from server.core.errors import DomainError, Invalid, RateLimited, translate
from server.core.logs import FIELDS
from server.core.ratelimit import Limits
from server.core.schemas import parse
from server.messages.service import MessageService
from server.realtime import channels, codec
from server.realtime.backpressure import Engine
from server.realtime.broadcaster import Broadcaster
from server.realtime.events import Call, EventTable, Wire
from server.realtime.manager import LocalManager, RedisManager
from server.realtime.presence import Presence

log = logging.getLogger(__name__)
LATE_GRACE_SECONDS = 0.5  # see _check_connected


class TextPacket(socketio.packet.Packet):  # type: ignore[misc]
    """A Socket.IO packet that is never scanned for bytes. Circles' events are JSON only (a binary
    packet from a client closes its connection, below), but python-socketio walked every payload,
    each list and dict in it, on every emit and every ack to look for attachments: about 1% of
    the server's CPU in the chat benchmark, where a payload carries a whole message. Bytes in a
    payload now fail to encode (``TypeError``) instead of going out as an attachment. Its JSON is
    ``codec``'s (orjson), which the Redis manager takes too."""

    uses_binary_events = False
    json = codec


class _Server(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server, with three refusals:

    - a malformed Socket.IO packet (bad JSON, too deep, an event that is not a non-empty list,
      an unknown packet type) closes its connection, as the reference socket.io server does,
      instead of logging a library traceback for every such frame;
    - a binary packet (BINARY_EVENT, BINARY_ACK) closes its connection: Circles has no binary
      events, and python-socketio would buffer as many attachments as the packet announces;
    - an Engine.IO session without a Socket.IO connection for ``handshake_timeout`` seconds (it
      never sent CONNECT, was refused, or was disconnected) is closed, so connections that never
      authenticate are not kept alive by pings alone.
    """

    def __init__(self, *args: Any, handshake_timeout: float = 10.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.handshake_timeout = handshake_timeout
        self._deadlines: dict[str, asyncio.TimerHandle] = {}  # eio sid -> its CONNECT deadline
        self._closing: set[asyncio.Task[None]] = set()

    def _engineio_server_class(self) -> type[Engine]:
        return Engine  # bounded send queues, aborting clients that stop reading

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        if isinstance(data, bytes) or data[:1] in ("5", "6"):
            log.warning("binary Socket.IO packet from %s: closing the connection", eio_sid)
            await self.eio.disconnect(eio_sid)
            return
        try:
            await super()._handle_eio_message(eio_sid, data)
        except (ValueError, TypeError, KeyError, IndexError, RecursionError):
            log.warning("malformed Socket.IO packet from %s: closing the connection", eio_sid)
            await self.eio.disconnect(eio_sid)

    async def _handle_event(self, eio_sid: str, namespace: Any, id: Any, data: Any) -> None:
        # The event name is dispatched in a background task, where an unhashable one would fail
        # unanswered: refuse the packet here instead.
        if not isinstance(data, list) or not data or isinstance(data[0], list | dict):
            raise ValueError("an event packet must be a list starting with the event name")
        await super()._handle_event(eio_sid, namespace, id, data)

    # handshake deadline ----------------------------------------------------------------------

    async def _handle_eio_connect(self, eio_sid: str, environ: Any) -> Any:
        result = await super()._handle_eio_connect(eio_sid, environ)
        self._expect_connect(eio_sid)
        return result

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any) -> None:
        await super()._handle_eio_disconnect(eio_sid, reason)
        deadline = self._deadlines.pop(eio_sid, None)
        if deadline is not None:
            deadline.cancel()

    async def _handle_disconnect(self, eio_sid: str, namespace: Any, reason: Any = None) -> None:
        await super()._handle_disconnect(eio_sid, namespace, reason)
        self._expect_connect(eio_sid)  # the client left the namespace: it may connect again

    async def disconnect(
        self, sid: str, namespace: str | None = None, ignore_queue: bool = False
    ) -> None:
        eio_sid = self.manager.eio_sid_from_sid(sid, namespace or "/")
        await super().disconnect(sid, namespace=namespace, ignore_queue=ignore_queue)
        if eio_sid is not None:
            self._expect_connect(eio_sid)  # e.g. a logout: the session must not linger

    def _expect_connect(self, eio_sid: str, wait: float | None = None) -> None:
        if eio_sid in self._deadlines or eio_sid not in self.eio.sockets:
            return
        loop = asyncio.get_running_loop()
        wait = self.handshake_timeout if wait is None else wait
        self._deadlines[eio_sid] = loop.call_later(
            wait, self._check_connected, eio_sid, loop.time() + wait
        )

    def _check_connected(self, eio_sid: str, due: float) -> None:
        self._deadlines.pop(eio_sid, None)
        if eio_sid not in self.eio.sockets:
            return
        if asyncio.get_running_loop().time() - due > LATE_GRACE_SECONDS:
            # Fired late: the loop was stalled, and uvloop runs due timers before it reads the
            # sockets, so a CONNECT that arrived meanwhile is still unread. Look again shortly.
            self._expect_connect(eio_sid, LATE_GRACE_SECONDS)
            return
        sid = self.manager.sid_from_eio_sid(eio_sid, "/")
        if sid is not None:
            if not self.manager.is_connected(sid, "/"):
                self._expect_connect(eio_sid)  # its CONNECT is being handled: look again later
            return
        log.info("closing Engine.IO session %s: no Socket.IO connection in time", eio_sid)
        task = asyncio.get_running_loop().create_task(self._close_quietly(eio_sid))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close_quietly(self, eio_sid: str) -> None:
        try:
            await self.eio.disconnect(eio_sid)
        except Exception:  # the session may be gone already
            log.debug("closing %s failed", eio_sid, exc_info=True)


def make_sio(
    redis_url: str | None,
    cors: list[str],
    max_frame_bytes: int,
    write_only: bool = False,
    handshake_timeout: float = 10.0,
) -> tuple[socketio.AsyncServer, LocalManager | RedisManager]:
    manager: LocalManager | RedisManager = (
        RedisManager(redis_url, write_only=write_only) if redis_url else LocalManager()
    )
    sio = _Server(
        async_mode="asgi",
        client_manager=manager,
        cors_allowed_origins=cors,
        max_http_buffer_size=max_frame_bytes,
        ping_interval=20,
        ping_timeout=20,
        transports=["websocket", "polling"],
        logger=False,
        engineio_logger=False,
        handshake_timeout=handshake_timeout,
        serializer=TextPacket,
    )
    return sio, manager


def ok(data: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "data": data}


def fail(err: DomainError) -> dict[str, Any]:
    return {"ok": False, "error": err.to_wire()}


class RealtimeGateway:
    """Binds the event table to a python-socketio server."""

    def __init__(
        self,
        sio: socketio.AsyncServer,
        accounts: AccountService,
        messages: MessageService,
        broadcaster: Broadcaster,
        presence: Presence,
        events: EventTable,
        max_connections_per_user: int,
        limits: Limits | None = None,
    ) -> None:
        self._sio = sio
        self._limits = limits
        self._accounts = accounts
        self._messages = messages
        self._bus = broadcaster
        self._presence = presence
        self._events = events
        self._max_conns = max_connections_per_user
        self._principals: dict[str, Principal] = {}
        self._opening: dict[str, int] = {}  # handshakes in progress per user, past the cap check
        # Why new sockets are refused right now (a draining process, server/http/health.py).
        self.refusal: Callable[[], str | None] = lambda: None
        sio.on("connect", self._on_connect)
        sio.on("disconnect", self._on_disconnect)
        # counted, timed and logged at the dispatcher (core/metrics.py), not in each handler
        sio.on("*", metrics.observe_events(self._on_event, events, self._user_of))
        metrics.count_sockets(lambda: len(self._principals))

    def _user_of(self, sid: str) -> str | None:
        who = self._principals.get(sid)
        return who.user.id if who is not None else None

    async def _on_connect(self, sid: str, environ: Any = None, auth: Any = None) -> Any:
        if sid in self._principals:  # a client-sent event named "connect"
            return fail(Invalid("reserved event name", {"reason": "unknown_event"}))
        if why := self.refusal():  # before any work: the client goes to another process
            raise socketio.exceptions.ConnectionRefusedError(
                "unavailable", {"code": "unavailable", "reason": why}
            )
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            who = await self._accounts.authenticate(token)
            # A logout from now on reaches this socket: its session's channel is joined before
            # any other await (a revoke that finds the handshake still running dooms it, see
            # manager.py).
            self._bus.join_now(sid, channels.session(who.jti))
            self._reserve(who.user.id)
            try:
                conversations = await self._messages.channels_of(who.user.id)
                await self._bus.join_local(sid, [channels.user(who.user.id), *conversations])
                # A logout that revoked the session after it was read above, but before the
                # join, sent its revoke too early to reach this socket: read it again.
                await self._accounts.authenticate(token)
            except BaseException:
                self._release(who.user.id)
                raise
        except DomainError as exc:
            code = "unauthorized" if exc.code == "unauthorized" else exc.code
            raise socketio.exceptions.ConnectionRefusedError(code, {"code": code}) from None
        except Exception as exc:
            err = translate(exc)
            if err is None:
                log.exception("connect failed")
            code = err.code if err else "unavailable"
            raise socketio.exceptions.ConnectionRefusedError(code, {"code": code}) from None
        self._principals[sid] = who
        log.info("socket connected", extra={FIELDS: {"sid": sid, "user_id": who.user.id}})
        # Hand the slot to Presence, which counts the socket before its first await: the
        # handshake is never counted twice, nor not at all.
        self._release(who.user.id)
        try:
            await self._presence.connected(who.user.id, conversations)
        except Exception:  # presence is best effort; the connection itself is accepted
            log.warning("presence update on connect failed", exc_info=True)
        return True

    def _reserve(self, user_id: str) -> None:
        """Take one of the user's connection slots, or refuse. Handshakes still in progress hold
        a slot too, so concurrent handshakes cannot all pass a check made before any is counted."""
        opening = self._opening.get(user_id, 0)
        if self._presence.open_sockets(user_id) + opening >= self._max_conns:
            raise RateLimited(30)
        self._opening[user_id] = opening + 1

    def _release(self, user_id: str) -> None:
        left = self._opening.get(user_id, 0) - 1
        if left > 0:
            self._opening[user_id] = left
        else:
            self._opening.pop(user_id, None)

    async def _on_disconnect(self, sid: str, *args: Any) -> Any:
        if self._sio.manager.is_connected(sid, "/"):  # a client-sent event named "disconnect"
            return fail(Invalid("reserved event name", {"reason": "unknown_event"}))
        who = self._principals.pop(sid, None)
        if who is not None:
            log.info("socket disconnected", extra={FIELDS: {"sid": sid, "user_id": who.user.id}})
            try:
                await self._presence.disconnected(who.user.id)
            except Exception:
                log.exception("presence update failed")
        return None

    async def _on_event(self, event: Any, sid: str, *args: Any) -> dict[str, Any]:
        try:
            who = self._principals.get(sid)
            if who is None:
                raise Invalid("not connected", {"reason": "not_connected"})
            entry = self._events.get(event) if isinstance(event, str) else None
            if entry is None:
                raise Invalid("unknown event", {"reason": "unknown_event"})
            if self._limits is not None:  # before parsing: a refusal is cheap, changes nothing
                await self._limits.charge(entry.budget, who.user.id)
            if len(args) > 1:
                raise Invalid("send one payload object", {"fields": {"payload": "one object"}})
            data = parse(entry.model, args[0] if args else {})
            result = await entry.fn(Call(who=who, sid=sid, data=data))
            return ok(result.data if isinstance(result, Wire) else result.model_dump(mode="json"))
        except Exception as exc:
            err = translate(exc)
            if err is None:
                log.exception("unhandled error in event %r", event)
                return {"ok": False, "error": {"code": "internal", "message": "internal error"}}
            return fail(err)

    async def announce_presence(
        self, user_id: str, online: bool, channels: list[str] | None = None
    ) -> None:
        if channels is None:
            channels = await self._messages.channels_of(user_id)
        for channel in channels:
            await self._bus.to_channel(channel, "presence", {"user_id": user_id, "online": online})
