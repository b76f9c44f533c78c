"""Replies (issue 11 item 1): a message quoting an earlier one of its conversation."""

from __future__ import annotations

import asyncio

from tests.support.chat import circle_with, history, refused, say


async def test_reply_carries_a_quote_of_the_first_line(make_user, make_sock):
    alice, bob = await make_user("alice"), await make_user("bob")
    conv = (await circle_with(alice, bob))["conversation_id"]
    sa, sb = await make_sock(alice), await make_sock(bob)
    long_line = "x" * 300
    original = await say(sa, conv, f"\n  {long_line}  \nsecond line")
    reply = await say(sb, conv, "agreed", reply_to=original["id"])
    quote = reply["reply"]
    assert quote["id"] == original["id"] and quote["seq"] == original["seq"]
    assert quote["sender_id"] == alice.id and quote["sender_name"] == "Alice"
    assert quote["deleted"] is False
    assert len(quote["text"]) == 140 and quote["text"].startswith("xxx")
    assert quote["text"].endswith("…")
    live = await sa.wait_for("message:new", lambda e: e["message"]["id"] == reply["id"])
    assert live["message"]["reply"] == quote
    assert original["reply"] is None
    stored = {m["id"]: m for m in await history(sa, conv)}
    assert stored[reply["id"]]["reply"] == quote


async def test_reply_to_another_conversation_or_a_missing_message_is_refused(make_user, make_sock):
    alice, bob = await make_user("alice"), await make_user("bob")
    conv = (await circle_with(alice, bob))["conversation_id"]
    other = (await circle_with(alice))["conversation_id"]
    sa = await make_sock(alice)
    elsewhere = await say(sa, other, "in another circle")
    for target in (elsewhere["id"], "nosuchmessage"):
        err = await refused(
            sa,
            "message:send",
            {"conversation_id": conv, "client_id": target + "x", "text": "re", "reply_to": target},
        )
        assert err["code"] == "invalid" and "reply_to" in err["details"]["fields"]
    assert await history(sa, conv) == []  # nothing stored
    gone = await say(sa, conv, "soon gone")
    await sa.ok("message:delete", {"message_id": gone["id"]})
    err = await refused(
        sa,
        "message:send",
        {"conversation_id": conv, "client_id": "c1", "text": "re", "reply_to": gone["id"]},
    )
    assert err["code"] == "conflict" and err["details"]["reason"] == "deleted"
    assert [m["id"] for m in await history(sa, conv)] == [gone["id"]]


async def test_quote_follows_edit_and_delete_of_the_original_with_new_revs(make_user, make_sock):
    alice, bob = await make_user("alice"), await make_user("bob")
    conv = (await circle_with(alice, bob))["conversation_id"]
    sa, sb = await make_sock(alice), await make_sock(bob)
    original = await say(sa, conv, "meet at 5")
    replies = [await say(sb, conv, f"ok {i}", reply_to=original["id"]) for i in range(3)]
    mark = (await sb.ok("sync", {"conversation_id": conv, "since_rev": 0}))["rev"]

    await sa.ok("message:edit", {"message_id": original["id"], "text": "meet at 6\nbring food"})
    for r in replies:
        upd = await sb.wait_for(
            "message:updated",
            lambda e, r=r: (
                e["message"]["id"] == r["id"] and e["message"]["reply"]["text"] == "meet at 6"
            ),
        )
        assert upd["message"]["rev"] > r["rev"]
    synced = await sb.ok("sync", {"conversation_id": conv, "since_rev": mark})
    quotes = {m["id"]: m["reply"] for m in synced["messages"] if m["reply"]}
    assert {r["id"] for r in replies} <= set(quotes)
    assert all(q["text"] == "meet at 6" for q in quotes.values())

    await sa.ok("message:delete", {"message_id": original["id"]})
    stored = {m["id"]: m for m in await history(sb, conv)}
    for r in replies:
        assert stored[r["id"]]["reply"]["deleted"] is True
        assert stored[r["id"]]["reply"]["text"] == ""
        assert stored[r["id"]]["text"] == r["text"]


async def test_reply_to_a_foreign_message_id_reveals_nothing_to_an_outsider(make_user, make_sock):
    alice, mallory = await make_user("alice"), await make_user("mallory")
    conv = (await circle_with(alice))["conversation_id"]
    mine = (await circle_with(mallory))["conversation_id"]
    sa, sm = await make_sock(alice), await make_sock(mallory)
    secret = await say(sa, conv, "private words")
    err = await refused(
        sm,
        "message:send",
        {"conversation_id": mine, "client_id": "p1", "text": "hi", "reply_to": secret["id"]},
    )
    assert err["code"] == "invalid" and "private" not in str(err)
    assert await history(sm, mine) == []


async def test_a_reply_retried_concurrently_answers_every_retry_with_the_quote(
    make_user, make_sock
):
    alice, bob = await make_user("alice"), await make_user("bob")
    conv = (await circle_with(alice, bob))["conversation_id"]
    sa, sb = await make_sock(alice), await make_sock(bob)
    original = await say(sa, conv, "lunch?")
    body = {
        "conversation_id": conv,
        "client_id": "retry-1",
        "text": f"@{alice.user['handle']} yes",
        "reply_to": original["id"],
    }
    acks = await asyncio.gather(*(sb.ok("message:send", body) for _ in range(8)))
    assert len({a["message"]["id"] for a in acks}) == 1
    for a in acks:
        assert a["message"]["reply"]["id"] == original["id"]
        assert a["message"]["mentions"] == [alice.id]
    stored = {m["id"]: m for m in await history(sa, conv)}
    assert stored[acks[0]["message"]["id"]]["reply"] == acks[0]["message"]["reply"]


async def test_replies_sent_while_the_original_is_edited_end_with_its_final_text(
    make_user, make_sock
):
    alice, bob = await make_user("alice"), await make_user("bob")
    conv = (await circle_with(alice, bob))["conversation_id"]
    sa, sb = await make_sock(alice), await make_sock(bob)
    original = await say(sa, conv, "draft 0")
    edits = [
        sa.ok("message:edit", {"message_id": original["id"], "text": f"draft {i}"})
        for i in range(1, 6)
    ]
    sends = [say(sb, conv, f"re {i}", reply_to=original["id"]) for i in range(10)]
    await asyncio.gather(*edits, *sends)
    final = await sa.ok("message:edit", {"message_id": original["id"], "text": "final"})
    stored = await history(sb, conv)
    replies = [m for m in stored if m["reply"]]
    assert len(replies) == 10
    assert all(m["reply"]["text"] == "final" for m in replies), [m["reply"] for m in replies]
    assert final["message"]["text"] == "final"
