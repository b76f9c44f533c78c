"""Following (issue 12, item 2): follow and unfollow a circle without joining it; followers are
told once when the circle posts a new activity; owners and admins push an activity to the
members, once; a private circle cannot be followed (or pushed from) by someone who cannot see it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.support.activities import post_activity
from tests.support.client import Api
from tests.support.discovery import discover, eventually, ids, listing


async def notes_of(api: Api, kind: str) -> list[dict[str, Any]]:
    resp = await api.get("/api/notifications")
    assert resp.status_code == 200, resp.text
    return [n for n in resp.json()["notifications"] if n["kind"] == kind]


async def test_follow_and_unfollow_are_idempotent_and_listed(make_user: Any) -> None:
    org, fan = await make_user("org"), await make_user("fan")
    circle = await org.create_circle("Sunday Hikers", category="hiking")
    for _ in range(2):
        resp = await fan.post(f"/api/circles/{circle['id']}/follow")
        assert resp.status_code == 200, resp.text
        assert resp.json()["following"] is True
    listed = (await fan.get("/api/me/following")).json()["following"]
    assert [f["circle"]["id"] for f in listed] == [circle["id"]]
    assert listed[0]["circle"]["name"] == "Sunday Hikers" and listed[0]["followed_at"]
    members = (await org.get(f"/api/circles/{circle['id']}/members")).json()
    assert fan.id not in str(members)  # following is not joining
    for _ in range(2):
        resp = await fan.request("DELETE", f"/api/circles/{circle['id']}/follow")
        assert resp.status_code == 200 and resp.json()["following"] is False
    assert (await fan.get("/api/me/following")).json()["following"] == []


async def test_a_private_circle_is_not_found_to_a_non_member(make_user: Any) -> None:
    org, member, eve = await make_user("org"), await make_user("member"), await make_user("eve")
    private = await org.create_circle("Secret", visibility="private")
    for method in ("POST", "DELETE"):
        resp = await eve.request(method, f"/api/circles/{private['id']}/follow")
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"
    assert (await eve.get("/api/me/following")).json()["following"] == []
    invite = (await org.post(f"/api/circles/{private['id']}/invites", {})).json()["invite"]
    await member.join(private["id"], invite)
    assert (await member.post(f"/api/circles/{private['id']}/follow")).status_code == 200


async def test_followers_are_told_once_of_a_new_activity(make_user: Any, clock: Any) -> None:
    org, fan, other = await make_user("org"), await make_user("fan"), await make_user("other")
    gone = await make_user("gone")
    circle = await org.create_circle("Climbers")
    for api in (fan, gone):
        assert (await api.post(f"/api/circles/{circle['id']}/follow")).status_code == 200
    assert (await gone.request("DELETE", f"/api/circles/{circle['id']}/follow")).status_code == 200
    a = await post_activity(org, circle, clock.now(), title="Bouldering night")

    async def told() -> list[dict[str, Any]]:
        return await notes_of(fan, "new_activity")

    found = await eventually(told)
    assert len(found) == 1
    assert found[0]["data"]["activity_id"] == a["id"]
    assert found[0]["title"] == "New in Climbers: Bouldering night"
    # the start travels as a wire time for the client to render (no clock time in the text)
    assert found[0]["data"]["times"] == {"starts_at": a["starts_at"]}
    assert found[0]["data"]["template"] == "{starts_at} at Trailhead"
    assert found[0]["body"] == "At Trailhead."
    edit = await org.request("PATCH", f"/api/activities/{a['id']}", json={"title": "Bouldering!"})
    assert edit.status_code == 200  # an edit is not a new activity
    b = await post_activity(org, circle, clock.now(), title="Second")
    found = await eventually(lambda: _two(fan))
    assert sorted(n["data"]["activity_id"] for n in found) == sorted([a["id"], b["id"]])
    assert await notes_of(other, "new_activity") == []
    assert await notes_of(gone, "new_activity") == []
    assert await notes_of(org, "new_activity") == []


async def _two(api: Api) -> list[dict[str, Any]]:
    found = await notes_of(api, "new_activity")
    return found if len(found) >= 2 else []


async def test_following_lists_and_section_show_followed_circles(
    make_user: Any, clock: Any
) -> None:
    org, fan = await make_user("org"), await make_user("fan")
    followed, other = await org.create_circle("Followed"), await org.create_circle("Other")
    a = await post_activity(org, followed, clock.now(), starts_in=timedelta(days=3))
    b = await post_activity(org, other, clock.now(), starts_in=timedelta(days=3))
    assert await ids(fan, following="true") == []
    await fan.post(f"/api/circles/{followed['id']}/follow")
    found = await ids(fan, following="true")
    assert found == [a["id"]] and b["id"] not in found
    section = (await discover(fan))["following"]
    assert [i["id"] for i in section] == [a["id"]]
    for_you = (await discover(fan))["for_you"]
    mine = [i for i in for_you if i["id"] == a["id"]]
    assert mine and mine[0]["reason_code"] == "followed_circle"
    assert mine[0]["reason"] == "From Followed, a circle you follow"
    page = await listing(fan, following="true")
    assert page["next_cursor"] is None


async def test_owners_push_an_activity_to_the_members_once(make_user: Any, clock: Any) -> None:
    org, bob, carol = await make_user("org"), await make_user("bob"), await make_user("carol")
    eve = await make_user("eve")
    circle = await org.create_circle("Pushers")
    await bob.join(circle["id"])
    await carol.join(circle["id"])
    a = await post_activity(org, circle, clock.now())
    refused = await bob.post(f"/api/activities/{a['id']}/push")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert await notes_of(carol, "activity_push") == []
    resp = await org.post(f"/api/activities/{a['id']}/push")
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"activity_id": a["id"], "notified": 2}
    for api in (bob, carol):
        got = await notes_of(api, "activity_push")
        assert [n["data"]["activity_id"] for n in got] == [a["id"]]
    assert await notes_of(eve, "activity_push") == []
    again = await org.post(f"/api/activities/{a['id']}/push")
    assert again.status_code == 409
    assert again.json()["error"]["details"]["reason"] == "already_pushed"
    assert len(await notes_of(bob, "activity_push")) == 1
    private = await org.create_circle("Quiet", visibility="private")
    hidden = await post_activity(org, private, clock.now())
    resp = await eve.post(f"/api/activities/{hidden['id']}/push")
    assert resp.status_code == 404
