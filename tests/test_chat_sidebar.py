"""Sidebar support (issue 11 item 8, server half): latest message preview and activity time."""

from __future__ import annotations

from tests.support.chat import circle_with, conversation, say


async def test_conversations_carry_a_preview_and_last_activity(make_user, make_sock):
    alice, bob = await make_user("alice"), await make_user("bob")
    quiet = await circle_with(alice, bob)
    busy = await circle_with(alice, bob)
    sa, sb = await make_sock(alice), await make_sock(bob)
    empty = await conversation(sb, quiet["conversation_id"])
    assert empty["last_message"] is None and empty["last_activity_at"].endswith("Z")

    await say(sa, busy["conversation_id"], "first")
    last = await say(sa, busy["conversation_id"], "  line one  \nline two " + "y" * 300)
    item = await conversation(sb, busy["conversation_id"])
    preview = item["last_message"]
    assert preview["id"] == last["id"] and preview["seq"] == last["seq"]
    assert preview["sender_name"] == "Alice" and preview["sender_id"] == alice.id
    assert preview["text"] == "line one" and preview["kind"] == "text"
    assert preview["deleted"] is False and preview["attachments"] == 0
    assert item["last_activity_at"] == last["created_at"] == preview["created_at"]
    assert item["last_activity_at"] > empty["last_activity_at"]
    ordered = sorted(
        (await sb.ok("conversations", {}))["conversations"],
        key=lambda c: c["last_activity_at"],
        reverse=True,
    )
    assert ordered[0]["id"] == busy["conversation_id"]

    await sa.ok("message:delete", {"message_id": last["id"]})
    gone = (await conversation(sb, busy["conversation_id"]))["last_message"]
    assert gone["deleted"] is True and gone["text"] == ""


async def test_a_new_dm_is_described_with_its_preview(make_user, make_sock):
    alice, bob = await make_user("alice"), await make_user("bob")
    await circle_with(alice, bob)
    sa = await make_sock(alice)
    dm = (await sa.ok("dm:open", {"user_id": bob.id}))["conversation"]
    assert dm["last_message"] is None and dm["mentions"] == 0
    sent = await say(sa, dm["id"], "hi bob")
    item = await conversation(sa, dm["id"])
    assert item["last_message"]["text"] == "hi bob"
    assert item["last_activity_at"] == sent["created_at"]
