"""Check-in at the door without a QR (by the attendee's name, for a dead phone) and its undo,
driven through the real server: who may, what is refused, and that a refusal changes nothing."""

from __future__ import annotations

from typing import Any

from tests.support.activities import activity, post_activity
from tests.support.client import Api


async def setup(make_user, make_sock, clock, visibility: str = "public"):
    organiser = await make_user("organiser", display_name="Olga Organiser")
    circle = await organiser.create_circle("Door", visibility=visibility)
    people: dict[str, Api] = {}
    for name in ("alice", "bob", "carol"):
        people[name] = await make_user(name)
        if visibility == "public":
            await people[name].join(circle["id"])
        else:
            invite = (await organiser.post(f"/api/circles/{circle['id']}/invites", {})).json()
            await people[name].join(circle["id"], invite["invite"])
    act = await post_activity(organiser, circle, clock.now(), capacity=1)
    await (await make_sock(people["alice"])).ok("activity:signup", {"activity_id": act["id"]})
    await (await make_sock(people["bob"])).ok("activity:signup", {"activity_id": act["id"]})
    return organiser, circle, act, people


def by_name(who: Api, act: dict[str, Any], user_id: Any):
    return who.post(f"/api/activities/{act['id']}/checkin/user", {"user_id": user_id})


def undo(who: Api, act: dict[str, Any], user_id: Any):
    return who.post(f"/api/activities/{act['id']}/checkin/undo", {"user_id": user_id})


def reason(resp) -> str:
    return str(resp.json()["error"]["details"]["reason"])


async def test_checkin_by_name_marks_attended_live_and_is_idempotent(make_user, make_sock, clock):
    organiser, circle, act, p = await setup(make_user, make_sock, clock)
    alice = p["alice"]
    watch = await make_sock(alice)
    before = (await activity(organiser, act["id"]))["activity"]["version"]
    done = await by_name(organiser, act, alice.id)
    assert done.status_code == 200, done.text
    signup = done.json()["signup"]
    assert signup["user_id"] == alice.id and signup["status"] == "attended"
    assert signup["checked_in_at"] is not None
    # The attendee's clients learn it from the card update (their ticket turns "checked in").
    await watch.wait_for(
        "message:updated", lambda e: e["message"]["card"].get("version", 0) > before
    )
    mine = (await activity(alice, act["id"]))["my_signup"]
    assert mine["status"] == "attended" and mine["checked_in_at"] == signup["checked_in_at"]
    # Again (a double tap): the same sign-up, nothing changes.
    version = (await activity(organiser, act["id"]))["activity"]["version"]
    again = await by_name(organiser, act, alice.id)
    assert again.status_code == 200 and again.json()["signup"] == signup
    assert (await activity(organiser, act["id"]))["activity"]["version"] == version
    # A QR code of the same person is now refused as used.
    code = (await alice.get(f"/api/activities/{act['id']}/ticket")).json()["code"]
    qr = await organiser.post(f"/api/activities/{act['id']}/checkin", {"code": code})
    assert qr.status_code == 409 and reason(qr) == "already_checked_in"


async def test_checkin_by_name_refusals_change_nothing(make_user, make_sock, clock):
    organiser, circle, act, p = await setup(make_user, make_sock, clock)
    alice, bob, carol = p["alice"], p["bob"], p["carol"]
    eve = await make_user("eve")  # not in the circle
    version = (await activity(organiser, act["id"]))["activity"]["version"]

    assert (await by_name(bob, act, alice.id)).status_code == 403  # a member, not the organiser
    assert (await by_name(alice, act, alice.id)).status_code == 403  # not even oneself
    assert (await by_name(eve, act, alice.id)).status_code == 403  # outsider, public circle
    r = await by_name(organiser, act, carol.id)  # a member who never signed up
    assert r.status_code == 409 and reason(r) == "not_signed_up"
    r = await by_name(organiser, act, eve.id)
    assert r.status_code == 409 and reason(r) == "not_signed_up"
    r = await by_name(organiser, act, bob.id)  # waitlisted: no seat to check in to
    assert r.status_code == 409 and reason(r) == "not_confirmed"
    for bad in (None, 1, {"$gt": ""}, "", "no such/id"):
        assert (await by_name(organiser, act, bad)).status_code == 422, bad
    nowhere = await organiser.post("/api/activities/nope/checkin/user", {"user_id": alice.id})
    assert nowhere.status_code == 404

    after = await activity(organiser, act["id"])
    assert after["activity"]["version"] == version
    assert (await activity(alice, act["id"]))["my_signup"]["status"] == "confirmed"


async def test_checkin_by_name_in_a_private_circle_is_not_found_to_outsiders(
    make_user, make_sock, clock
):
    organiser, circle, act, p = await setup(make_user, make_sock, clock, visibility="private")
    eve = await make_user("eve")
    assert (await by_name(eve, act, p["alice"].id)).status_code == 404
    assert (await undo(eve, act, p["alice"].id)).status_code == 404
    assert (await by_name(p["bob"], act, p["alice"].id)).status_code == 403
    ok = await by_name(organiser, act, p["alice"].id)
    assert ok.status_code == 200 and ok.json()["signup"]["status"] == "attended"


async def test_undo_checkin_returns_the_seat_to_confirmed(make_user, make_sock, clock):
    organiser, circle, act, p = await setup(make_user, make_sock, clock)
    alice, bob, carol = p["alice"], p["bob"], p["carol"]
    code = (await alice.get(f"/api/activities/{act['id']}/ticket")).json()["code"]
    qr = await organiser.post(f"/api/activities/{act['id']}/checkin", {"code": code})
    assert qr.status_code == 200 and qr.json()["signup"]["status"] == "attended"
    version = (await activity(organiser, act["id"]))["activity"]["version"]

    # Refusals first: nothing changes.
    assert (await undo(bob, act, alice.id)).status_code == 403
    assert (await undo(alice, act, alice.id)).status_code == 403
    r = await undo(organiser, act, carol.id)
    assert r.status_code == 409 and reason(r) == "not_signed_up"
    r = await undo(organiser, act, bob.id)  # waitlisted, never checked in
    assert r.status_code == 409 and reason(r) == "not_checked_in"
    assert (await undo(organiser, act, {"$ne": None})).status_code == 422
    assert (await activity(organiser, act["id"]))["activity"]["version"] == version
    assert (await activity(alice, act["id"]))["my_signup"]["status"] == "attended"

    watch = await make_sock(alice)
    undone = await undo(organiser, act, alice.id)
    assert undone.status_code == 200, undone.text
    s = undone.json()["signup"]
    assert s["status"] == "confirmed" and s["checked_in_at"] is None
    await watch.wait_for(
        "message:updated", lambda e: e["message"]["card"].get("version", 0) > version
    )
    detail = await activity(alice, act["id"])
    assert detail["my_signup"]["status"] == "confirmed"
    assert detail["activity"]["confirmed_count"] == 1 and detail["activity"]["waitlist_count"] == 1
    # Undo again (a double tap) is the same answer and changes nothing.
    v2 = detail["activity"]["version"]
    again = await undo(organiser, act, alice.id)
    assert again.status_code == 200 and again.json()["signup"]["status"] == "confirmed"
    assert (await activity(organiser, act["id"]))["activity"]["version"] == v2
    # The seat is still hers: checked in again by name.
    redo = await by_name(organiser, act, alice.id)
    assert redo.status_code == 200 and redo.json()["signup"]["status"] == "attended"
