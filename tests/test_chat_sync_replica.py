"""`sync` alone rebuilds a client's replica (issue 11, "done when"): after a disconnect, across
replies, reactions, mentions, edits, deletes and pins, the replica equals `history`, field by
field."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.chat import circle_with, say
from tests.support.client import Sock


async def catch_up(sock: Sock, conv: str, replica: dict[str, dict], since: int) -> int:
    """Apply every sync page after ``since`` (small pages, so paging is exercised)."""
    while True:
        page = await sock.ok("sync", {"conversation_id": conv, "since_rev": since, "limit": 3})
        for m in page["messages"]:
            assert m["rev"] > since
            known = replica.get(m["id"])
            assert known is None or known["rev"] < m["rev"]
            replica[m["id"]] = m
        since = page["rev"]
        if not page["has_more"]:
            return since


async def everything(sock: Sock, conv: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    before = None
    while True:
        body: dict[str, Any] = {"conversation_id": conv, "limit": 7}
        if before is not None:
            body["before_seq"] = before
        page = await sock.ok("history", body)
        out = page["messages"] + out
        if not page["has_more"]:
            return out
        before = page["messages"][0]["seq"]


async def test_sync_alone_rebuilds_the_replica_after_a_disconnect(make_user, make_sock):
    owner, alice, bob = await make_user("owner"), await make_user("alice"), await make_user("bob")
    conv = (await circle_with(owner, alice, bob))["conversation_id"]
    so, sa = await make_sock(owner), await make_sock(alice)
    sb = await make_sock(bob)
    replica: dict[str, dict] = {}
    base = [await say(sa, conv, f"before {i}") for i in range(3)]
    await sb.ok("reaction:add", {"message_id": base[0]["id"], "emoji": "👋"})
    rev = await catch_up(sb, conv, replica, 0)
    await sb.close()  # bob goes away; the others keep talking

    q = await say(sa, conv, "where do we meet?\nsecond line")
    replies = [await say(so, conv, "at the park", reply_to=q["id"])]
    replies.append(await say(sa, conv, "@" + bob.user["handle"] + " ok?", reply_to=base[1]["id"]))
    await sa.ok("message:edit", {"message_id": q["id"], "text": "where do we meet on sunday?"})
    await so.ok("message:pin", {"message_id": q["id"]})
    await so.ok("message:pin", {"message_id": base[2]["id"]})
    await asyncio.gather(
        sa.ok("reaction:add", {"message_id": q["id"], "emoji": "👍"}),
        so.ok("reaction:add", {"message_id": q["id"], "emoji": "👍"}),
        so.ok("reaction:add", {"message_id": q["id"], "emoji": "🎉"}),
        sa.ok("reaction:add", {"message_id": base[0]["id"], "emoji": "👋"}),
    )
    await so.ok("reaction:remove", {"message_id": q["id"], "emoji": "🎉"})
    await so.ok("message:unpin", {"message_id": base[2]["id"]})
    await sa.ok("message:delete", {"message_id": base[1]["id"]})  # quoted by replies[1]
    await so.ok("message:delete", {"message_id": base[2]["id"]})
    await say(so, conv, "@everyone see the pin")

    sb = await make_sock(bob)  # back
    rev = await catch_up(sb, conv, replica, rev)
    server = await everything(sb, conv)
    assert [m["seq"] for m in server] == list(range(1, len(server) + 1))
    assert sorted(replica) == sorted(m["id"] for m in server)
    for m in server:
        assert replica[m["id"]] == m, m["id"]  # every field, "me" included

    # spot checks that the compared state is the interesting one
    by_id = {m["id"]: m for m in server}
    assert by_id[replies[1]["id"]]["reply"]["deleted"] is True
    assert by_id[replies[0]["id"]]["reply"]["text"] == "where do we meet on sunday?"
    assert {r["emoji"]: r["count"] for r in by_id[q["id"]]["reactions"]} == {"👍": 2}
    assert {r["emoji"]: r["me"] for r in by_id[base[0]["id"]]["reactions"]} == {"👋": True}
    assert by_id[q["id"]]["pinned"] is True and by_id[base[2]["id"]]["pinned"] is False
    assert by_id[replies[1]["id"]]["mentions"] == [bob.id]

    # and live changes after the catch-up arrive as later revs that sync also returns
    await sa.ok("reaction:add", {"message_id": q["id"], "emoji": "🔥"})
    await sa.ok("message:edit", {"message_id": q["id"], "text": "sunday 10am"})
    await catch_up(sb, conv, replica, rev)
    server = await everything(sb, conv)
    assert {m["id"]: m for m in server} == replica
