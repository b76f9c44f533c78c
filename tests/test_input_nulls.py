"""Nulls and NULs are refused, not ignored (issue 9, item 16; the PATCH part is elsewhere).

A JSON ``null`` where a route or event expects an object is ``invalid`` naming ``body``, and an
invite carrying a NUL character is ``invalid`` naming ``invite`` even on a public circle, where
the invite would otherwise be ignored. Each refusal changes nothing.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.activities import activity, post_activity
from tests.support.client import Api
from tests.support.security_infra import RawSock, event_frame


def refused(resp: httpx.Response, field: str) -> None:
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    assert error["code"] == "invalid" and field in error["details"]["fields"], error


async def post_raw(api: Api, path: str, raw: bytes) -> httpx.Response:
    headers = {"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"}
    return await api.http.post(path, content=raw, headers=headers)


async def my_role(api: Api, circle_id: str) -> Any:
    resp = await api.get(f"/api/circles/{circle_id}")
    assert resp.status_code == 200, resp.text
    return resp.json()["circle"]["my_role"]


async def test_a_null_body_to_join_is_refused_and_does_not_join(make_user):
    owner, bob = await make_user("owner"), await make_user("bob")
    circle = await owner.create_circle("Null joins")
    for raw in (b"null", b" null \n"):
        refused(await post_raw(bob, f"/api/circles/{circle['id']}/join", raw), "body")
    assert await my_role(bob, circle["id"]) is None
    # An empty body still means "no fields" and joins.
    joined = await post_raw(bob, f"/api/circles/{circle['id']}/join", b"")
    assert joined.status_code == 200, joined.text
    assert await my_role(bob, circle["id"]) == "member"


async def test_a_null_body_to_cancel_an_activity_is_refused_and_cancels_nothing(make_user, clock):
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Null cancels")
    act = await post_activity(organiser, circle, clock.now())
    refused(await post_raw(organiser, f"/api/activities/{act['id']}/cancel", b"null"), "body")
    after = (await activity(organiser, act["id"]))["activity"]
    assert after["status"] == "open" and after["version"] == act["version"], after


async def test_a_null_payload_to_a_sign_up_event_is_refused_naming_the_body(
    server, make_user, make_sock, clock
):
    organiser, alice = await make_user("organiser"), await make_user("alice")
    circle = await organiser.create_circle("Null events")
    await alice.join(circle["id"])
    act = await post_activity(organiser, circle, clock.now())
    sa = await make_sock(alice)
    await sa.ok("activity:signup", {"activity_id": act["id"]})
    async with RawSock.open(server.url) as raw:
        assert (await raw.handshake({"token": alice.token})).startswith("40{")
        for ack_id, event in enumerate(["activity:cancel", "conversations"], start=1):
            await raw.send(event_frame(ack_id, event, None))
            ack = await raw.ack(ack_id)
            assert ack["ok"] is False and ack["error"]["code"] == "invalid", (event, ack)
            assert "body" in ack["error"]["details"]["fields"], (event, ack)
    mine = (await activity(alice, act["id"]))["my_signup"]
    assert mine is not None and mine["status"] == "confirmed", mine


async def test_an_invite_with_a_nul_is_refused_even_on_a_public_circle(make_user):
    owner, bob = await make_user("owner"), await make_user("bob")
    public = await owner.create_circle("Public NUL")
    private = await owner.create_circle("Private NUL", visibility="private")
    minted = await owner.post(f"/api/circles/{private['id']}/invites")
    good = minted.json()["invite"]
    for circle, invite in [
        (public, "\u0000"),
        (public, "abc\u0000def"),
        (private, good + "\u0000"),
    ]:
        resp = await bob.post(f"/api/circles/{circle['id']}/join", {"invite": invite})
        refused(resp, "invite")
    assert await my_role(bob, public["id"]) is None
    # The real invite still works on its circle.
    assert (await bob.join(private["id"], good))["role"] == "member"
