"""Limits (TESTING.md item 20).

An oversize frame closes that connection before any handler runs and leaves other clients alone;
the per-user send rate limit is one budget across server processes; a user cannot hold more than
MAX_CONNECTIONS_PER_USER sockets, even by opening them all at once; a Socket.IO handshake from an
origin that is not allowed is refused.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import socketio
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.support.client import Api, Sock, refused
from tests.support.security_infra import (
    Dedicated,
    LogMark,
    People,
    RawSock,
    event_frame,
    shared_dedicated,
    start_dedicated,
)

RATE_LIMIT = 10
CONN_CAP = 3
FRAME_LIMIT = 64 * 1024  # MAX_FRAME_BYTES default


@pytest.fixture(scope="session")
def dedicated(stack: Any) -> Iterator[Dedicated]:
    d = shared_dedicated(stack)
    yield d
    d.proc.stop()


@pytest.fixture(scope="module")
def limited_pair(stack: Any) -> Iterator[tuple[Dedicated, Dedicated]]:
    """Two processes sharing a database and Redis, with small limits."""
    limits = {
        "RATE_LIMIT_MESSAGES_PER_MINUTE": str(RATE_LIMIT),
        "MAX_CONNECTIONS_PER_USER": str(CONN_CAP),
    }
    a = start_dedicated(stack, **limits)
    b = start_dedicated(stack, db=a.db_name, **limits)
    yield a, b
    a.proc.stop()
    b.proc.stop()


@pytest.fixture
async def people(dedicated: Dedicated) -> AsyncIterator[People]:
    p = People(dedicated.url)
    yield p
    await p.aclose()


async def pair_in_circle(people: People, base_url: str) -> tuple[Api, Api, str]:
    alice = await people.user("alice", base_url)
    bob = await people.user("bob", base_url)
    circle = await alice.create_circle("Limits")
    await bob.join(circle["id"])
    return alice, bob, circle["conversation_id"]


def send_body(conv: str, text: str, client_id: str | None = None) -> dict[str, Any]:
    return {"conversation_id": conv, "client_id": client_id or uuid.uuid4().hex, "text": text}


# frames -------------------------------------------------------------------------------------


async def test_an_oversize_frame_closes_that_connection_before_a_handler_runs(
    dedicated: Dedicated, people: People
) -> None:
    mark = LogMark(dedicated.proc)
    alice, bob, conv = await pair_in_circle(people, dedicated.url)
    bystander = await people.sock(bob)
    alice_elsewhere = await people.sock(alice)

    # Just under the limit: the frame is read and the event answered (the text is too long).
    async with RawSock.open(dedicated.url) as raw:
        assert (await raw.handshake({"token": alice.token})).startswith("40{")
        frame = event_frame(1, "message:send", send_body(conv, "a" * 60_000, "under"))
        assert len(frame.encode()) < FRAME_LIMIT
        await raw.send(frame)
        ack = await raw.ack(1)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid"

    # Over the limit: the connection is closed, and the event never reaches a handler.
    for text in ("b" * 70_000, "\u00e9" * 40_000, "n" * 100_000):
        async with RawSock.open(dedicated.url) as raw:
            assert (await raw.handshake({"token": alice.token})).startswith("40{")
            frame = event_frame(2, "message:send", send_body(conv, text, "over"))
            assert len(frame.encode()) > FRAME_LIMIT
            try:
                await raw.send(frame)
                frames = await raw.frames_for(2.0)
            except ConnectionClosed:
                frames = []
            assert not [f for f in frames if f.startswith("43")], frames
            assert "1" in frames or await raw.closed(5)

    history = await bystander.ok("history", {"conversation_id": conv})
    assert "over" not in {m["client_id"] for m in history["messages"]}
    # Everyone else, the same user's other socket included, carries on.
    assert not bystander.disconnected.is_set() and not alice_elsewhere.disconnected.is_set()
    sent = await alice_elsewhere.ok("message:send", send_body(conv, "still here"))
    await bystander.wait_for("message:new", lambda e: e["message"]["id"] == sent["message"]["id"])
    assert mark.problems() == []


async def test_an_oversize_long_polling_post_closes_that_session(
    dedicated: Dedicated, people: People
) -> None:
    alice, bob, conv = await pair_in_circle(people, dedicated.url)
    bystander = await people.sock(bob)
    base = "/socket.io/?EIO=4&transport=polling"
    async with httpx.AsyncClient(base_url=dedicated.url, timeout=15) as http:
        opened = await http.get(base)
        sid = json.loads(opened.text[1:])["sid"]
        session = f"{base}&sid={sid}"
        await http.post(session, content="40" + json.dumps({"token": alice.token}))
        assert "40{" in (await http.get(session)).text
        # A real client keeps a GET pending; the server's close packet arrives on it.
        poll = asyncio.create_task(http.get(session))
        await asyncio.sleep(0.2)
        body = "42" + "1" + json.dumps(["message:send", send_body(conv, "p" * 70_000, "poll")])
        too_big = await http.post(session, content=body)
        assert too_big.status_code == 400
        assert (await poll).text.endswith("1")  # Engine.IO CLOSE
        assert (await http.get(session)).status_code == 400  # the session is gone
    history = await bystander.ok("history", {"conversation_id": conv})
    assert "poll" not in {m["client_id"] for m in history["messages"]}


# rate limit ---------------------------------------------------------------------------------


async def test_the_send_rate_limit_is_one_budget_across_processes(
    limited_pair: tuple[Dedicated, Dedicated],
) -> None:
    a, b = limited_pair
    people = People(a.url)
    try:
        alice, bob, conv = await pair_in_circle(people, a.url)
        on_a, on_b = await people.sock(alice, a.url), await people.sock(alice, b.url)
        bob_b = await people.sock(bob, b.url)
        # The window is the wall-clock minute: do not straddle its end.
        if time.time() % 60 > 50:
            await asyncio.sleep(60.5 - time.time() % 60)
        window = int(time.time()) // 60

        acks = []
        for i in range(RATE_LIMIT):
            sock = on_a if i % 2 == 0 else on_b
            acks.append(await sock.call("message:send", send_body(conv, f"m{i}")))
        assert all(ack["ok"] for ack in acks), acks
        for sock in (on_a, on_b, on_a):
            over = await sock.call("message:send", send_body(conv, "one too many"))
            assert over["ok"] is False and over["error"]["code"] == "rate_limited", over
            retry = over["error"]["details"]["retry_after"]
            assert isinstance(retry, int) and 1 <= retry <= 60, retry
        assert int(time.time()) // 60 == window, "the test straddled a rate-limit window"

        history = await bob_b.ok("history", {"conversation_id": conv, "limit": 100})
        assert [m["text"] for m in history["messages"]] == [f"m{i}" for i in range(RATE_LIMIT)]
        # The budget is alice's: bob still sends, on either process.
        for proc in (a, b):
            bob_sock = await people.sock(bob, proc.url)
            assert (await bob_sock.call("message:send", send_body(conv, "bob")))["ok"] is True
    finally:
        await people.aclose()


# connection cap -----------------------------------------------------------------------------


async def test_connections_per_user_are_capped(
    limited_pair: tuple[Dedicated, Dedicated],
) -> None:
    a, _ = limited_pair
    people = People(a.url)
    try:
        alice, bob = await people.user("alice"), await people.user("bob")
        held = [await people.sock(alice) for _ in range(CONN_CAP)]
        error = await refused(a.url, {"token": alice.token})
        assert error == {"message": "rate_limited", "data": {"code": "rate_limited"}}
        # Other users are not affected.
        assert (await people.sock(bob)).sio.connected
        # A freed slot can be used again.
        await held.pop().close()
        await asyncio.sleep(0.3)
        held.append(await people.sock(alice))
        assert all(s.sio.connected for s in held)
    finally:
        await people.aclose()


async def test_the_connection_cap_holds_when_handshakes_arrive_at_once(
    limited_pair: tuple[Dedicated, Dedicated],
) -> None:
    a, _ = limited_pair
    people = People(a.url)
    socks: list[Sock] = []
    try:
        carol = await people.user("carol")
        socks = [Sock(a.url, carol.token) for _ in range(CONN_CAP * 3)]
        results = await asyncio.gather(*[s.connect() for s in socks], return_exceptions=True)
        accepted = [s for s, r in zip(socks, results, strict=True) if isinstance(r, Sock)]
        others = [r for r in results if not isinstance(r, Sock)]
        assert all(isinstance(r, socketio.exceptions.ConnectionError) for r in others), others
        assert len(accepted) == CONN_CAP, [
            (type(r).__name__, [e["message"] for e in s.connect_errors])
            for s, r in zip(socks, results, strict=True)
        ]
        assert all(
            s.connect_errors == [{"message": "rate_limited", "data": {"code": "rate_limited"}}]
            for s in socks
            if s not in accepted
        )
    finally:
        for s in socks:
            await s.close()
        await people.aclose()


# CORS ---------------------------------------------------------------------------------------


async def test_a_handshake_from_a_foreign_origin_is_refused(dedicated: Dedicated) -> None:
    own = dedicated.url
    port = dedicated.proc.port
    polling = "/socket.io/?EIO=4&transport=polling"
    async with httpx.AsyncClient(base_url=own) as http:
        for origin in [own, f"http://localhost:{port}"]:
            resp = await http.get(polling, headers={"Origin": origin})
            assert resp.status_code == 200 and resp.text.startswith("0{"), origin
            assert resp.headers.get("access-control-allow-origin") == origin
        for origin in [
            "http://evil.example",
            f"http://127.0.0.1:{port}.evil.example",
            f"http://127.0.0.1:{port + 1}",
            f"https://127.0.0.1:{port}",
            "null",
        ]:
            resp = await http.get(polling, headers={"Origin": origin})
            assert resp.status_code == 400, origin
            assert "access-control-allow-origin" not in resp.headers, origin
    async with RawSock.open(own, origin=own) as raw:
        assert raw.open_packet["sid"]
    with pytest.raises(InvalidStatus) as refused_ws:
        async with RawSock.open(own, origin="http://evil.example"):
            pass
    assert refused_ws.value.response.status_code in (400, 403)
