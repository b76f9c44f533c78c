"""A batch of messages reaches each socket in one write (realtime/manager.py, ``_write_out``).

The writer stores the messages sent while its last insert was under way as one batch, and the
batch is published and delivered at once. Each idle socket used to get one transport write (one
system call) per message of the batch; now its frames are joined and written once, in order.
Driven through an in-process server: one member sends bursts without waiting for the acks, the
other must receive every message, in the log's order.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest

from tests.support.chat import circle_with, history
from tests.support.security_infra import InProcess, People

BURST = 6
Write = Callable[[str, bytes], bool]


async def bursts_until(
    in_process: InProcess,
    monkeypatch: pytest.MonkeyPatch,
    wrap: Callable[[Write], Write],
    done: Callable[[], bool],
) -> None:
    """Alice sends bursts to Bob, with the server's socket writes replaced by ``wrap`` of them,
    until ``done()`` (at most five bursts: a burst is one batch unless the writer was idle for
    each of its sends); then Bob must have every message, in the log's order."""
    people = People(in_process.url)
    connections = in_process.container.sio.eio.connections
    try:
        alice, bob = await people.user("coalesce"), await people.user("coalesce")
        conv = (await circle_with(alice, bob))["conversation_id"]
        sa, sb = await people.sock(alice), await people.sock(bob)
        monkeypatch.setattr(connections, "write", wrap(connections.write))
        sent: list[str] = []
        for _ in range(5):
            texts = [f"burst {uuid.uuid4().hex[:6]}" for _ in range(BURST)]
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
            await sb.wait_for("message:new", lambda e, t=texts[-1]: e["message"]["text"] == t)
            if done():
                break
        received = [e["message"]["text"] for e in sb.events.get("message:new", [])]
        stored = [m["text"] for m in await history(sb, conv) if m["text"] in sent]
        assert [t for t in received if t in sent] == stored  # every one, in the log's order
        assert sorted(stored) == sorted(sent)
    finally:
        await people.aclose()


def messages_in(frame: bytes) -> int:
    return frame.count(b'"message:new"')


async def test_a_batch_reaches_each_socket_in_one_write_in_order(
    in_process: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    per_write: list[int] = []  # the message:new frames in each write taken

    def counted(write: Write) -> Write:
        def counting(sid: str, frame: bytes) -> bool:
            taken = write(sid, frame)
            if taken:
                per_write.append(messages_in(frame))
            return taken

        return counting

    await bursts_until(in_process, monkeypatch, counted, lambda: max(per_write, default=0) > 1)
    assert max(per_write) > 1, per_write  # before: one message per write, always


async def test_a_batch_the_wire_does_not_take_goes_through_the_queue_in_order(
    in_process: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the joined write is refused (the wire closing, its buffer full), each message of
    the batch takes the socket's queue, in order, and none is lost."""
    refused: list[int] = []

    def refusing(write: Write) -> Write:
        def maybe(sid: str, frame: bytes) -> bool:
            if messages_in(frame) > 1:
                refused.append(messages_in(frame))
                return False
            return write(sid, frame)

        return maybe

    await bursts_until(in_process, monkeypatch, refusing, lambda: bool(refused))
    assert refused, "no batch was delivered"
