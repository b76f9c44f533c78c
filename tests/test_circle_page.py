"""The circle page (issue 12, item 8): ``GET /api/circles/{id}/page`` shows about, organisers,
member count, upcoming activities and recent posts, and whether the caller is a member or a
follower; a private circle's page is for its members only, the same 404 as a missing circle to
everyone else."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.support.activities import post_activity
from tests.support.client import Api
from tests.support.security_infra import Dedicated, shared_dedicated


async def page(api: Api, circle_id: str) -> dict[str, Any]:
    return dict(await api.ok("GET", f"/api/circles/{circle_id}/page"))


async def test_the_page_shows_about_organisers_members_and_upcoming_activities(make_user, clock):
    owner = await make_user("owner", display_name="Olga Owner")
    circle = await owner.create_circle(
        "Sunday Hikers",
        description="We walk on Sundays.",
        category="outdoors",
        tags=["hiking", "nature"],
    )
    alice = await make_user("alice")
    await alice.join(circle["id"])
    now = clock.now()
    later = await post_activity(owner, circle, now, starts_in=timedelta(days=5), title="Ridge")
    sooner = await post_activity(owner, circle, now, starts_in=timedelta(days=1), title="Lake")
    gone = await post_activity(owner, circle, now, starts_in=timedelta(days=2), title="Storm")
    await owner.ok("POST", f"/api/activities/{gone['id']}/cancel", {"reason": "storm"})
    past = await post_activity(owner, circle, now, starts_in=timedelta(days=-3), title="Old")

    seen = await page(alice, circle["id"])

    assert seen["circle"]["id"] == circle["id"]
    assert seen["circle"]["description"] == "We walk on Sundays."
    assert (seen["circle"]["category"], seen["circle"]["tags"]) == (
        "outdoors",
        ["hiking", "nature"],
    )
    assert seen["member_count"] == 2 == seen["circle"]["member_count"]
    assert [
        (o["user"]["id"], o["user"]["display_name"], o["role"]) for o in seen["organisers"]
    ] == [(owner.id, "Olga Owner", "owner")]
    titles = [a["title"] for a in seen["upcoming"]]
    assert titles == ["Lake", "Ridge"], titles  # soonest first; cancelled and past left out
    assert [a["id"] for a in seen["upcoming"]] == [sooner["id"], later["id"]]
    assert past["id"] not in titles
    assert seen["posts"] == []
    assert (seen["member"], seen["following"], seen["circle"]["my_role"]) == (True, False, "member")


async def test_a_visitor_sees_a_public_page_and_their_follow(make_user):
    owner = await make_user("owner")
    circle = await owner.create_circle("Chess club")
    eve = await make_user("eve")

    before = await page(eve, circle["id"])
    await eve.ok("POST", f"/api/circles/{circle['id']}/follow")
    after = await page(eve, circle["id"])
    await eve.ok("DELETE", f"/api/circles/{circle['id']}/follow")
    unfollowed = await page(eve, circle["id"])

    assert (before["member"], before["following"], before["circle"]["my_role"]) == (
        False,
        False,
        None,
    )
    assert after["following"] is True and after["member"] is False
    assert unfollowed["following"] is False
    assert (await page(owner, circle["id"]))["circle"]["my_role"] == "owner"


async def test_a_private_page_is_for_members_only_and_otherwise_like_a_missing_circle(
    make_user, clock
):
    owner = await make_user("owner")
    circle = await owner.create_circle("Secret society", visibility="private")
    await post_activity(owner, circle, clock.now(), title="Hidden meeting")
    invite = (await owner.ok("POST", f"/api/circles/{circle['id']}/invites", status=201))["invite"]
    alice, eve = await make_user("alice"), await make_user("eve")
    await alice.join(circle["id"], invite)

    member = await page(alice, circle["id"])
    outsider = await eve.get(f"/api/circles/{circle['id']}/page")
    missing = await eve.get("/api/circles/no_such_circle/page")
    anonymous = await Api(eve.base_url).get(f"/api/circles/{circle['id']}/page")

    assert [a["title"] for a in member["upcoming"]] == ["Hidden meeting"]
    assert outsider.status_code == 404 == missing.status_code
    assert outsider.json() == missing.json()
    assert "Hidden meeting" not in outsider.text and "Secret" not in outsider.text
    assert anonymous.status_code == 401


@pytest.fixture(scope="session")
def dedicated(stack: Any) -> Iterator[Dedicated]:
    d = shared_dedicated(stack)
    yield d
    d.proc.stop()


async def test_the_page_lists_admins_after_the_owner(make_user, dedicated):
    url = dedicated.url
    owner = await make_user("owner", base_url=url, display_name="Olga Owner")
    circle = await owner.create_circle("Runners")
    alice = await make_user("alice", base_url=url, display_name="Alice Admin")
    bob = await make_user("bob", base_url=url)
    await alice.join(circle["id"])
    await bob.join(circle["id"])
    # No route promotes an admin yet: the test sets the role where the circles keep it.
    async with dedicated.database() as db:
        promoted = await db["memberships"].update_one(
            {"_id": f"{circle['id']}:{alice.id}"}, {"$set": {"role": "admin"}}
        )
        assert promoted.modified_count == 1

    seen = await page(bob, circle["id"])

    assert [(o["user"]["display_name"], o["role"]) for o in seen["organisers"]] == [
        ("Olga Owner", "owner"),
        ("Alice Admin", "admin"),
    ]
