"""Clients that drive the real server over the network, the way a web or bot client would."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import httpx
import socketio

_counter = itertools.count()
PASSWORD = "correct horse battery"


def unique_handle(prefix: str) -> str:
    return f"{prefix[:12]}_{uuid.uuid4().hex[:10]}_{next(_counter)}"


class Api:
    """HTTP client bound to one user (or anonymous)."""

    def __init__(self, base_url: str, token: str | None = None, user: dict[str, Any] | None = None):
        self.base_url = base_url
        self.token = token
        self.user = user or {}
        # Idle connections are dropped well before the server's 5 s keep-alive closes them, so a
        # request never races the server's close of the connection it was sent on.
        self.http = httpx.AsyncClient(
            base_url=base_url, timeout=120, limits=httpx.Limits(keepalive_expiry=2.0)
        )

    @property
    def id(self) -> str:
        return str(self.user["id"])

    def _headers(self, token: str | None) -> dict[str, str]:
        tok = token if token is not None else self.token
        return {"Authorization": f"Bearer {tok}"} if tok else {}

    async def request(
        self, method: str, path: str, json: Any = None, token: str | None = None, **kw: Any
    ) -> httpx.Response:
        return await self.http.request(method, path, json=json, headers=self._headers(token), **kw)

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return await self.request("POST", path, json=json, **kw)

    async def ok(self, method: str, path: str, json: Any = None, status: int | None = None) -> Any:
        resp = await self.request(method, path, json=json)
        expected = status or (201 if method == "POST" and resp.status_code == 201 else 200)
        assert resp.status_code in (expected, 204), (method, path, resp.status_code, resp.text)
        return resp.json() if resp.status_code != 204 else None

    async def create_circle(
        self, name: str = "Test circle", visibility: str = "public", **extra: Any
    ) -> dict[str, Any]:
        body = {
            "name": name,
            "category": extra.pop("category", "testing"),
            "visibility": visibility,
            **extra,
        }
        resp = await self.post("/api/circles", body)
        assert resp.status_code == 201, resp.text
        return dict(resp.json()["circle"])

    async def join(self, circle_id: str, invite: str | None = None) -> dict[str, Any]:
        resp = await self.post(
            f"/api/circles/{circle_id}/join", {"invite": invite} if invite else {}
        )
        assert resp.status_code == 200, resp.text
        return dict(resp.json()["membership"])

    async def aclose(self) -> None:
        await self.http.aclose()


async def register(base_url: str, prefix: str = "user", display_name: str | None = None) -> Api:
    handle = unique_handle(prefix)
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as http:
        resp = await http.post(
            "/api/auth/register",
            json={
                "handle": handle,
                "password": PASSWORD,
                "display_name": display_name or prefix.title(),
            },
        )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    return Api(base_url, body["token"], body["user"])


class Sock:
    """A Socket.IO client that records every event it receives."""

    def __init__(self, base_url: str, token: str | None):
        self.base_url = base_url
        self.token = token
        self.sio = socketio.AsyncClient(reconnection=False, request_timeout=10)
        self.events: dict[str, list[Any]] = defaultdict(list)
        self.log: list[tuple[str, Any]] = []
        self._changed = asyncio.Event()
        self.disconnected = asyncio.Event()

        @self.sio.on("*")
        async def _any(event: str, *args: Any) -> None:
            data = args[0] if args else None
            self.events[event].append(data)
            self.log.append((event, data))
            self._changed.set()

        self.connect_errors: list[Any] = []

        @self.sio.on("connect_error")
        async def _refused(data: Any = None) -> None:
            self.connect_errors.append(data)

        @self.sio.on("disconnect")
        async def _gone(*args: Any) -> None:
            self.disconnected.set()

    async def connect(self, transports: list[str] | None = None) -> Sock:
        await self.sio.connect(
            self.base_url,
            auth={"token": self.token} if self.token else None,
            transports=transports or ["websocket"],
            socketio_path="socket.io",
            wait_timeout=10,
        )
        return self

    async def call(self, event: str, data: Any = None, timeout: float = 15) -> dict[str, Any]:
        args = () if data is ... else (data if data is not None else {},)
        result = (
            await self.sio.call(event, *args, timeout=timeout)
            if args
            else await self.sio.call(event, timeout=timeout)
        )
        assert isinstance(result, dict), result
        return result

    async def ok(self, event: str, data: Any = None) -> dict[str, Any]:
        result = await self.call(event, data)
        assert result.get("ok") is True, (event, result)
        return dict(result["data"])

    async def wait_for(
        self, event: str, pred: Callable[[Any], bool] = lambda _: True, timeout: float = 10.0
    ) -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        seen = 0
        while True:
            items = self.events.get(event, [])
            for item in items[seen:]:
                if pred(item):
                    return item
            seen = len(items)
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"no {event} matching within {timeout}s; got {items[-5:]}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass

    def messages(self, conversation_id: str) -> list[dict[str, Any]]:
        return [
            e["message"]
            for e in self.events.get("message:new", [])
            if e["message"]["conversation_id"] == conversation_id
        ]

    async def close(self) -> None:
        try:
            await self.sio.disconnect()
        except Exception:
            pass


async def refused(base_url: str, auth: Any) -> Any:
    """Try a handshake that must be refused; returns the connect_error payload."""
    sock = Sock(base_url, None)
    try:
        await sock.sio.connect(
            base_url,
            auth=auth,
            transports=["websocket"],
            socketio_path="socket.io",
            wait_timeout=10,
        )
    except socketio.exceptions.ConnectionError:
        return sock.connect_errors[-1] if sock.connect_errors else None
    await sock.close()
    raise AssertionError(f"handshake with {auth!r} was accepted")


async def connect(base_url: str, api: Api) -> Sock:
    return await Sock(base_url, api.token).connect()
