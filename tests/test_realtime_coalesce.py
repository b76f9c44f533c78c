"""A batch of messages reaches each socket in one write (realtime/manager.py, ``_write_out``).

The writer stores the messages sent while its last insert was under way as one batch, and the
batch is published and delivered at once. Each idle socket used to get one transport write (one
system call) per message of the batch; now its frames are joined and written once, in order.
Driven through an in-process server: one member sends a burst without waiting for the acks, the
other must receive every message, in order, and at least one of its writes must carry more than
one of them.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from tests.support.chat import circle_with, history
from tests.support.security_infra import InProcess, People

BURST = 6


async def test_a_batch_reaches_each_socket_in_one_write_in_order(
    in_process: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = People(in_process.url)
    connections = in_process.container.sio.eio.connections
    per_write: list[int] = []  # the message:new frames in each write
    real_write = connections.write

    def counted(sid: str, frame: bytes) -> bool:
        done: bool = real_write(sid, frame)
        if done:
            per_write.append(frame.count(b'"message:new"'))
        return done

    try:
        alice, bob = await people.user("coalesce"), await people.user("coalesce")
        circle = await circle_with(alice, bob)
        conv = circle["conversation_id"]
        sa, sb = await people.sock(alice), await people.sock(bob)
        monkeypatch.setattr(connections, "write", counted)

        sent: list[str] = []
        for _ in range(5):  # a burst is a batch unless the writer was idle for each send
            texts = [f"burst {uuid.uuid4().hex[:6]}" for _ in range(BURST)]
            bodies: list[dict[str, Any]] = [
                {"conversation_id": conv, "client_id": uuid.uuid4().hex, "text": t} for t in texts
            ]
            await asyncio.gather(*(sa.ok("message:send", b) for b in bodies))
            sent += texts
            last = texts[-1]
            await sb.wait_for("message:new", lambda e, t=last: e["message"]["text"] == t)
            if max(per_write, default=0) > 1:
                break
        assert max(per_write) > 1, per_write  # before: one message per write, always

        received = [e["message"]["text"] for e in sb.events.get("message:new", [])]
        stored = [m["text"] for m in await history(sb, conv) if m["text"] in sent]
        assert [t for t in received if t in sent] == stored  # every one, in the log's order
        assert sorted(stored) == sorted(sent)
    finally:
        await people.aclose()


async def test_a_batch_the_wire_does_not_take_goes_through_the_queue_in_order(
    in_process: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the joined write is refused (the wire closing, its buffer full), each message of
    the batch takes the socket's queue, in order, and none is lost."""
    people = People(in_process.url)
    connections = in_process.container.sio.eio.connections
    real_write = connections.write
    refused: list[int] = []

    def refusing(sid: str, frame: bytes) -> bool:
        n = frame.count(b'"message:new"')
        if n > 1:
            refused.append(n)
            return False
        done: bool = real_write(sid, frame)
        return done

    try:
        alice, bob = await people.user("coalesce"), await people.user("coalesce")
        circle = await circle_with(alice, bob)
        conv = circle["conversation_id"]
        sa, sb = await people.sock(alice), await people.sock(bob)
        monkeypatch.setattr(connections, "write", refusing)

        sent: list[str] = []
        for _ in range(5):
            texts = [f"queued {uuid.uuid4().hex[:6]}" for _ in range(BURST)]
            await asyncio.gather(
                *(
                    sa.ok(
                        "message:send",
                        {"conversation_id": conv, "client_id": uuid.uuid4().hex, "text": t},
                    )
                    for t in texts
                )
            )
            sent += texts
            last = texts[-1]
            await sb.wait_for("message:new", lambda e, t=last: e["message"]["text"] == t)
            if refused:
                break
        assert refused, "no batch was delivered"

        received = [e["message"]["text"] for e in sb.events.get("message:new", [])]
        stored = [m["text"] for m in await history(sb, conv) if m["text"] in sent]
        assert [t for t in received if t in sent] == stored
        assert sorted(stored) == sorted(sent)
    finally:
        await people.aclose()
