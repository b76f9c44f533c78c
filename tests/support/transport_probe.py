"""Probes for the transport tests: HTTP written by hand over TCP (so a test can send what no
client library would: a body that never ends, headers one byte at a time), bare Engine.IO
sessions, and the server process's memory."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect

from tests.support import infra

POLLING = "/socket.io/?EIO=4&transport=polling"


def rss_mib(proc: infra.Proc) -> float:
    """The server process's resident memory (VmRSS), in MiB."""
    with open(f"/proc/{proc.popen.pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS line")


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Wire:
    """One TCP connection to the server, spoken to byte by byte."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    sent: int = 0
    received: bytearray = field(default_factory=bytearray)

    @classmethod
    async def open(cls, base_url: str) -> Wire:
        parts = urlsplit(base_url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()
        self.sent += len(data)

    async def response(self, timeout: float) -> Response:
        """The next HTTP response; TimeoutError if none arrives in time."""
        async with asyncio.timeout(timeout):
            while b"\r\n\r\n" not in self.received:
                chunk = await self.reader.read(65536)
                if not chunk:
                    raise ConnectionError(f"closed before a response: {bytes(self.received)!r}")
                self.received += chunk
            head, _, rest = bytes(self.received).partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            body = bytearray(rest)
            while len(body) < length:
                chunk = await self.reader.read(65536)
                if not chunk:
                    break
                body += chunk
            self.received = bytearray(body[length:])
            return Response(int(lines[0].split()[1]), headers, bytes(body[:length]))

    async def closed_by_server(self, timeout: float) -> bool:
        """True when the server closes (or resets) the connection within ``timeout``."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    chunk = await self.reader.read(65536)
                    if not chunk:
                        return True
                    self.received += chunk
        except TimeoutError:
            return False
        except ConnectionError:
            return True

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.transport.abort()


def request_head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


async def open_polling(http: httpx.AsyncClient) -> str:
    """A new Engine.IO polling session; returns its URL (with the sid)."""
    opened = await http.get(POLLING)
    assert opened.status_code == 200 and opened.text.startswith("0{"), opened.text
    return f"{POLLING}&sid={json.loads(opened.text[1:])['sid']}"


class EioSocket:
    """A bare Engine.IO websocket session that answers pings and sends nothing else unless told."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[str | bytes] = []
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, base_url: str) -> EioSocket:
        url = base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        ws = await ws_connect(url, max_size=None, open_timeout=10, ping_interval=None)
        first = str(await asyncio.wait_for(ws.recv(), 10))
        assert first.startswith("0{"), first
        return cls(ws)

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            async for frame in self.ws:
                if frame == "2":
                    await self.ws.send("3")
                else:
                    self.frames.append(frame)

    async def next(self, prefix: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, frame in enumerate(self.frames):
                if isinstance(frame, str) and frame.startswith(prefix):
                    return str(self.frames.pop(i))
            if self._reader.done():
                break
            await asyncio.sleep(0.02)
        raise TimeoutError(f"no {prefix!r} frame; got {self.frames[-5:]}")

    async def closed(self, timeout: float) -> bool:
        """True when the server closes the websocket within ``timeout``."""
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        except TimeoutError:
            return False
        return True

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 2)
        self._reader.cancel()
