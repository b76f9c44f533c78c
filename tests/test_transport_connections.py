"""Connections that never get anywhere are not kept (issue 9 item 9).

- A TCP connection must deliver its request headers within HANDSHAKE_TIMEOUT_SECONDS (the first
  request, and each next one on a keep-alive connection), and a request body within the same
  time once its headers are in; otherwise it is closed (a body that is late is answered first).
- One client address holds at most MAX_CONNECTIONS_PER_ADDRESS connections per process; a
  connection over the cap is answered 429 ``rate_limited`` and closed, and a closed connection
  frees its place at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.security_infra import Dedicated, LogMark, start_dedicated
from tests.support.transport_probe import EioSocket, Wire, request_head

TIMEOUT = 1.0
CAP = 6


@pytest.fixture(scope="module")
def impatient(stack: Any) -> Iterator[Dedicated]:
    d = start_dedicated(stack, HANDSHAKE_TIMEOUT_SECONDS=str(TIMEOUT))
    yield d
    d.proc.stop()


@pytest.fixture(scope="module")
def capped(stack: Any) -> Iterator[Dedicated]:
    # Loopback is exempt by default (a reverse proxy on the same host carries every client):
    # this server caps it like any other address.
    d = start_dedicated(
        stack, MAX_CONNECTIONS_PER_ADDRESS=str(CAP), CONNECTION_CAP_EXEMPT="", SEED_DEMO="0"
    )
    yield d
    d.proc.stop()


async def test_connections_that_do_not_finish_their_headers_in_time_are_closed(
    impatient: Dedicated,
) -> None:
    mark = LogMark(impatient.proc)
    silent = [await Wire.open(impatient.url) for _ in range(10)]
    partial = [await Wire.open(impatient.url) for _ in range(10)]
    for wire in partial:
        await wire.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    trickling = [await Wire.open(impatient.url) for _ in range(10)]

    async def trickle(wire: Wire) -> None:
        # One byte of an endless header every 0.2 s: each byte is "activity", none completes.
        with contextlib.suppress(ConnectionError):
            await wire.send(b"GET / HTTP/1.1\r\nX-Slow: ")
            for _ in range(50):
                await wire.send(b"a")
                await asyncio.sleep(0.2)

    tricklers = [asyncio.create_task(trickle(w)) for w in trickling]
    # A keep-alive connection that got its answer, then starts the next request and stalls.
    kept = await Wire.open(impatient.url)
    await kept.send(request_head("GET", "/healthz", {}))
    assert (await kept.response(3)).status == 200
    await kept.send(b"GET /healthz HTTP/1.1\r\nHo")
    try:
        wires = [*silent, *partial, *trickling, kept]
        closed = await asyncio.gather(*[w.closed_by_server(TIMEOUT + 2.5) for w in wires])
        assert all(closed), f"{closed.count(False)} of {len(wires)} connections left open"
    finally:
        for task in tricklers:
            task.cancel()
        for w in [*silent, *partial, *trickling, kept]:
            w.close()
    # Control: complete requests are served, one after another on a keep-alive connection.
    async with httpx.AsyncClient(base_url=impatient.url) as http:
        for _ in range(3):
            assert (await http.get("/healthz")).status_code == 200
            await asyncio.sleep(TIMEOUT / 2)
    assert mark.problems() == []


async def test_a_request_body_that_does_not_arrive_in_time_is_answered_and_closed(
    impatient: Dedicated,
) -> None:
    wire = await Wire.open(impatient.url)
    try:
        head = {"Content-Type": "application/json", "Content-Length": "100"}
        await wire.send(request_head("POST", "/api/auth/login", head) + b'{"handle": ')
        resp = await wire.response(TIMEOUT + 2.5)
        assert resp.status == 400, resp
        assert resp.json()["error"]["code"] == "bad_request"
        assert resp.json()["error"]["details"]["fields"]["body"]
        assert await wire.closed_by_server(2)
    finally:
        wire.close()


async def test_connections_per_client_address_are_capped(capped: Dedicated) -> None:
    held = [await EioSocket.open(capped.url) for _ in range(CAP)]
    try:
        # One over the cap: refused straight away, with the structured error where the client
        # gets to read it (or at least a closed connection), never served.
        for _ in range(3):
            wire = await Wire.open(capped.url)
            try:
                await wire.send(request_head("GET", "/healthz", {}))
                try:
                    resp = await wire.response(3)
                except ConnectionError:
                    resp = None
                if resp is not None:
                    assert resp.status == 429, resp
                    error = resp.json()["error"]
                    assert error["code"] == "rate_limited" and error["details"]["retry_after"] >= 1
                    assert resp.headers.get("x-content-type-options") == "nosniff"
                assert await wire.closed_by_server(3)
            finally:
                wire.close()
        # A closed connection frees its place at once.
        await held.pop().close()
        await asyncio.sleep(0.3)
        async with httpx.AsyncClient(base_url=capped.url) as http:
            assert (await http.get("/healthz")).status_code == 200
        # The held websockets themselves were never disturbed.
        assert not any([await s.closed(0.1) for s in held])
    finally:
        for s in held:
            await s.close()
    await asyncio.sleep(0.3)
    async with httpx.AsyncClient(
        base_url=capped.url, limits=httpx.Limits(max_connections=CAP)
    ) as http:
        answers = await asyncio.gather(*[http.get("/healthz") for _ in range(CAP * 3)])
    assert {r.status_code for r in answers} == {200}
