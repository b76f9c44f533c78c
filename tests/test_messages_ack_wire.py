"""A sent message's ack is its ``message:new`` payload, built once for both (messages/service.py,
``committed_wire``; realtime/events.py, ``Wire``).

The ack and the broadcast differ only in ``reactions[].me``, and a new message has no reactions,
so the sender's ack reuses the payload built for the members instead of building and dumping the
message again (about 2% of the server's CPU in the chat benchmark, docs/performance.md,
"The search indexer paced"). Where they would differ (the message changed between its commit
and the ack: a reply whose quote was settled again), the ack is built for the sender as before.
Driven through an in-process server, the way a client sends.
"""

from __future__ import annotations

from typing import Any

import pytest

from server.messages import service as service_module
from server.messages.schemas import MessageOut
from tests.support.chat import circle_with, say
from tests.support.security_infra import InProcess, People


async def test_the_ack_is_the_broadcast_built_once(
    in_process: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = People(in_process.url)
    try:
        alice, bob = await people.user("ackwire"), await people.user("ackwire")
        circle = await circle_with(alice, bob)
        conv = circle["conversation_id"]
        sa, sb = await people.sock(alice), await people.sock(bob)
        await say(sa, conv, "warm up")  # the conversation's first send reads what it needs

        built: list[str] = []
        real_of = MessageOut.of.__func__  # type: ignore[attr-defined]

        def counted(cls: type[MessageOut], m: Any, mine: Any = None) -> MessageOut:
            built.append(m.id)
            out: MessageOut = real_of(cls, m, mine)
            return out

        real_wire = service_module.broadcast_wire

        def counted_wire(m: Any) -> dict[str, Any]:
            built.append(m.id)
            return real_wire(m)

        monkeypatch.setattr(MessageOut, "of", classmethod(counted))
        monkeypatch.setattr(service_module, "broadcast_wire", counted_wire)
        acked = await say(sa, conv, "once is enough")
        received = await sb.wait_for("message:new", lambda e: e["message"]["id"] == acked["id"])
        assert received["message"] == acked
        assert built == [acked["id"]]  # before: twice, for the broadcast and for the ack

        # a reply: its quote may be settled again after the commit (a new rev); the ack then
        # says what is stored, whatever the broadcast said
        built.clear()
        reply = await say(sa, conv, "a reply", reply_to=acked["id"])
        assert reply["reply"]["id"] == acked["id"]
        stored = await sa.ok("history", {"conversation_id": conv})
        assert [m for m in stored["messages"] if m["id"] == reply["id"]] == [reply]

        # nothing is left behind by acks that took their payload
        assert reply["id"] not in in_process.container.messages._wire
        assert len(in_process.container.messages._wire) <= service_module.WIRE_KEPT
    finally:
        await people.aclose()
