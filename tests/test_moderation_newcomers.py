"""Newcomer link holds (issue 14 item 4): a circle holds links from members who joined within
its window for review (tests/test_moderation_holds.py: the review), tells its staff, and lets
the member post them once the window has passed; other messages, staff and circles without the
setting are untouched."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from server.moderation.newcomers import has_link
from tests.support.chat import history, refused, say
from tests.support.client import Api


async def set_hours(api: Api, cid: str, hours: int) -> httpx.Response:
    return await api.request("PUT", f"/api/circles/{cid}/newcomers", json={"link_hours": hours})


@pytest.mark.parametrize(
    ("text", "linked"),
    [
        ("see https://spam.example/win", True),
        ("go to www.spam.example", True),
        ("cheap pills at spam.example/x", True),
        ("ftp://files.example", True),
        ("meet at 10.30, e.g. the usual place", False),
        ("bring notes.txt and a smile", False),
        ("hello there", False),
    ],
)
def test_what_counts_as_a_link(text: str, linked: bool) -> None:
    assert has_link(text) is linked


async def test_a_newcomers_link_is_refused_and_staff_are_told(make_user, make_sock, clock):
    owner, mod, carol, bob = [await make_user(n) for n in ("owner", "mod", "carol", "bob")]
    circle = await owner.create_circle(f"Links {uuid.uuid4().hex[:6]}")
    cid, conv = circle["id"], circle["conversation_id"]
    for api in (mod, carol):
        await api.join(cid)
    await owner.ok("PUT", f"/api/circles/{cid}/roles", {"user_id": mod.id, "role": "moderator"})
    resp = await set_hours(carol, cid, 24)
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "forbidden"
    resp = await set_hours(owner, cid, 24 * 30 + 1)
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "invalid"
    resp = await set_hours(owner, cid, 24)
    assert resp.status_code == 200 and resp.json()["circle"]["newcomer_link_hours"] == 24
    await bob.join(cid)
    sb, sm, sc, so = [await make_sock(a) for a in (bob, mod, carol, owner)]
    body = {"conversation_id": conv, "client_id": uuid.uuid4().hex, "text": "win at spam.example/x"}
    err = await refused(sb, "message:send", body)
    assert err["code"] == "forbidden" and err["details"]["reason"] == "held_for_review"
    assert set(err["details"]) == {"reason", "hold_id"}  # no retry_after: staff decide
    hold = err["details"]["hold_id"]
    for staff in (sm, so):
        held = await staff.wait_for("circle:link_held")
        text = "win at spam.example/x"
        assert held == {"circle_id": cid, "user_id": bob.id, "text": text, "hold_id": hold}
    await asyncio.sleep(0.2)
    assert sc.events.get("circle:link_held", []) == []  # members are not told
    assert await history(sc, conv) == []
    await say(sb, conv, "hello, no links here")
    await say(sm, conv, "staff may: https://example.org/rules")  # moderators are exempt
    clock.advance(24 * 3600 + 1)
    await say(sb, conv, "now I may: https://example.org/trail")
    # a newer member, and the setting turned off: at once on this process and every other
    carl = await make_user("carl")
    await carl.join(cid)
    scarl = await make_sock(carl)
    await refused(scarl, "message:send", {**body, "client_id": uuid.uuid4().hex})
    assert (await set_hours(owner, cid, 0)).status_code == 200
    await say(scarl, conv, "off now: https://example.org")
