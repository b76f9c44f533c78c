"""A minimal Socket.IO v5 client over a raw websocket: cheap enough to open hundreds at once."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from typing import Any

import websockets


class RawSocket:
    def __init__(self, base_url: str, token: str) -> None:
        self.url = base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.token = token
        self._ids = itertools.count(1)
        self._acks: dict[int, asyncio.Future[Any]] = {}
        self.events: list[tuple[str, Any]] = []
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None

    async def connect(self) -> RawSocket:
        self._ws = await websockets.connect(
            self.url, max_size=None, compression=None, ping_interval=None
        )
        opening = await self._ws.recv()
        assert opening.startswith("0"), opening
        await self._ws.send("40" + json.dumps({"token": self.token}))
        # Broadcasts to rooms the connect handler entered can arrive before the CONNECT reply
        # (python-socketio sends it after the handler; socket.io-client buffers them likewise).
        # A slow connect handler can also outlast the ping interval.
        reply = await self._ws.recv()
        while reply.startswith("42") or reply == "2":
            if reply == "2":
                await self._ws.send("3")
            else:
                event, *args = json.loads(reply[2:])
                self.events.append((event, args[0] if args else None))
            reply = await self._ws.recv()
        assert reply.startswith("40"), reply
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for frame in self._ws:
                if frame == "2":
                    await self._ws.send("3")
                elif frame.startswith("43"):
                    body = frame[2:]
                    i = 0
                    while body[i].isdigit():
                        i += 1
                    future = self._acks.pop(int(body[:i]), None)
                    if future and not future.done():
                        future.set_result(json.loads(body[i:])[0])
                elif frame.startswith("42"):
                    event, *args = json.loads(frame[2:])
                    self.events.append((event, args[0] if args else None))

    async def call(self, event: str, data: Any, timeout: float = 120) -> Any:
        ack_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = future
        await self._ws.send(f"42{ack_id}" + json.dumps([event, data]))
        return await asyncio.wait_for(future, timeout)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
