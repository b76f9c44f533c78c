"""The Broadcaster: the only code that emits events or moves sockets between channels.

Services call it after their write succeeded. Emitting never fails the caller: the data is stored,
and a client that missed an event catches up with ``sync``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import socketio

from server.realtime import channels
from server.realtime.manager import LocalManager, RedisManager

log = logging.getLogger(__name__)


class Broadcaster:
    def __init__(self, sio: socketio.AsyncServer, manager: LocalManager | RedisManager) -> None:
        self._sio = sio
        self._manager = manager

    async def _emit(self, event: str, data: Any, room: str, skip_sid: str | None = None) -> None:
        try:
            await self._sio.emit(event, data, room=room, skip_sid=skip_sid)
        except Exception:
            log.exception("emit of %s to %s failed", event, room)

    async def messages_new(self, payloads: list[tuple[str, dict[str, Any]]]) -> None:
        """``message:new`` for several ``(conversation_id, payload)`` at once, in order."""
        try:
            await self._manager.emit_many(
                [("message:new", p, channels.conversation(c)) for c, p in payloads]
            )
        except Exception:
            log.exception("emit of %d new messages failed", len(payloads))

    async def message_updated(self, conversation_id: str, payload: dict[str, Any]) -> None:
        await self._emit("message:updated", payload, channels.conversation(conversation_id))

    async def to_channel(
        self, channel: str, event: str, payload: dict[str, Any], skip_sid: str | None = None
    ) -> None:
        await self._emit(event, payload, channel, skip_sid)

    async def to_user(
        self, user_id: str, event: str, payload: dict[str, Any], skip_sid: str | None = None
    ) -> None:
        await self._emit(event, payload, channels.user(user_id), skip_sid)

    async def _control(self, op: dict[str, Any]) -> None:
        try:
            await self._manager.control(op)
        except Exception:
            log.exception("control op %s failed", op.get("op"))

    async def enter(self, user_id: str, channel: str) -> None:
        """Put every live socket of ``user_id``, on every process, into ``channel``."""
        await self._control({"op": "enter", "user": user_id, "channel": channel})

    def on_leave(self, listener: Callable[[str, str], None]) -> None:
        """Call ``listener(user_id, channel)`` whenever a leave is applied on this process,
        whichever process made it."""
        self._manager.add_leave_listener(listener)

    async def leave(self, user_id: str, channel: str) -> None:
        await self._control({"op": "leave", "user": user_id, "channel": channel})

    def on_forget(self, listener: Callable[[str, str], None]) -> None:
        """Call ``listener(what, key)`` whenever any process says its ``what`` of ``key``
        changed (``forget``), this one included."""
        self._manager.add_forget_listener(listener)

    async def forget(self, what: str, key: str) -> None:
        await self._control({"op": "forget", "what": what, "key": key})

    async def session_revoked(self, jti: str) -> None:
        """Disconnect every socket opened with that session's token, on every process."""
        await self._control({"op": "revoke", "jti": jti})

    def join_now(self, sid: str, room: str) -> None:
        """Put a socket of this process into ``room`` without yielding to the event loop (its
        handshake may still be running), so nothing sent to the room from now on misses it."""
        self._manager.basic_enter_room(sid, "/", room)

    async def join_local(self, sid: str, rooms: list[str]) -> None:
        for room in rooms:
            await self._sio.enter_room(sid, room)
