"""Calendar keys (issue 9, item 13): a key names its user, works only while that user can still
see the activity, and stops working when the user rotates their keys."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.activities import activity, post_activity
from tests.support.client import Api
from tests.support.security_infra import mint


def key_of(detail: dict[str, Any]) -> str:
    return str(detail["activity"]["calendar_url"].split("key=")[1])


async def by_key(base_url: str, activity_id: str, key: str) -> httpx.Response:
    """Fetched the way a calendar app does: the URL alone, no token."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        return await http.get(f"/api/activities/{activity_id}/calendar.ics", params={"key": key})


async def private_world(make_user, clock) -> tuple[Api, Api, dict[str, Any], dict[str, Any]]:
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Secret society", visibility="private")
    invite = (await organiser.post(f"/api/circles/{circle['id']}/invites")).json()["invite"]
    alice = await make_user("alice")
    await alice.join(circle["id"], invite)
    act = await post_activity(organiser, circle, clock.now(), title="Meeting point")
    return organiser, alice, circle, act


async def test_a_member_who_left_a_private_circle_can_no_longer_read_it(make_user, clock):
    organiser, alice, circle, act = await private_world(make_user, clock)
    key = key_of(await activity(alice, act["id"]))
    first = await by_key(alice.base_url, act["id"], key)
    assert first.status_code == 200 and "Meeting point" in first.text
    assert (await alice.post(f"/api/circles/{circle['id']}/leave")).status_code == 204
    moved = await organiser.request(
        "PATCH", f"/api/activities/{act['id']}", json={"title": "New secret spot"}
    )
    assert moved.status_code == 200, moved.text
    after = await by_key(alice.base_url, act["id"], key)
    assert after.status_code == 404, after.text
    assert "secret spot" not in after.text
    assert after.json()["error"]["code"] == "not_found"
    # the same answer as for an activity that does not exist, with the same kind of key
    nothing = await by_key(alice.base_url, "Zz9nosuchthing00000000000000000", key)
    assert (nothing.status_code, nothing.json()) == (after.status_code, after.json())
    # and the organiser's own key still works
    own = await by_key(organiser.base_url, act["id"], key_of(await activity(organiser, act["id"])))
    assert own.status_code == 200 and "New secret spot" in own.text


async def test_rotating_keys_invalidates_the_old_ones(make_user, clock):
    organiser, alice, _circle, act = await private_world(make_user, clock)
    other = await post_activity(organiser, _circle, clock.now(), title="Second")
    old = key_of(await activity(alice, act["id"]))
    old_other = key_of(await activity(alice, other["id"]))
    assert (await by_key(alice.base_url, act["id"], old)).status_code == 200
    rotated = await alice.post("/api/me/calendar-keys/rotate")
    assert rotated.status_code == 204, rotated.text
    for activity_id, key in ((act["id"], old), (other["id"], old_other)):
        refused = await by_key(alice.base_url, activity_id, key)
        assert refused.status_code == 404, refused.text
    new = key_of(await activity(alice, act["id"]))
    assert new != old
    assert (await by_key(alice.base_url, act["id"], new)).status_code == 200
    # one user's rotation leaves everyone else's keys alone
    theirs = key_of(await activity(organiser, act["id"]))
    assert (await by_key(alice.base_url, act["id"], theirs)).status_code == 200
    # rotating needs a session
    async with httpx.AsyncClient(base_url=alice.base_url) as http:
        assert (await http.post("/api/me/calendar-keys/rotate")).status_code == 401
    assert (await by_key(alice.base_url, act["id"], new)).status_code == 200


async def test_outsiders_get_not_found_with_any_key_they_can_make(make_user, clock):
    organiser, alice, _circle, act = await private_world(make_user, clock)
    eve = await make_user("eve")
    assert (await eve.get(f"/api/activities/{act['id']}/calendar.ics")).status_code == 404
    # a key for the activity alone (the shape keys had before they named a user) never works
    unbound = mint("calendar", {"a": act["id"]})
    assert (await by_key(eve.base_url, act["id"], unbound)).status_code == 404
    # a key naming eve, or naming alice with a made-up key version
    for forged in (
        mint("calendar", {"a": act["id"], "u": eve.id, "k": ""}),
        mint("calendar", {"a": act["id"], "u": alice.id, "k": "guessed"}),
        key_of(await activity(alice, act["id"])) + "x",
        eve.token,
    ):
        refused = await by_key(eve.base_url, act["id"], str(forged))
        assert refused.status_code == 404, (forged, refused.text)
        assert refused.json()["error"]["code"] == "not_found"
    # a key of eve's for a public activity does not open the private one
    public = await organiser.create_circle("Open house")
    await eve.join(public["id"])
    open_act = await post_activity(organiser, public, clock.now())
    eve_key = key_of(await activity(eve, open_act["id"]))
    assert (await by_key(eve.base_url, open_act["id"], eve_key)).status_code == 200
    assert (await by_key(eve.base_url, act["id"], eve_key)).status_code == 404


async def test_no_key_and_no_token_is_unauthorized(make_user, clock):
    _organiser, _alice, _circle, act = await private_world(make_user, clock)
    async with httpx.AsyncClient(base_url=_alice.base_url) as http:
        for activity_id in (act["id"], "Zz9nosuchthing00000000000000000", "not.an.id", "a%20b"):
            for query in ("", "?key="):
                resp = await http.get(f"/api/activities/{activity_id}/calendar.ics{query}")
                assert resp.status_code == 401, (activity_id, query, resp.text)
                assert resp.json()["error"]["code"] == "unauthorized"
                assert resp.headers["www-authenticate"] == "Bearer"
