"""The "verified organiser" badge on API outputs (issue 14 item 5): ``owner_verified`` on circles
(one, lists, the circle page) and ``organiser_verified`` on activities (one, the lists), true
exactly for users a platform administrator approved; pending and rejected submissions are not
verified."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.support.activities import post_activity
from tests.support.security_infra import Dedicated, People, start_dedicated
from tests.support.trust import make_admin, submit, verify


@pytest.fixture(scope="module")
def trusted(stack: Any) -> Iterator[Dedicated]:
    d = start_dedicated(stack)
    yield d
    d.proc.stop()


@pytest.fixture
async def people(trusted: Dedicated) -> AsyncIterator[People]:
    p = People(trusted.url)
    yield p
    await p.aclose()


async def test_owner_and_organiser_badges_on_circles_and_activities(
    trusted: Dedicated, people: People, clock: Any
) -> None:
    admin, maya, ugo, pat, rex, viewer = [
        await people.user(n) for n in ("admin", "maya", "ugo", "pat", "rex", "viewer")
    ]
    make_admin(trusted, admin)
    await verify(maya, admin)  # verified
    assert (await submit(pat, "P1234567")).status_code == 201  # pending: not verified
    resp = await submit(rex, "R7654321")
    sid = resp.json()["verification"]["id"]
    await admin.ok(
        "POST", f"/api/admin/verifications/{sid}/review", {"decision": "rejected", "reason": "x"}
    )
    tag = uuid.uuid4().hex[:8]
    owners = {"maya": maya, "ugo": ugo, "pat": pat, "rex": rex}
    made = {}
    for name, api in owners.items():
        resp = await api.post(
            "/api/circles", {"name": f"{name} {tag}", "category": "testing", "tags": [tag]}
        )
        assert resp.status_code == 201, resp.text
        made[name] = resp.json()["circle"]
    assert made["maya"]["owner_verified"] is True  # the creation's answer too
    assert [made[n]["owner_verified"] for n in ("ugo", "pat", "rex")] == [False] * 3
    want = {made[n]["id"]: n == "maya" for n in owners}

    for cid, verified in want.items():
        got = (await viewer.ok("GET", f"/api/circles/{cid}"))["circle"]
        assert got["owner_verified"] is verified, got
        page = await viewer.ok("GET", f"/api/circles/{cid}/page")
        assert page["circle"]["owner_verified"] is verified
    listed = (await viewer.ok("GET", f"/api/circles?tag={tag}"))["circles"]
    assert {c["id"]: c["owner_verified"] for c in listed} == want

    # activities: the organiser's badge, not the circle owner's (ugo is an admin of maya's circle)
    circle = made["maya"]
    await ugo.join(circle["id"])
    await maya.ok("PUT", f"/api/circles/{circle['id']}/roles", {"user_id": ugo.id, "role": "admin"})
    now = clock.now()
    by_maya = await post_activity(maya, circle, now, title="Maya's walk", capacity=5)
    by_ugo = await post_activity(ugo, circle, now, title="Ugo's walk", capacity=5)
    assert by_maya["organiser_verified"] is True and by_ugo["organiser_verified"] is False
    acts = {by_maya["id"]: True, by_ugo["id"]: False}
    await viewer.join(circle["id"])
    sock = await people.sock(viewer)
    for aid, verified in acts.items():
        got = (await viewer.ok("GET", f"/api/activities/{aid}"))["activity"]
        assert got["organiser_verified"] is verified
        await sock.ok("activity:signup", {"activity_id": aid})
    listed = (await viewer.ok("GET", f"/api/circles/{circle['id']}/activities"))["activities"]
    assert {a["id"]: a["organiser_verified"] for a in listed} == acts
    mine = (await viewer.ok("GET", "/api/me/activities"))["items"]
    assert {i["activity"]["id"]: i["activity"]["organiser_verified"] for i in mine} == acts
    hosted = (await maya.ok("GET", "/api/me/hosting"))["activities"]
    assert {a["id"]: a["organiser_verified"] for a in hosted} == {by_maya["id"]: True}
    page = await viewer.ok("GET", f"/api/circles/{circle['id']}/page")
    assert {a["id"]: a["organiser_verified"] for a in page["upcoming"]} == acts
    patched = await ugo.ok("PATCH", f"/api/activities/{by_ugo['id']}", {"title": "Ugo's hike"})
    assert patched["activity"]["organiser_verified"] is False

    # the answers of settings changes carry it too, for the circle's owner of the moment
    c = f"/api/circles/{circle['id']}"
    got = await maya.ok("PUT", f"{c}/join-approval", {"required": False})
    assert got["circle"]["owner_verified"] is True
    got = await maya.ok("PUT", f"{c}/newcomers", {"link_hours": 0})
    assert got["circle"]["owner_verified"] is True
    got = await maya.ok("POST", f"{c}/transfer", {"user_id": ugo.id})
    assert got["circle"]["owner_id"] == ugo.id and got["circle"]["owner_verified"] is False
    assert (await viewer.ok("GET", c))["circle"]["owner_verified"] is False
    got = await ugo.ok("POST", f"{c}/transfer", {"user_id": maya.id})
    assert got["circle"]["owner_verified"] is True

    # the outsider of a private circle learns nothing, the badge included
    hidden = await maya.create_circle(f"Hidden {tag}", "private")
    resp = await viewer.get(f"/api/circles/{hidden['id']}")
    assert resp.status_code == 404 and "owner_verified" not in resp.text


async def test_a_badge_shows_once_the_review_approves(
    trusted: Dedicated, people: People, clock: Any
) -> None:
    admin, org, viewer = [await people.user(n) for n in ("admin", "org", "viewer")]
    make_admin(trusted, admin)
    circle = await org.create_circle(f"Soon verified {uuid.uuid4().hex[:6]}")
    act = await post_activity(org, circle, clock.now(), starts_in=timedelta(days=3))
    assert (await viewer.ok("GET", f"/api/circles/{circle['id']}"))["circle"][
        "owner_verified"
    ] is False
    await verify(org, admin)
    assert (await viewer.ok("GET", f"/api/circles/{circle['id']}"))["circle"]["owner_verified"]
    assert (await viewer.ok("GET", f"/api/activities/{act['id']}"))["activity"][
        "organiser_verified"
    ]
