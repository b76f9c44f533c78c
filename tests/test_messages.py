"""Live conversations over Socket.IO (PROTOCOL §2), through the real server."""

from __future__ import annotations

import asyncio
import uuid

from tests.support.client import Api, Sock


async def circle_with(owner: Api, *members: Api) -> dict:
    circle = await owner.create_circle(f"Circle {uuid.uuid4().hex[:6]}")
    for m in members:
        await m.join(circle["id"])
    return circle


def cid() -> str:
    return uuid.uuid4().hex


async def test_send_reaches_every_member_and_ack_carries_stored_message(make_user, make_sock):
    alice, bob = await make_user("alice"), await make_user("bob")
    circle = await circle_with(alice, bob)
    conv = circle["conversation_id"]
    sa, sb = await make_sock(alice), await make_sock(bob)
    ack = await sa.ok(
        "message:send", {"conversation_id": conv, "client_id": cid(), "text": "  hello bob  "}
    )
    msg = ack["message"]
    assert msg["seq"] == 1 and msg["text"] == "hello bob" and msg["kind"] == "text"
    assert msg["sender_id"] == alice.id and msg["sender_name"] == "Alice"
    assert msg["created_at"].endswith("Z") and msg["deleted"] is False
    got = await sb.wait_for("message:new", lambda e: e["message"]["id"] == msg["id"])
    assert got["message"] == msg
    await sa.wait_for("message:new", lambda e: e["message"]["id"] == msg["id"])


async def test_retried_send_is_idempotent_even_concurrently(make_user, make_sock):
    alice, bob = await make_user("alice"), await make_user("bob")
    circle = await circle_with(alice, bob)
    conv = circle["conversation_id"]
    sa, sb = await make_sock(alice), await make_sock(bob)
    client_id = cid()
    payload = {"conversation_id": conv, "client_id": client_id, "text": "once"}
    acks = await asyncio.gather(*[sa.ok("message:send", payload) for _ in range(10)])
    ids = {a["message"]["id"] for a in acks}
    assert len(ids) == 1 and {a["message"]["seq"] for a in acks} == {1}
    again = await sa.ok("message:send", payload)
    assert again["message"]["id"] in ids
    await sb.wait_for("message:new", lambda e: e["message"]["client_id"] == client_id)
    await asyncio.sleep(0.5)
    assert len([m for m in sb.messages(conv) if m["client_id"] == client_id]) == 1
    history = await sa.ok("history", {"conversation_id": conv})
    assert [m["seq"] for m in history["messages"]] == [1]


async def test_edit_and_delete_rules(make_user, make_sock):
    owner, alice, bob = await make_user("owner"), await make_user("alice"), await make_user("bob")
    circle = await circle_with(owner, alice, bob)
    conv = circle["conversation_id"]
    sa, sb, so = await make_sock(alice), await make_sock(bob), await make_sock(owner)
    m1 = (
        await sa.ok("message:send", {"conversation_id": conv, "client_id": cid(), "text": "typo"})
    )["message"]
    refused = await sb.call("message:edit", {"message_id": m1["id"], "text": "hijack"})
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
    edited = (await sa.ok("message:edit", {"message_id": m1["id"], "text": "fixed"}))["message"]
    assert edited["text"] == "fixed" and edited["edited_at"] and edited["rev"] > m1["rev"]
    upd = await sb.wait_for("message:updated", lambda e: e["message"]["id"] == m1["id"])
    assert upd["message"]["text"] == "fixed"

    refused = await sb.call("message:delete", {"message_id": m1["id"]})
    assert refused["error"]["code"] == "forbidden"
    deleted = (await so.ok("message:delete", {"message_id": m1["id"]}))["message"]
    assert deleted["deleted"] is True and deleted["text"] == "" and deleted["seq"] == m1["seq"]
    gone = await sa.call("message:edit", {"message_id": m1["id"], "text": "again"})
    assert gone["error"]["code"] == "conflict" and gone["error"]["details"]["reason"] == "deleted"
    history = await sb.ok("history", {"conversation_id": conv})
    assert history["messages"][0]["deleted"] is True


async def test_history_pages_backwards_in_ascending_seq(make_user, make_sock):
    alice = await make_user("alice")
    circle = await circle_with(alice)
    conv = circle["conversation_id"]
    sa = await make_sock(alice)
    for i in range(7):
        await sa.ok("message:send", {"conversation_id": conv, "client_id": cid(), "text": f"m{i}"})
    page = await sa.ok("history", {"conversation_id": conv, "limit": 3})
    assert [m["seq"] for m in page["messages"]] == [5, 6, 7] and page["has_more"] is True
    page = await sa.ok("history", {"conversation_id": conv, "limit": 3, "before_seq": 5})
    assert [m["seq"] for m in page["messages"]] == [2, 3, 4] and page["has_more"] is True
    page = await sa.ok("history", {"conversation_id": conv, "limit": 3, "before_seq": 2})
    assert [m["seq"] for m in page["messages"]] == [1] and page["has_more"] is False


async def test_sync_catches_up_new_edited_and_deleted_once_each(server, make_user, make_sock):
    alice, bob = await make_user("alice"), await make_user("bob")
    circle = await circle_with(alice, bob)
    conv = circle["conversation_id"]
    sa = await make_sock(alice)
    first = (
        await sa.ok("message:send", {"conversation_id": conv, "client_id": cid(), "text": "before"})
    )["message"]
    sb = await make_sock(bob)
    seen = await sb.ok("sync", {"conversation_id": conv, "since_rev": 0})
    assert [m["id"] for m in seen["messages"]] == [first["id"]]
    mark = seen["rev"]
    await sb.close()

    second = (
        await sa.ok(
            "message:send", {"conversation_id": conv, "client_id": cid(), "text": "while away"}
        )
    )["message"]
    await sa.ok("message:edit", {"message_id": first["id"], "text": "before (edited)"})
    third = (
        await sa.ok(
            "message:send", {"conversation_id": conv, "client_id": cid(), "text": "gone soon"}
        )
    )["message"]
    await sa.ok("message:delete", {"message_id": third["id"]})

    back = await make_sock(bob)
    caught = await back.ok("sync", {"conversation_id": conv, "since_rev": mark})
    by_id = {m["id"]: m for m in caught["messages"]}
    assert len(by_id) == len(caught["messages"]) == 3
    assert by_id[first["id"]]["text"] == "before (edited)"
    assert by_id[second["id"]]["text"] == "while away"
    assert by_id[third["id"]]["deleted"] is True
    revs = [m["rev"] for m in caught["messages"]]
    assert revs == sorted(revs) and caught["rev"] == revs[-1]
    again = await back.ok("sync", {"conversation_id": conv, "since_rev": caught["rev"]})
    assert again["messages"] == [] and again["rev"] == caught["rev"]


async def test_read_position_unread_counts_and_read_event_to_other_sockets(make_user, make_sock):
    alice, bob = await make_user("alice"), await make_user("bob")
    circle = await circle_with(alice, bob)
    conv = circle["conversation_id"]
    sa = await make_sock(alice)
    for i in range(3):
        await sa.ok("message:send", {"conversation_id": conv, "client_id": cid(), "text": str(i)})
    b1, b2 = await make_sock(bob), await make_sock(bob)
    convs = (await b1.ok("conversations"))["conversations"]
    mine = next(c for c in convs if c["id"] == conv)
    assert mine["unread"] == 3 and mine["seq"] == 3 and mine["kind"] == "circle"
    assert mine["title"] == circle["name"] and mine["circle_id"] == circle["id"]
    assert (await b1.ok("read", {"conversation_id": conv, "seq": 2}))["read_seq"] == 2
    event = await b2.wait_for("read", lambda e: e["conversation_id"] == conv)
    assert event["read_seq"] == 2
    assert (await b1.ok("read", {"conversation_id": conv, "seq": 1}))["read_seq"] == 2
    assert (await b1.ok("read", {"conversation_id": conv, "seq": 999}))["read_seq"] == 3
    convs = (await b2.ok("conversations"))["conversations"]
    assert next(c for c in convs if c["id"] == conv)["unread"] == 0


async def test_typing_goes_to_other_members_only(make_user, make_sock):
    alice, bob = await make_user("alice"), await make_user("bob")
    circle = await circle_with(alice, bob)
    conv = circle["conversation_id"]
    sa, sb = await make_sock(alice), await make_sock(bob)
    await sa.ok("typing", {"conversation_id": conv})
    got = await sb.wait_for("typing")
    assert got == {"conversation_id": conv, "user_id": alice.id}
    await asyncio.sleep(0.2)
    assert "typing" not in sa.events


async def test_presence_online_and_offline(make_user, make_sock, server):
    alice, bob = await make_user("alice"), await make_user("bob")
    await circle_with(alice, bob)
    sa = await make_sock(alice)
    sb = await Sock(server.url, bob.token).connect()
    await sa.wait_for("presence", lambda e: e == {"user_id": bob.id, "online": True})
    await sb.close()
    await sa.wait_for("presence", lambda e: e == {"user_id": bob.id, "online": False}, timeout=30)


async def test_joining_puts_live_sockets_in_the_conversation_and_leaving_removes(
    make_user, make_sock
):
    alice, bob = await make_user("alice"), await make_user("bob")
    circle = await circle_with(alice)
    conv = circle["conversation_id"]
    sa, sb = await make_sock(alice), await make_sock(bob)
    await bob.join(circle["id"])
    new = await sb.wait_for("conversation:new")
    assert new["conversation"]["id"] == conv
    await sa.ok("message:send", {"conversation_id": conv, "client_id": cid(), "text": "welcome"})
    await sb.wait_for("message:new", lambda e: e["message"]["text"] == "welcome")
    assert (await bob.post(f"/api/circles/{circle['id']}/leave")).status_code == 204
    await sa.ok("message:send", {"conversation_id": conv, "client_id": cid(), "text": "bye"})
    await sa.wait_for("message:new", lambda e: e["message"]["text"] == "bye")
    await asyncio.sleep(0.3)
    assert "bye" not in [m["text"] for m in sb.messages(conv)]
    refused = await sb.call(
        "message:send", {"conversation_id": conv, "client_id": cid(), "text": "still here?"}
    )
    assert refused["error"]["code"] == "not_found"
    assert (await sb.call("history", {"conversation_id": conv}))["error"]["code"] == "not_found"


async def test_dm_open_needs_a_shared_circle_and_is_private(make_user, make_sock):
    alice, bob, eve = await make_user("alice"), await make_user("bob"), await make_user("eve")
    sa, sb, se = await make_sock(alice), await make_sock(bob), await make_sock(eve)
    refused = await sa.call("dm:open", {"user_id": bob.id})
    assert refused["error"]["code"] == "forbidden"
    await circle_with(alice, bob)
    dm = (await sa.ok("dm:open", {"user_id": bob.id}))["conversation"]
    assert dm["kind"] == "dm" and dm["peer"]["id"] == bob.id and dm["title"] == "Bob"
    assert dm["peer"]["online"] is True
    pushed = await sb.wait_for("conversation:new", lambda e: e["conversation"]["kind"] == "dm")
    assert (
        pushed["conversation"]["id"] == dm["id"]
        and pushed["conversation"]["peer"]["id"] == alice.id
    )
    again = (await sb.ok("dm:open", {"user_id": alice.id}))["conversation"]
    assert again["id"] == dm["id"]
    sent = (
        await sa.ok(
            "message:send", {"conversation_id": dm["id"], "client_id": cid(), "text": "psst"}
        )
    )["message"]
    await sb.wait_for("message:new", lambda e: e["message"]["id"] == sent["id"])
    for event, payload in [
        ("history", {"conversation_id": dm["id"]}),
        ("sync", {"conversation_id": dm["id"], "since_rev": 0}),
        ("message:send", {"conversation_id": dm["id"], "client_id": cid(), "text": "let me in"}),
        ("message:edit", {"message_id": sent["id"], "text": "x"}),
        ("message:delete", {"message_id": sent["id"]}),
    ]:
        res = await se.call(event, payload)
        assert res["error"]["code"] == "not_found", (event, res)
    assert "psst" not in [
        m["text"]
        for ms in se.events.values()
        for m in ms
        if isinstance(m, dict) and isinstance(m.get("message"), dict)
        for m in [m["message"]]
    ]
    self_dm = await sa.call("dm:open", {"user_id": alice.id})
    assert self_dm["error"]["code"] == "invalid"


async def test_every_event_is_answered_even_unknown_and_malformed(make_user, make_sock):
    alice = await make_user("alice")
    sa = await make_sock(alice)
    unknown = await sa.call("no:such:event", {})
    assert unknown["error"] == {
        "code": "invalid",
        "message": "unknown event",
        "details": {"reason": "unknown_event"},
    }
    for payload in [
        None,
        [],
        "text",
        5,
        {"conversation_id": {"$gt": ""}, "client_id": "x", "text": "y"},
        {"bogus": 1},
    ]:
        res = await sa.call("message:send", payload)
        assert res["ok"] is False and res["error"]["code"] == "invalid", payload
    res = await sa.call("history", {"conversation_id": "c", "limit": "5"})
    assert res["error"]["code"] == "invalid" and "limit" in res["error"]["details"]["fields"]
    assert (await sa.call("connect", {}))["error"]["details"]["reason"] == "unknown_event"
    assert (await sa.call("disconnect", {}))["error"]["details"]["reason"] == "unknown_event"
    # still connected and working
    assert "conversations" in await sa.ok("conversations")
