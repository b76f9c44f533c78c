"""Mentions (issue 11 item 3): @handle names a member; a mention notifies and badges."""

from __future__ import annotations

import asyncio

from tests.support.chat import circle_with, conversation, history, say


def at(api) -> str:
    return "@" + api.user["handle"]


async def mention_notes(api) -> list[dict]:
    body = (await api.ok("GET", "/api/notifications"))["notifications"]
    return [n for n in body if n["kind"] == "mention"]


async def test_mention_of_a_member_notifies_and_badges_until_read(make_user, make_sock):
    alice, bob, carol = await make_user("alice"), await make_user("bob"), await make_user("carol")
    conv = (await circle_with(alice, bob, carol))["conversation_id"]
    sa, sb, sc = await make_sock(alice), await make_sock(bob), await make_sock(carol)
    m = await say(sa, conv, f"{at(bob)} can you bring the ball? cc {at(alice)}")
    assert m["mentions"] == [bob.id]  # the sender mentioning themself names nobody
    assert m["mention_everyone"] is False
    note = await sb.wait_for("notification", lambda e: e["notification"]["kind"] == "mention")
    n = note["notification"]
    assert n["data"]["message_id"] == m["id"] and n["data"]["conversation_id"] == conv
    assert "Alice" in n["title"] and "bring the ball" in n["body"]
    assert (await conversation(sb, conv))["mentions"] == 1
    assert (await conversation(sc, conv))["mentions"] == 0
    assert await mention_notes(carol) == []

    second = await say(sc, conv, f"me too {at(bob)}")
    assert (await conversation(sb, conv))["mentions"] == 2
    await sb.ok("read", {"conversation_id": conv, "seq": m["seq"]})
    assert (await conversation(sb, conv))["mentions"] == 1
    await sb.ok("read", {"conversation_id": conv, "seq": second["seq"]})
    assert (await conversation(sb, conv))["mentions"] == 0
    stored = {x["id"]: x for x in await history(sc, conv)}
    assert stored[m["id"]]["mentions"] == [bob.id]


async def test_mentioning_a_non_member_or_unknown_handle_does_nothing(make_user, make_sock):
    alice, bob, outsider = await make_user("alice"), await make_user("bob"), await make_user("out")
    conv = (await circle_with(alice, bob))["conversation_id"]
    sa, so = await make_sock(alice), await make_sock(outsider)
    m = await say(sa, conv, f"hey {at(outsider)} and @nobody_here_at_all and mail x{at(bob)}")
    assert m["mentions"] == []
    await asyncio.sleep(0.3)
    assert [e for e in so.events.get("notification", [])] == []
    assert await mention_notes(outsider) == [] and await mention_notes(bob) == []


async def test_everyone_only_from_owners_and_admins(make_user, make_sock):
    owner, bob, carol = await make_user("owner"), await make_user("bob"), await make_user("carol")
    conv = (await circle_with(owner, bob, carol))["conversation_id"]
    so, sb, sc = await make_sock(owner), await make_sock(bob), await make_sock(carol)
    from_member = await say(sb, conv, "@everyone free pizza")
    assert from_member["mention_everyone"] is False and from_member["mentions"] == []
    assert (await conversation(sc, conv))["mentions"] == 0
    from_owner = await say(so, conv, "@everyone meeting moved")
    assert from_owner["mention_everyone"] is True
    for sock in (sb, sc):
        await sock.wait_for(
            "notification",
            lambda e: e["notification"]["data"].get("message_id") == from_owner["id"],
        )
        assert (await conversation(sock, conv))["mentions"] == 1
    assert (await conversation(so, conv))["mentions"] == 0


async def test_deleting_a_mention_clears_its_badge(make_user, make_sock):
    alice, bob = await make_user("alice"), await make_user("bob")
    conv = (await circle_with(alice, bob))["conversation_id"]
    sa, sb = await make_sock(alice), await make_sock(bob)
    m = await say(sa, conv, f"{at(bob)} oops wrong person")
    assert (await conversation(sb, conv))["mentions"] == 1
    deleted = (await sa.ok("message:delete", {"message_id": m["id"]}))["message"]
    assert deleted["mentions"] == []
    assert (await conversation(sb, conv))["mentions"] == 0


async def test_editing_in_a_mention_notifies_once(make_user, make_sock):
    alice, bob = await make_user("alice"), await make_user("bob")
    conv = (await circle_with(alice, bob))["conversation_id"]
    sa, sb = await make_sock(alice), await make_sock(bob)
    m = await say(sa, conv, "who brings the ball?")
    edited = (
        await sa.ok("message:edit", {"message_id": m["id"], "text": f"{at(bob)} brings the ball"})
    )["message"]
    assert edited["mentions"] == [bob.id]
    await sa.ok("message:edit", {"message_id": m["id"], "text": f"{at(bob)} brings the ball!"})
    assert (await conversation(sb, conv))["mentions"] == 1
    assert len(await mention_notes(bob)) == 1
