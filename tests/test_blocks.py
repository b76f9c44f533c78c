"""Blocking (issue 14 item 4): a blocked user cannot open or send into a DM with the blocker
(refused, nothing created, the blocker's DM list unaffected); in circles both stay members and
the server hides nothing, the blocker's client collapses from the listed ids."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.support.chat import circle_with, history, refused, say
from tests.support.client import Api, Sock


async def block(api: Api, user_id: str) -> Any:
    return await api.post("/api/me/blocks", {"user_id": user_id})


async def blocked_ids(api: Api) -> list[str]:
    return list((await api.ok("GET", "/api/me/blocks"))["user_ids"])


async def dm_ids(sock: Sock) -> list[str]:
    convs = (await sock.ok("conversations", {}))["conversations"]
    return [c["id"] for c in convs if c["kind"] == "dm"]


async def test_blocking_is_idempotent_listed_and_never_of_yourself(make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    resp = await block(alice, alice.id)
    assert resp.status_code == 422, resp.text
    err = resp.json()["error"]
    assert err["code"] == "invalid" and "user_id" in err["details"]["fields"]
    resp = await block(alice, "nosuchuser")
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"
    for bad in ({"user_id": {"$gt": ""}}, {}, {"user_id": bob.id, "extra": 1}):
        resp = await alice.post("/api/me/blocks", bad)
        assert resp.status_code == 422, bad
    assert await blocked_ids(alice) == []
    first = (await alice.ok("POST", "/api/me/blocks", {"user_id": bob.id}))["block"]
    again = (await alice.ok("POST", "/api/me/blocks", {"user_id": bob.id}))["block"]
    assert first == again and first["user"]["id"] == bob.id
    listed = await alice.ok("GET", "/api/me/blocks")
    assert listed["user_ids"] == [bob.id] and listed["blocks"] == [first]
    assert await blocked_ids(bob) == []  # a block is the blocker's alone
    for _ in range(2):
        resp = await alice.request("DELETE", f"/api/me/blocks/{bob.id}")
        assert resp.status_code == 204
    assert await blocked_ids(alice) == []
    nobody = Api(alice.base_url, "")
    try:
        resp = await nobody.get("/api/me/blocks")
        assert resp.status_code == 401
    finally:
        await nobody.aclose()


async def test_a_blocked_user_cannot_open_a_dm_and_the_blocker_is_not_told(make_user, make_sock):
    alice, bob = await make_user("alice"), await make_user("bob")
    await circle_with(alice, bob)
    sa, sb = await make_sock(alice), await make_sock(bob)
    await alice.ok("POST", "/api/me/blocks", {"user_id": bob.id})
    err = await refused(sb, "dm:open", {"user_id": alice.id})
    assert err["code"] == "forbidden" and err["details"]["reason"] == "blocked"
    err = await refused(sa, "dm:open", {"user_id": bob.id})
    assert err["code"] == "forbidden" and err["details"]["reason"] == "you_blocked"
    await asyncio.sleep(0.3)
    told = [e for e in sa.events.get("conversation:new", []) if e["conversation"]["kind"] == "dm"]
    assert told == []
    assert await dm_ids(sa) == [] and await dm_ids(sb) == []
    await alice.request("DELETE", f"/api/me/blocks/{bob.id}")
    opened = (await sb.ok("dm:open", {"user_id": alice.id}))["conversation"]
    assert await dm_ids(sa) == [opened["id"]]


async def test_a_block_stops_sends_in_an_existing_dm_but_not_in_circles(make_user, make_sock):
    alice, bob = await make_user("alice"), await make_user("bob")
    circle = await circle_with(alice, bob)
    sa, sb = await make_sock(alice), await make_sock(bob)
    dm = (await sb.ok("dm:open", {"user_id": alice.id}))["conversation"]["id"]
    before = await say(sb, dm, "hi alice")
    await alice.ok("POST", "/api/me/blocks", {"user_id": bob.id})
    body = {"conversation_id": dm, "client_id": uuid.uuid4().hex, "text": "hello?"}
    err = await refused(sb, "message:send", body)
    assert err["code"] == "forbidden" and err["details"]["reason"] == "blocked"
    err = await refused(sa, "message:send", {**body, "client_id": uuid.uuid4().hex})
    assert err["details"]["reason"] == "you_blocked"
    assert [m["id"] for m in await history(sa, dm)] == [before["id"]]
    assert await dm_ids(sa) == [dm]  # the blocker's DM list is unaffected
    # in the circle both stay members and alice still receives bob's messages
    said = await say(sb, circle["conversation_id"], "circle hello")
    await sa.wait_for("message:new", lambda e: e["message"]["id"] == said["id"])
    members = (await alice.ok("GET", f"/api/circles/{circle['id']}/members"))["members"]
    assert {m["user"]["id"] for m in members} == {alice.id, bob.id}
    await alice.request("DELETE", f"/api/me/blocks/{bob.id}")
    await say(sb, dm, "friends again")


async def test_a_profile_offers_no_message_button_across_a_block(make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    await circle_with(alice, bob)

    async def can_message(viewer: Api, user: Api) -> bool:
        found = await viewer.ok("GET", f"/api/users/{user.id}/profile")
        return bool(found["profile"]["can_message"])

    assert (await can_message(alice, bob), await can_message(bob, alice)) == (True, True)
    await alice.ok("POST", "/api/me/blocks", {"user_id": bob.id})
    assert (await can_message(alice, bob), await can_message(bob, alice)) == (False, False)
    await alice.request("DELETE", f"/api/me/blocks/{bob.id}")
    assert (await can_message(alice, bob), await can_message(bob, alice)) == (True, True)
