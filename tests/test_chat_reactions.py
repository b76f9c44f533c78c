"""Reactions (issue 11 item 2): emoji on a message, counted per emoji, one per user and emoji."""

from __future__ import annotations

import asyncio

from tests.support.chat import circle_with, history, refused, say
from tests.support.client import connect, register
from tests.support.security_infra import start_dedicated


def reaction(message: dict, emoji: str) -> dict | None:
    return next((r for r in message["reactions"] if r["emoji"] == emoji), None)


async def test_reaction_is_a_change_with_counts_and_me(make_user, make_sock):
    alice, bob = await make_user("alice"), await make_user("bob")
    conv = (await circle_with(alice, bob))["conversation_id"]
    sa, sb = await make_sock(alice), await make_sock(bob)
    m = await say(sa, conv, "party tonight")
    after_a = (await sb.ok("reaction:add", {"message_id": m["id"], "emoji": "🎉"}))["message"]
    assert after_a["rev"] > m["rev"]
    assert reaction(after_a, "🎉") == {"emoji": "🎉", "count": 1, "user_ids": [bob.id], "me": True}
    live = await sa.wait_for("message:updated", lambda e: e["message"]["id"] == m["id"])
    # one payload for every member: "me" is the reader's to work out from user_ids
    assert reaction(live["message"], "🎉")["me"] is None
    assert reaction(live["message"], "🎉")["user_ids"] == [bob.id]

    both = (await sa.ok("reaction:add", {"message_id": m["id"], "emoji": "🎉"}))["message"]
    assert reaction(both, "🎉")["count"] == 2 and reaction(both, "🎉")["me"] is True
    thumbs = (await sa.ok("reaction:add", {"message_id": m["id"], "emoji": "👍🏽"}))["message"]
    assert [r["emoji"] for r in thumbs["reactions"]] == ["🎉", "👍🏽"]

    seen_by_bob = {x["id"]: x for x in await history(sb, conv)}[m["id"]]
    assert reaction(seen_by_bob, "🎉")["me"] is True
    assert reaction(seen_by_bob, "👍🏽") == {
        "emoji": "👍🏽",
        "count": 1,
        "user_ids": [alice.id],
        "me": False,
    }
    synced = await sb.ok("sync", {"conversation_id": conv, "since_rev": m["rev"]})
    assert synced["messages"][-1]["reactions"] == seen_by_bob["reactions"]

    removed = (await sb.ok("reaction:remove", {"message_id": m["id"], "emoji": "🎉"}))["message"]
    assert reaction(removed, "🎉")["count"] == 1 and reaction(removed, "🎉")["me"] is False
    last = (await sa.ok("reaction:remove", {"message_id": m["id"], "emoji": "🎉"}))["message"]
    assert reaction(last, "🎉") is None and last["rev"] > removed["rev"]


async def test_reacting_twice_is_idempotent(make_user, make_sock):
    alice = await make_user("alice")
    conv = (await circle_with(alice))["conversation_id"]
    sa = await make_sock(alice)
    m = await say(sa, conv, "hello")
    first = (await sa.ok("reaction:add", {"message_id": m["id"], "emoji": "❤️"}))["message"]
    again = await asyncio.gather(
        *(sa.ok("reaction:add", {"message_id": m["id"], "emoji": "❤️"}) for _ in range(5))
    )
    assert all(reaction(a["message"], "❤️")["count"] == 1 for a in again)
    assert all(a["message"]["rev"] == first["rev"] for a in again)  # no new change
    gone = (await sa.ok("reaction:remove", {"message_id": m["id"], "emoji": "❤️"}))["message"]
    still = (await sa.ok("reaction:remove", {"message_id": m["id"], "emoji": "❤️"}))["message"]
    assert gone["reactions"] == [] and still["rev"] == gone["rev"]


async def test_twenty_members_reacting_at_once_all_count(make_user, make_sock):
    owner = await make_user("owner")
    members = await asyncio.gather(*(make_user(f"fan{i}") for i in range(20)))
    conv = (await circle_with(owner, *members))["conversation_id"]
    so = await make_sock(owner)
    socks = await asyncio.gather(*(make_sock(u) for u in members))
    m = await say(so, conv, "vote with 👍")
    await asyncio.gather(
        *(s.ok("reaction:add", {"message_id": m["id"], "emoji": "👍"}) for s in socks)
    )
    stored = {x["id"]: x for x in await history(so, conv)}[m["id"]]
    assert reaction(stored, "👍")["count"] == 20
    assert sorted(reaction(stored, "👍")["user_ids"]) == sorted(u.id for u in members)
    # the last change reaches everyone at once (no claimed rev left unexplained holds live
    # delivery back: that would wait 10 s for the claim to count as abandoned), and sync agrees
    await so.wait_for(
        "message:updated",
        lambda e: e["message"]["id"] == m["id"] and e["message"]["rev"] == stored["rev"],
        timeout=5,
    )
    synced = await so.ok("sync", {"conversation_id": conv, "since_rev": m["rev"]})
    assert synced["has_more"] is False and synced["messages"][-1] == stored
    # and half of them take it back at once
    await asyncio.gather(
        *(s.ok("reaction:remove", {"message_id": m["id"], "emoji": "👍"}) for s in socks[:10])
    )
    stored = {x["id"]: x for x in await history(so, conv)}[m["id"]]
    assert reaction(stored, "👍")["count"] == 10


async def test_reaction_refusals_change_nothing(make_user, make_sock):
    alice, bob, mallory = await make_user("alice"), await make_user("bob"), await make_user("mal")
    conv = (await circle_with(alice, bob))["conversation_id"]
    sa, sb, sm = await make_sock(alice), await make_sock(bob), await make_sock(mallory)
    m = await say(sa, conv, "hello")
    for bad in ("a", "👍 nice", "", "👍" * 4, "x" * 40, ":)"):
        err = await refused(sb, "reaction:add", {"message_id": m["id"], "emoji": bad})
        assert err["code"] == "invalid" and "emoji" in err["details"]["fields"], bad
    err = await refused(sm, "reaction:add", {"message_id": m["id"], "emoji": "👍"})
    assert err["code"] == "not_found"  # an outsider learns nothing
    await sa.ok("reaction:add", {"message_id": m["id"], "emoji": "👍"})
    deleted = (await sa.ok("message:delete", {"message_id": m["id"]}))["message"]
    assert deleted["reactions"] == []
    err = await refused(sb, "reaction:add", {"message_id": m["id"], "emoji": "🎉"})
    assert err["code"] == "conflict" and err["details"]["reason"] == "deleted"
    err = await refused(sa, "reaction:remove", {"message_id": m["id"], "emoji": "👍"})
    assert err["code"] == "conflict"
    after = {x["id"]: x for x in await history(sa, conv)}[m["id"]]
    assert after["rev"] == deleted["rev"] and after["reactions"] == []


async def test_distinct_emoji_per_message_are_capped(make_user, make_sock):
    alice = await make_user("alice")
    conv = (await circle_with(alice))["conversation_id"]
    sa = await make_sock(alice)
    m = await say(sa, conv, "so many feelings")
    faces = [chr(0x1F600 + i) for i in range(21)]
    for face in faces[:20]:
        await sa.ok("reaction:add", {"message_id": m["id"], "emoji": face})
    err = await refused(sa, "reaction:add", {"message_id": m["id"], "emoji": faces[20]})
    assert err["code"] == "conflict" and err["details"]["reason"] == "too_many_reactions"
    stored = {x["id"]: x for x in await history(sa, conv)}[m["id"]]
    assert [r["emoji"] for r in stored["reactions"]] == faces[:20]


async def test_reactions_are_rate_limited_and_a_refused_one_changes_nothing(stack):
    # production budgets at a twentieth: "react" holds ceil(30 * 0.05) = 2 requests
    dedicated = start_dedicated(stack, RATE_LIMIT_SCALE="0.05")
    try:
        alice = await register(dedicated.url, "alice")
        conv = (await circle_with(alice))["conversation_id"]
        sa = await connect(dedicated.url, alice)
        m = await say(sa, conv, "spam target")
        faces = [chr(0x1F600 + i) for i in range(6)]
        results = [
            await sa.call("reaction:add", {"message_id": m["id"], "emoji": f}) for f in faces
        ]
        allowed = [r for r in results if r["ok"]]
        limited = [r for r in results if not r["ok"]]
        assert 2 <= len(allowed) <= 3 and limited
        assert limited[0]["error"]["code"] == "rate_limited"
        assert limited[0]["error"]["details"]["retry_after"] >= 1
        stored = (await sa.ok("history", {"conversation_id": conv}))["messages"][0]
        assert [r["emoji"] for r in stored["reactions"]] == faces[: len(allowed)]
        await sa.close()
        await alice.aclose()
    finally:
        dedicated.proc.stop()
