"""Request bodies are bounded before they are read (issue 9 item 6).

A body whose ``Content-Length`` is over the limit is refused before a byte of it is read; a
streamed (chunked) body is read only up to the limit, then refused. Both get the structured error
and ``Connection: close``, on every route (open ones like login, raw-body ones like the payment
webhook, Engine.IO polling), and the server's memory stays flat while clients stream.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.security_infra import Dedicated, LogMark, start_dedicated
from tests.support.transport_probe import Wire, chunk, open_polling, request_head, rss_mib

LIMIT = 64 * 1024  # the HTTP body limit, and MAX_FRAME_BYTES for Engine.IO polling
ROUTES = ["/api/auth/login", "/api/auth/register", "/api/payments/webhook/sandbox"]


@pytest.fixture(scope="module")
def dedicated(stack: Any) -> Iterator[Dedicated]:
    d = start_dedicated(stack)
    yield d
    d.proc.stop()


def assert_refused_as_too_large(resp: Any) -> None:
    assert resp.status == 422, (resp.status, resp.body[:200])
    error = resp.json()["error"]
    assert error["code"] == "invalid", error
    assert error["details"]["fields"]["body"] == f"over {LIMIT} bytes", error
    assert resp.headers.get("connection") == "close", resp.headers


async def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(
    dedicated: Dedicated,
) -> None:
    mark = LogMark(dedicated.proc)
    for path in ROUTES:
        wire = await Wire.open(dedicated.url)
        try:
            # 300 MiB announced, not one byte of it sent: the answer cannot wait for the body.
            head = {"Content-Type": "application/json", "Content-Length": str(300 * 1024 * 1024)}
            await wire.send(request_head("POST", path, head))
            assert_refused_as_too_large(await wire.response(timeout=3))
            assert await wire.closed_by_server(3), path
        finally:
            wire.close()
    # One byte over is refused too; exactly the limit is read (and answered by the route).
    async with httpx.AsyncClient(base_url=dedicated.url, timeout=10) as http:
        over = await http.post("/api/auth/login", content=b" " * (LIMIT + 1))
        assert over.status_code == 422 and over.json()["error"]["details"]["fields"]["body"]
        at = await http.post("/api/auth/login", content=b" " * LIMIT)
        assert at.status_code == 422 and "body" not in at.json()["error"]["details"]["fields"]
    assert mark.problems() == []


async def test_a_streamed_body_is_read_only_up_to_the_limit(dedicated: Dedicated) -> None:
    """A chunked body that has not ended, already over the limit: answered at once."""
    async with httpx.AsyncClient(base_url=dedicated.url, timeout=10) as http:
        polling = await open_polling(http)
    for path in [*ROUTES, polling]:
        wire = await Wire.open(dedicated.url)
        try:
            head = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
            await wire.send(request_head("POST", path, head))
            for _ in range(4):  # twice the limit, and no terminating chunk: the body never ends
                await wire.send(chunk(b"x" * (LIMIT // 2)))
            assert_refused_as_too_large(await wire.response(timeout=3))
            assert await wire.closed_by_server(3), path
        finally:
            wire.close()


async def stream_forever(base_url: str, path: str, cap: int) -> tuple[bool, float, int]:
    """Stream a chunked body that never ends (up to ``cap`` bytes), reading whatever the server
    answers meanwhile. Returns (answered or cut off by the server, seconds it took, bytes sent)."""
    wire = await Wire.open(base_url)
    loop = asyncio.get_running_loop()
    started = loop.time()
    verdict = asyncio.create_task(wire.closed_by_server(30))
    block = chunk(b"y" * 65536)
    try:
        await wire.send(request_head("POST", path, {"Transfer-Encoding": "chunked"}))
        while not verdict.done() and wire.sent < cap:
            try:
                await asyncio.wait_for(wire.send(block), 3)
            except (ConnectionError, TimeoutError):
                break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(verdict), 3)
        return verdict.done() and verdict.result(), loop.time() - started, wire.sent
    finally:
        verdict.cancel()
        wire.close()


async def test_endless_bodies_are_cut_off_promptly_and_memory_stays_flat(
    dedicated: Dedicated,
) -> None:
    mark = LogMark(dedicated.proc)
    async with httpx.AsyncClient(base_url=dedicated.url, timeout=10) as http:
        polling = await open_polling(http)
    before = rss_mib(dedicated.proc)
    cap = 48 * 1024 * 1024  # per stream, so that an unbounded server is hurt but survives
    paths = ["/api/auth/login", "/api/payments/webhook/sandbox", polling, "/api/auth/login"]
    results = await asyncio.gather(*[stream_forever(dedicated.url, p, cap) for p in paths])
    grown = rss_mib(dedicated.proc) - before
    for path, (cut_off, seconds, sent) in zip(paths, results, strict=True):
        assert cut_off, (path, seconds, sent)
        assert seconds < 5 and sent < cap, (path, seconds, sent)
    assert grown < 24, f"server RSS grew by {grown:.0f} MiB while clients streamed"
    async with httpx.AsyncClient(base_url=dedicated.url, timeout=10) as http:
        assert (await http.get("/healthz")).status_code == 200
    assert mark.problems() == []
