"""Pins (issue 11 item 6): owners and admins pin messages; members list them."""

from __future__ import annotations

from tests.support.chat import circle_with, history, refused, say


async def test_owner_pins_and_unpins_as_changes_of_the_message(make_user, make_sock):
    owner, bob = await make_user("owner"), await make_user("bob")
    conv = (await circle_with(owner, bob))["conversation_id"]
    so, sb = await make_sock(owner), await make_sock(bob)
    first = await say(sb, conv, "rules: be nice")
    second = await say(so, conv, "next meetup friday")
    pinned = (await so.ok("message:pin", {"message_id": first["id"]}))["message"]
    assert pinned["pinned"] is True and pinned["rev"] > first["rev"]
    live = await sb.wait_for(
        "message:updated", lambda e: e["message"]["id"] == first["id"] and e["message"]["pinned"]
    )
    assert live["message"]["rev"] == pinned["rev"]
    again = (await so.ok("message:pin", {"message_id": first["id"]}))["message"]
    assert again["rev"] == pinned["rev"]  # idempotent: no new change
    await so.ok("message:pin", {"message_id": second["id"]})
    listed = (await sb.ok("pins", {"conversation_id": conv}))["messages"]
    assert [m["id"] for m in listed] == [second["id"], first["id"]]  # latest pin first
    assert all(m["pinned"] for m in listed)
    synced = await sb.ok("sync", {"conversation_id": conv, "since_rev": second["rev"]})
    assert {m["id"] for m in synced["messages"] if m["pinned"]} == {first["id"], second["id"]}

    unpinned = (await so.ok("message:unpin", {"message_id": first["id"]}))["message"]
    assert unpinned["pinned"] is False and unpinned["rev"] > pinned["rev"]
    listed = (await sb.ok("pins", {"conversation_id": conv}))["messages"]
    assert [m["id"] for m in listed] == [second["id"]]


async def test_non_admin_pin_is_refused_and_changes_nothing(make_user, make_sock):
    owner, bob = await make_user("owner"), await make_user("bob")
    conv = (await circle_with(owner, bob))["conversation_id"]
    so, sb = await make_sock(owner), await make_sock(bob)
    m = await say(sb, conv, "pin me please")
    err = await refused(sb, "message:pin", {"message_id": m["id"]})
    assert err["code"] == "forbidden"
    await so.ok("message:pin", {"message_id": m["id"]})
    err = await refused(sb, "message:unpin", {"message_id": m["id"]})
    assert err["code"] == "forbidden"
    [stored] = await history(sb, conv)
    assert stored["pinned"] is True
    assert [x["id"] for x in (await sb.ok("pins", {"conversation_id": conv}))["messages"]] == [
        m["id"]
    ]


async def test_pins_are_hidden_from_outsiders_and_absent_in_dms(make_user, make_sock):
    owner, bob, mallory = await make_user("owner"), await make_user("bob"), await make_user("mal")
    conv = (await circle_with(owner, bob))["conversation_id"]
    so, sm, sb = await make_sock(owner), await make_sock(mallory), await make_sock(bob)
    m = await say(so, conv, "members only")
    await so.ok("message:pin", {"message_id": m["id"]})
    err = await refused(sm, "pins", {"conversation_id": conv})
    assert err["code"] == "not_found"
    err = await refused(sm, "message:pin", {"message_id": m["id"]})
    assert err["code"] == "not_found"
    dm = (await so.ok("dm:open", {"user_id": bob.id}))["conversation"]
    in_dm = await say(so, dm["id"], "hello in private")
    err = await refused(so, "message:pin", {"message_id": in_dm["id"]})
    assert err["code"] == "forbidden"
    assert (await sb.ok("pins", {"conversation_id": dm["id"]}))["messages"] == []


async def test_deleting_a_pinned_message_drops_the_pin(make_user, make_sock):
    owner, bob = await make_user("owner"), await make_user("bob")
    conv = (await circle_with(owner, bob))["conversation_id"]
    so, sb = await make_sock(owner), await make_sock(bob)
    m = await say(sb, conv, "temporary")
    await so.ok("message:pin", {"message_id": m["id"]})
    deleted = (await sb.ok("message:delete", {"message_id": m["id"]}))["message"]
    assert deleted["pinned"] is False
    assert (await sb.ok("pins", {"conversation_id": conv}))["messages"] == []
    err = await refused(so, "message:pin", {"message_id": m["id"]})
    assert err["code"] == "conflict" and err["details"]["reason"] == "deleted"
