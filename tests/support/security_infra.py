"""Helpers for the security tests: minted tokens, a raw Socket.IO wire client, direct database
access to a dedicated server, and the app run in-process with a MongoDB command recorder."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import itsdangerous
import uvicorn
from pymongo import AsyncMongoClient
from pymongo.monitoring import CommandFailedEvent, CommandListener, CommandStartedEvent
from pymongo.monitoring import CommandSucceededEvent as _Succeeded
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from tests.support import infra
from tests.support.client import Api, Sock, register

SECRET_KEY = "test-secret-key-for-the-whole-run"
TRACEBACK_MARKERS = ("Traceback", "unhandled error")


# tokens ------------------------------------------------------------------------------------


class _FixedTimeSigner(itsdangerous.TimestampSigner):
    issued_at = 0

    def get_timestamp(self) -> int:
        return self.issued_at


def mint(
    purpose: str,
    payload: Any,
    *,
    secret: str = SECRET_KEY,
    issued_at: float | None = None,
) -> str:
    """A token signed the way server/core/tokens.py signs them (salt ``circles.<purpose>.v1``),
    optionally with another key or an old timestamp."""
    signer_cls = itsdangerous.TimestampSigner
    if issued_at is not None:
        signer_cls = type("Signer", (_FixedTimeSigner,), {"issued_at": int(issued_at)})
    serializer = itsdangerous.URLSafeTimedSerializer(
        secret, salt=f"circles.{purpose}.v1", signer=signer_cls
    )
    return str(serializer.dumps(payload))


def session_claims(token: str) -> dict[str, Any]:
    """The (unverified) payload of a session token: ``{"u": user_id, "j": jti}``."""
    serializer = itsdangerous.URLSafeTimedSerializer(SECRET_KEY, salt="circles.session.v1")
    return dict(serializer.loads(token))


def flip_char(token: str, index: int) -> str:
    """The token with one character replaced (a different base64url character)."""
    ch = token[index]
    repl = "A" if ch != "A" else "B"
    return token[:index] + repl + token[index + 1 :]


# dedicated servers and direct database access ---------------------------------------------


@dataclass
class Dedicated:
    """A server process of its own, whose database name the test knows."""

    proc: infra.Proc
    env: dict[str, str]

    @property
    def url(self) -> str:
        return self.proc.url

    @property
    def db_name(self) -> str:
        return self.env["MONGODB_DB"]

    @contextlib.asynccontextmanager
    async def database(self) -> AsyncIterator[Any]:
        """The server's own database, read and written directly (bypassing the API)."""
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            self.env["MONGODB_URL"], tz_aware=True
        )
        try:
            yield client[self.db_name]
        finally:
            await client.close()


def start_dedicated(stack: Any, **extra: str) -> Dedicated:
    env = stack.server_env(**extra)
    return Dedicated(stack.start(**env), env)


_shared: dict[str, Dedicated] = {}


def shared_dedicated(stack: Any) -> Dedicated:
    """One plain dedicated server for all the security modules (servers are slow to start).
    Each module's session-scoped fixture returns it; stopping it twice is harmless."""
    found = _shared.get("server")
    if found is None or found.proc.popen.poll() is not None:
        found = _shared["server"] = start_dedicated(stack)
    return found


def log_problems(text: str) -> list[str]:
    """Lines of a server log that show an unhandled exception."""
    return [line for line in text.splitlines() if any(m in line for m in TRACEBACK_MARKERS)]


class LogMark:
    """The part of a server's log written after this point (servers are shared by tests)."""

    def __init__(self, proc: infra.Proc) -> None:
        self.proc = proc
        self.start = len(proc.log())

    def text(self) -> str:
        return self.proc.log()[self.start :]

    def problems(self) -> list[str]:
        return log_problems(self.text())


# a raw Socket.IO client, one frame at a time ----------------------------------------------


class RawSock:
    """Speaks Engine.IO v4 / Socket.IO v5 over a websocket by hand, so a test can send frames a
    well-behaved client library never would (events before the handshake, malformed packets)."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.open_packet: dict[str, Any] = {}
        self.received: list[str] = []

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, base_url: str, origin: str | None = None) -> AsyncIterator[RawSock]:
        url = base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        kwargs: dict[str, Any] = {"max_size": None, "open_timeout": 10}
        if origin is not None:
            kwargs["origin"] = origin
        async with ws_connect(url, **kwargs) as ws:
            sock = cls(ws)
            first = str(await asyncio.wait_for(ws.recv(), 10))
            assert first.startswith("0"), first
            sock.open_packet = json.loads(first[1:])
            yield sock

    async def send(self, frame: str) -> None:
        await self.ws.send(frame)

    async def handshake(self, auth: Any = None) -> str:
        """Send a namespace CONNECT; return the server's answer frame (``40...`` or ``44...``)."""
        await self.send("40" + (json.dumps(auth) if auth is not None else ""))
        return await self.next_frame(lambda f: f.startswith(("40", "44")))

    async def next_frame(self, pred: Callable[[str], bool], timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while True:
            for i, frame in enumerate(self.received):
                if pred(frame):
                    return self.received.pop(i)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching frame; got {self.received[-5:]}")
            frame = str(await asyncio.wait_for(self.ws.recv(), remaining))
            if frame == "2":  # Engine.IO ping
                await self.ws.send("3")
                continue
            self.received.append(frame)

    async def frames_for(self, seconds: float) -> list[str]:
        """Everything received during ``seconds`` (answering pings); stops early if closed."""
        deadline = time.monotonic() + seconds
        with contextlib.suppress(TimeoutError, ConnectionClosed):
            while (remaining := deadline - time.monotonic()) > 0:
                frame = str(await asyncio.wait_for(self.ws.recv(), remaining))
                if frame == "2":
                    await self.ws.send("3")
                else:
                    self.received.append(frame)
        out, self.received = self.received, []
        return out

    async def closed(self, timeout: float) -> bool:
        """True when the server closes the connection within ``timeout``."""
        try:
            await asyncio.wait_for(self.ws.wait_closed(), timeout)
        except TimeoutError:
            return False
        return True

    async def ack(self, ack_id: int, timeout: float = 10) -> Any:
        """The payload of the ACK packet ``43<ack_id>[...]``."""
        prefix = f"43{ack_id}["
        frame = await self.next_frame(lambda f: f.startswith(prefix), timeout)
        return json.loads(frame[len(prefix) - 1 :])[0]


def event_frame(ack_id: int, event: Any, *args: Any) -> str:
    return f"42{ack_id}" + json.dumps([event, *args])


# the app in-process, with every MongoDB command recorded ----------------------------------


@dataclass
class CommandRecorder(CommandListener):
    """Records every command the app's MongoDB client starts."""

    commands: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def started(self, event: CommandStartedEvent) -> None:
        self.commands.append((event.command_name, _plain(dict(event.command))))

    def succeeded(self, event: _Succeeded) -> None:
        pass

    def failed(self, event: CommandFailedEvent) -> None:
        pass


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, sub-value) of a decoded document, the document itself included."""
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{path}[{i}]")


@dataclass
class InProcess:
    url: str
    app: Any
    server: uvicorn.Server
    task: asyncio.Task[None]
    recorder: CommandRecorder
    db_name: str
    logs: list[logging.LogRecord]

    @property
    def container(self) -> Any:
        inner = self.app.other_asgi_app
        while not hasattr(inner, "state"):  # middleware around the Starlette app (RequestLog)
            inner = inner.app
        return inner.state.container


class _Collect(logging.Handler):
    def __init__(self, sink: list[logging.LogRecord]) -> None:
        super().__init__(logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record)


@contextlib.asynccontextmanager
async def in_process_server(
    mongo_url: str, redis_url: str | None, data_dir: Path
) -> AsyncIterator[InProcess]:
    """``create_app(settings, mongo_listeners=[recorder])`` served by uvicorn on a free port in
    this event loop."""
    from server.app import create_app
    from server.settings import Settings

    port = infra.free_port()
    db_name = f"inj_{uuid.uuid4().hex[:10]}"
    settings = Settings(
        host="127.0.0.1",
        port=port,
        mongodb_url=mongo_url,
        mongodb_db=db_name,
        redis_url=redis_url,
        secret_key=SECRET_KEY,
        data_dir=data_dir,
        seed_demo=False,
        rate_limit_messages_per_minute=1_000_000,
        rate_limit_auth_per_minute=1_000_000,
        rate_limit_scale=1000,  # as FAST_LIMITS: the probes are one user's thousands of calls
        presence_grace_seconds=0.5,
        # No join/leave system messages, as in conftest's FAST_LIMITS: one posted a window after
        # a test's join would land in the middle of whatever the test counts when it runs slowly
        member_notice_seconds=0,
    )
    recorder = CommandRecorder()
    app = create_app(settings, mongo_listeners=[recorder])
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="on",
        log_level="warning",
        ws="websockets-sansio",
        ws_max_size=settings.max_frame_bytes,
        access_log=False,
    )
    server = uvicorn.Server(config)
    records: list[logging.LogRecord] = []
    handler = _Collect(records)
    logging.getLogger().addHandler(handler)
    task = asyncio.create_task(server.serve())
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if task.done():
                task.result()
            assert time.monotonic() < deadline, "in-process server did not start"
            await asyncio.sleep(0.05)
        yield InProcess(f"http://127.0.0.1:{port}", app, server, task, recorder, db_name, records)
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 15)
        logging.getLogger().removeHandler(handler)


# people and sockets a test makes, closed afterwards ---------------------------------------


class People:
    """Registers users (through the API) and opens sockets for them; ``aclose`` cleans up."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._apis: list[Api] = []
        self._socks: list[Sock] = []

    async def user(self, prefix: str = "user", base_url: str | None = None) -> Api:
        api = await register(base_url or self.base_url, prefix)
        self._apis.append(api)
        return api

    async def sock(self, api: Api, base_url: str | None = None, token: str | None = None) -> Sock:
        sock = Sock(base_url or self.base_url, token or api.token)
        self._socks.append(sock)
        return await sock.connect()

    async def aclose(self) -> None:
        for sock in self._socks:
            await sock.close()
        for api in self._apis:
            await api.aclose()
