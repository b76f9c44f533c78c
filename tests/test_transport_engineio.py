"""Engine.IO and Socket.IO at the wire (issue 9 items 7, 8, 9 and the frame part of 15).

- A malformed long-polling POST is answered at once and leaves nothing running: the server still
  shuts down promptly afterwards, with no request task left to cancel.
- Binary Socket.IO packets (BINARY_EVENT, BINARY_ACK) and binary frames are refused by closing
  the connection: nothing is buffered for attachments a client announces.
- An Engine.IO session that has not completed a Socket.IO CONNECT within
  HANDSHAKE_TIMEOUT_SECONDS is closed; authenticated ones stay.
- An empty websocket frame (or one of no Engine.IO packet type) closes that connection cleanly:
  no traceback, and the user's connection slot is free again at once.
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
from websockets.exceptions import ConnectionClosed

from tests.support.client import refused
from tests.support.security_infra import (
    Dedicated,
    LogMark,
    People,
    RawSock,
    event_frame,
    log_problems,
    start_dedicated,
)
from tests.support.transport_probe import EioSocket, open_polling, rss_mib

HANDSHAKE_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def strict(stack: Any) -> Iterator[Dedicated]:
    """A server with a short handshake timeout and one connection per user."""
    d = start_dedicated(
        stack,
        HANDSHAKE_TIMEOUT_SECONDS=str(HANDSHAKE_TIMEOUT),
        MAX_CONNECTIONS_PER_USER="1",
    )
    yield d
    d.proc.stop()


@pytest.fixture
async def people(strict: Dedicated) -> AsyncIterator[People]:
    p = People(strict.url)
    yield p
    await p.aclose()


def send_body(conv: str, text: str) -> dict[str, Any]:
    return {"conversation_id": conv, "client_id": uuid.uuid4().hex, "text": text}


# item 7: malformed polling POSTs -----------------------------------------------------------

MALFORMED_POLLING_BODIES = [
    "4aaaa",  # a Socket.IO packet of no known type
    "6",  # an Engine.IO NOOP, which only the server sends
    "42222",  # an EVENT with an ack id and no payload
    "9",  # no Engine.IO packet type at all
    "4",  # an empty Socket.IO packet
    '451-["message:send",{"_placeholder":true,"num":0}]',  # a binary event
    "40" + json.dumps({"token": "garbage"}) + "\x1e6",  # a batch ending in a bad packet
]


async def test_malformed_polling_posts_are_answered_and_leave_no_task_behind(
    stack: Any,
) -> None:
    d = start_dedicated(stack, SHUTDOWN_GRACE_SECONDS="10")
    try:
        mark = LogMark(d.proc)

        async def post(body: str) -> tuple[str, int, float]:
            async with httpx.AsyncClient(base_url=d.url, timeout=1.0) as http:
                session = await open_polling(http)
                started = time.monotonic()
                try:
                    resp = await http.post(session, content=body)
                except httpx.TimeoutException:
                    return body, 0, time.monotonic() - started
                return body, resp.status_code, time.monotonic() - started

        results = await asyncio.gather(*[post(b) for b in MALFORMED_POLLING_BODIES * 10])
        unanswered = [(b, s) for b, status, s in results if status == 0]
        assert unanswered == [], unanswered
        assert {status for _, status, _ in results} <= {200, 400}, results

        # The server is healthy, and a real client is served.
        people = People(d.url)
        try:
            alice = await people.user("alice")
            circle = await alice.create_circle("After the noise")
            sock = await people.sock(alice)
            await sock.ok("message:send", send_body(circle["conversation_id"], "still fine"))
        finally:
            await people.aclose()
        assert mark.problems() == [], mark.text()[-3000:]
    finally:
        # Nothing is left waiting: the server stops at once instead of waiting out its grace
        # period for request tasks that will never end.
        started = time.monotonic()
        d.proc.stop(timeout=20)
        stopped_in = time.monotonic() - started
    assert stopped_in < 5, f"shutdown took {stopped_in:.1f}s"
    assert "timeout graceful shutdown exceeded" not in d.proc.log()


async def test_a_malformed_polling_post_closes_that_session_and_a_pending_poll_learns_it(
    strict: Dedicated,
) -> None:
    async with httpx.AsyncClient(base_url=strict.url, timeout=5) as http:
        session = await open_polling(http)
        poll = asyncio.create_task(http.get(session))
        await asyncio.sleep(0.2)
        resp = await http.post(session, content="6")
        assert resp.status_code == 400
        assert (await poll).text.endswith("1")  # Engine.IO CLOSE
        assert (await http.get(session)).status_code == 400  # the session is gone


# item 8: binary packets ---------------------------------------------------------------------


async def test_binary_socketio_packets_are_refused_and_the_connection_closed(
    strict: Dedicated, people: People
) -> None:
    mark = LogMark(strict.proc)
    alice = await people.user("alice")
    circle = await alice.create_circle("No attachments")
    conv = circle["conversation_id"]
    announcements = [
        '451-["message:send",{"_placeholder":true,"num":0}]',
        "45999999-" + json.dumps(["message:send", send_body(conv, "x")]),
        '461-[{"_placeholder":true,"num":0}]',  # a binary ack
    ]
    before = rss_mib(strict.proc)
    for header in announcements:
        async with RawSock.open(strict.url) as raw:
            assert (await raw.handshake({"token": alice.token})).startswith("40{")
            await raw.send(header)
            sent = 0
            try:
                # Stream attachments until the server hangs up (up to 16 MiB).
                for _ in range(256):
                    await asyncio.wait_for(raw.ws.send(b"\x00" * 65536), 2)
                    sent += 65536
                    await asyncio.sleep(0)
                closed = await raw.closed(3)
            except (ConnectionClosed, TimeoutError):
                closed = True
            assert closed, (header[:30], sent)
            assert sent < 8 * 1024 * 1024, (header[:30], sent)
        # The slot (MAX_CONNECTIONS_PER_USER=1) is free again: the connection really ended.
        await asyncio.sleep(0.3)
        async with RawSock.open(strict.url) as raw:
            assert (await raw.handshake({"token": alice.token})).startswith("40{")
    # A bare binary frame with no packet announcing it is refused the same way.
    async with RawSock.open(strict.url) as raw:
        assert (await raw.handshake({"token": alice.token})).startswith("40{")
        await raw.ws.send(b"\x04hello")
        assert await raw.closed(3)
    assert rss_mib(strict.proc) - before < 16
    history = await (await people.sock(alice)).ok("history", {"conversation_id": conv})
    assert history["messages"] == []
    assert mark.problems() == [], mark.text()[-3000:]


# item 9: sessions that never authenticate --------------------------------------------------


async def test_engineio_sessions_without_a_socketio_connect_are_closed_after_the_timeout(
    strict: Dedicated, people: People
) -> None:
    alice, bob = await people.user("alice"), await people.user("bob")
    circle = await alice.create_circle("Timeouts")
    idle = [await EioSocket.open(strict.url) for _ in range(20)]
    refused_once = await EioSocket.open(strict.url)
    await refused_once.ws.send("40" + json.dumps({"token": "garbage"}))
    assert (await refused_once.next("44")).startswith("44")
    # An authenticated socket, and one that authenticates late but in time, stay.
    good = await people.sock(alice)
    late = await EioSocket.open(strict.url)
    try:
        async with httpx.AsyncClient(base_url=strict.url, timeout=10) as http:
            polling = [await open_polling(http) for _ in range(5)]
            polling_due = time.monotonic() + HANDSHAKE_TIMEOUT + 0.5
            await asyncio.sleep(HANDSHAKE_TIMEOUT / 2)
            await late.ws.send("40" + json.dumps({"token": bob.token}))
            assert (await late.next("40")).startswith("40{")
            deadline = HANDSHAKE_TIMEOUT * 2 + 1.5
            results = await asyncio.gather(*[s.closed(deadline) for s in idle])
            assert all(results), f"{results.count(False)} of {len(idle)} silent sessions left open"
            assert await refused_once.closed(deadline)
            await asyncio.sleep(max(0.0, polling_due - time.monotonic()))
            for session in polling:
                assert (await http.get(session)).status_code == 400  # the session is gone
        assert not await late.closed(HANDSHAKE_TIMEOUT)
        assert not good.disconnected.is_set()
        sent = await good.ok("message:send", send_body(circle["conversation_id"], "here"))
        assert sent["message"]["text"] == "here"
    finally:
        for s in [*idle, refused_once, late]:
            await s.close()


# item 15: empty and typeless frames ---------------------------------------------------------


@pytest.mark.parametrize("frame", ["", "9", "x"])
async def test_an_empty_or_typeless_frame_closes_cleanly_and_frees_the_slot_at_once(
    strict: Dedicated, people: People, frame: str
) -> None:
    mark = LogMark(strict.proc)
    alice = await people.user("alice")
    async with RawSock.open(strict.url) as raw:
        assert (await raw.handshake({"token": alice.token})).startswith("40{")
        await raw.send(frame)
        await raw.send(event_frame(1, "conversations", {}))
        frames = await raw.frames_for(1.0)
        assert not [f for f in frames if f.startswith("431")], frames
        assert "1" in frames or await raw.closed(3), frames
    # MAX_CONNECTIONS_PER_USER=1: the slot is free at once, not after the ping timeout.
    await asyncio.sleep(0.3)
    sock = await people.sock(alice)
    assert (await sock.ok("conversations", {})) is not None
    assert await refused(strict.url, {"token": alice.token}) == {
        "message": "rate_limited",
        "data": {"code": "rate_limited"},
    }
    assert log_problems(mark.text()) == [], mark.text()[-3000:]


async def test_other_clients_are_unaffected_by_closed_connections(
    strict: Dedicated, people: People
) -> None:
    """Control for the tests above: a plain client connects, sends and stays."""
    bob = await people.user("bob")
    circle = await bob.create_circle("Control")
    sock = await people.sock(bob)
    await asyncio.sleep(HANDSHAKE_TIMEOUT * 2)
    assert not sock.disconnected.is_set()
    sent = await sock.ok("message:send", send_body(circle["conversation_id"], "hi"))
    assert sent["message"]["seq"] == 1
