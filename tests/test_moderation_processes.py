"""Bans and kicks take effect on every process at once (issue 14 item 2): two server processes
share one database and one Redis; the moderator acts on one, the member chats on the other."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from tests.support.chat import refused, say

CIRCLE = "/api/circles"


@pytest.mark.parametrize("action", ["ban", "kick"])
async def test_removed_users_sockets_leave_the_channel_on_every_process(
    server_pair, make_user, make_sock, action
):
    a, b = server_pair
    owner = await make_user("owner", base_url=a.url)
    member = await make_user("member", base_url=a.url)
    circle = await owner.create_circle(f"Two {uuid.uuid4().hex[:6]}")
    cid, conv = circle["id"], circle["conversation_id"]
    await member.join(cid)
    on_b = await make_sock(member, base_url=b.url)  # the member's sockets on both processes
    on_a = await make_sock(member, base_url=a.url)
    owner_on_a = await make_sock(owner, base_url=a.url)
    before = await say(owner_on_a, conv, "hello both")
    for sock in (on_a, on_b):
        await sock.wait_for("message:new", lambda e: e["message"]["id"] == before["id"])
    await say(on_b, conv, "I am here")  # B knows the member as a participant

    started = time.monotonic()
    resp = await owner.post(
        f"/api/circles/{cid}/{action}", {"user_id": member.id, "reason": "test"}
    )
    assert resp.status_code in (200, 204), resp.text
    for sock in (on_a, on_b):
        await sock.wait_for("circle:removed", timeout=1.0)
    assert time.monotonic() - started < 1.0
    after = await say(owner_on_a, conv, "after the removal")
    # on B at once: the member can neither send nor read, and the circle left their list
    err = await refused(
        on_b, "message:send", {"conversation_id": conv, "client_id": "x", "text": "?"}
    )
    assert err["code"] == "not_found"
    err = await refused(on_b, "history", {"conversation_id": conv})
    assert err["code"] == "not_found"
    listed = (await on_b.ok("conversations", {}))["conversations"]
    assert conv not in {c["id"] for c in listed}
    await asyncio.sleep(0.5)
    for sock in (on_a, on_b):
        assert after["id"] not in {m["id"] for m in sock.messages(conv)}
    resp = await member.post(f"/api/circles/{cid}/join", {})
    assert resp.status_code == (403 if action == "ban" else 200), resp.text


async def test_mute_and_slow_mode_set_on_one_process_hold_on_the_other_at_once(
    server_pair, make_user, make_sock
):
    """The send gate keeps each circle's mutes and slow mode per process; a change made on one
    process reaches the other's copy at once (a ``forget`` control op), not after its expiry."""
    a, b = server_pair
    owner = await make_user("owner", base_url=a.url)
    member = await make_user("member", base_url=a.url)
    circle = await owner.create_circle(f"Kept {uuid.uuid4().hex[:6]}")
    cid, conv = circle["id"], circle["conversation_id"]
    await member.join(cid)
    on_b = await make_sock(member, base_url=b.url)
    await say(on_b, conv, "B now keeps this circle's moderation state")

    resp = await owner.post(f"{CIRCLE}/{cid}/mute", {"user_id": member.id, "seconds": 600})
    assert resp.status_code == 200, resp.text
    await asyncio.sleep(0.3)  # the control op crosses Redis
    body = {"conversation_id": conv, "client_id": uuid.uuid4().hex, "text": "still here?"}
    err = await refused(on_b, "message:send", body)
    assert err["code"] == "forbidden" and err["details"]["reason"] == "muted", err

    resp = await owner.post(f"{CIRCLE}/{cid}/unmute", {"user_id": member.id})
    assert resp.status_code in (200, 204), resp.text
    await asyncio.sleep(0.3)
    await say(on_b, conv, "unmuted")
    await owner.ok("PUT", f"{CIRCLE}/{cid}/slow-mode", {"seconds": 300})
    await asyncio.sleep(0.3)
    body = {"conversation_id": conv, "client_id": uuid.uuid4().hex, "text": "and again"}
    await say(on_b, conv, "first under slow mode")
    err = await refused(on_b, "message:send", body)
    assert err["code"] == "rate_limited" and err["details"]["reason"] == "slow_mode", err
