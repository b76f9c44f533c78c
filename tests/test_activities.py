"""Activities as live sign-up cards (PROTOCOL §3, §5), driven through the real server."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.support.activities import activity, card_matches, card_of, iso, post_activity
from tests.support.client import Api


async def setup_circle(make_user, *names: str):
    organiser = await make_user("organiser", display_name="Olga Organiser")
    circle = await organiser.create_circle("Hikers")
    people: list[Api] = []
    for name in names:
        p = await make_user(name)
        await p.join(circle["id"])
        people.append(p)
    return organiser, circle, people


async def test_post_activity_posts_a_card_and_only_admins_may(make_user, make_sock, clock):
    organiser, circle, (alice,) = await setup_circle(make_user, "alice")
    so = await make_sock(organiser)
    act = await post_activity(organiser, circle, clock.now(), capacity=3)
    assert act["status"] == "open" and act["confirmed_count"] == 0 and act["capacity"] == 3
    assert act["calendar_url"].startswith("http") and "key=" in act["calendar_url"]
    assert act["signup_deadline"] == act["starts_at"]
    new = await so.wait_for("message:new", lambda e: e["message"]["kind"] == "card")
    assert new["message"]["id"] == act["card_message_id"] or act["card_message_id"] is None
    detail = await activity(organiser, act["id"])
    assert detail["activity"]["card_message_id"] == new["message"]["id"]
    assert detail["my_signup"] is None
    card_matches(
        await card_of(so, circle["conversation_id"], new["message"]["id"]), detail["activity"]
    )

    refused = await alice.post(
        f"/api/circles/{circle['id']}/activities",
        {
            "title": "x",
            "category": "a",
            "starts_at": iso(clock.now() + timedelta(days=1)),
            "ends_at": iso(clock.now() + timedelta(days=1, hours=1)),
            "location": {"name": "p"},
            "capacity": 1,
        },
    )
    assert refused.status_code == 403


async def test_signup_confirms_then_waitlists_in_order_and_card_follows(
    make_user, make_sock, clock
):
    organiser, circle, (alice, bob, carol, dave) = await setup_circle(
        make_user, "alice", "bob", "carol", "dave"
    )
    watcher = await make_sock(organiser)
    act = await post_activity(organiser, circle, clock.now(), capacity=2)
    socks = {p.id: await make_sock(p) for p in (alice, bob, carol, dave)}
    results = []
    for p in (alice, bob, carol, dave):
        results.append(
            (await socks[p.id].ok("activity:signup", {"activity_id": act["id"]}))["signup"]
        )
    assert [r["status"] for r in results] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [r["waitlist_position"] for r in results[2:]] == [1, 2]
    again = await socks[alice.id].ok("activity:signup", {"activity_id": act["id"]})
    assert again["signup"]["status"] == "confirmed"
    detail = (await activity(organiser, act["id"]))["activity"]
    assert (detail["confirmed_count"], detail["held_count"], detail["waitlist_count"]) == (2, 0, 2)
    assert detail["status"] == "full"
    await watcher.wait_for("message:updated", lambda e: e["message"]["card"]["waitlist_count"] == 2)
    card_matches(
        await card_of(watcher, circle["conversation_id"], detail["card_message_id"]), detail
    )
    note = await socks[carol.id].wait_for(
        "notification", lambda e: e["notification"]["kind"] == "waitlisted"
    )
    assert note["notification"]["data"]["activity_id"] == act["id"]


async def test_freed_seat_is_offered_to_first_waiting_then_passes_on_decline(
    make_user, make_sock, clock
):
    organiser, circle, (alice, bob, carol) = await setup_circle(make_user, "alice", "bob", "carol")
    act = await post_activity(organiser, circle, clock.now(), capacity=1, offer_window_minutes=30)
    sa, sb, sc = await make_sock(alice), await make_sock(bob), await make_sock(carol)
    await sa.ok("activity:signup", {"activity_id": act["id"]})
    await sb.ok("activity:signup", {"activity_id": act["id"]})
    await sc.ok("activity:signup", {"activity_id": act["id"]})
    cancelled = (await sa.ok("activity:cancel", {"activity_id": act["id"]}))["signup"]
    assert cancelled["status"] == "cancelled"
    offer = await sb.wait_for("notification", lambda e: e["notification"]["kind"] == "offer")
    assert offer["notification"]["data"]["activity_id"] == act["id"]
    mine = (await activity(bob, act["id"]))["my_signup"]
    assert mine["status"] == "offered" and mine["offer_expires_at"]
    assert (await activity(carol, act["id"]))["my_signup"]["waitlist_position"] == 1
    # carol has no offer to accept
    refused = await sc.call("activity:accept_offer", {"activity_id": act["id"]})
    assert refused["error"]["details"]["reason"] == "no_offer"
    declined = (await sb.ok("activity:decline_offer", {"activity_id": act["id"]}))["signup"]
    assert declined["status"] == "cancelled"
    await sc.wait_for("notification", lambda e: e["notification"]["kind"] == "offer")
    accepted = (await sc.ok("activity:accept_offer", {"activity_id": act["id"]}))["signup"]
    assert accepted["status"] == "confirmed"
    detail = (await activity(organiser, act["id"]))["activity"]
    assert (detail["confirmed_count"], detail["held_count"], detail["waitlist_count"]) == (1, 0, 0)


async def test_offer_expiry_passes_the_seat_to_the_next_person(make_user, make_sock, clock):
    organiser, circle, (alice, bob, carol) = await setup_circle(make_user, "alice", "bob", "carol")
    act = await post_activity(organiser, circle, clock.now(), capacity=1, offer_window_minutes=10)
    sa, sb, sc = await make_sock(alice), await make_sock(bob), await make_sock(carol)
    for s in (sa, sb, sc):
        await s.ok("activity:signup", {"activity_id": act["id"]})
    await sa.ok("activity:cancel", {"activity_id": act["id"]})
    await sb.wait_for("notification", lambda e: e["notification"]["kind"] == "offer")
    clock.advance(11 * 60)
    await sb.wait_for("notification", lambda e: e["notification"]["kind"] == "offer_expired")
    await sc.wait_for("notification", lambda e: e["notification"]["kind"] == "offer")
    assert (await activity(bob, act["id"]))["my_signup"]["status"] == "cancelled"
    late = await sb.call("activity:accept_offer", {"activity_id": act["id"]})
    assert late["error"]["details"]["reason"] == "no_offer"
    assert (await activity(carol, act["id"]))["my_signup"]["status"] == "offered"


async def test_capacity_raise_offers_and_lowering_below_taken_is_refused(
    make_user, make_sock, clock
):
    organiser, circle, (alice, bob, carol) = await setup_circle(make_user, "alice", "bob", "carol")
    act = await post_activity(organiser, circle, clock.now(), capacity=1)
    sb, sc = await make_sock(bob), await make_sock(carol)
    for p in (alice, bob, carol):
        s = sb if p is bob else sc if p is carol else await make_sock(p)
        await s.ok("activity:signup", {"activity_id": act["id"]})
    low = await organiser.request("PATCH", f"/api/activities/{act['id']}", json={"capacity": 0})
    assert low.status_code == 422
    raised = await organiser.request("PATCH", f"/api/activities/{act['id']}", json={"capacity": 3})
    assert raised.status_code == 200 and raised.json()["activity"]["held_count"] == 2
    await sb.wait_for("notification", lambda e: e["notification"]["kind"] == "offer")
    await sc.wait_for("notification", lambda e: e["notification"]["kind"] == "offer")
    await sb.ok("activity:accept_offer", {"activity_id": act["id"]})
    refused = await organiser.request("PATCH", f"/api/activities/{act['id']}", json={"capacity": 1})
    assert refused.status_code == 409
    assert refused.json()["error"]["details"]["reason"] == "capacity_below_taken"


async def test_material_change_posts_notice_asks_to_reconfirm_and_bumps_calendar(
    make_user, make_sock, clock
):
    organiser, circle, (alice, bob, carol) = await setup_circle(make_user, "alice", "bob", "carol")
    act = await post_activity(organiser, circle, clock.now(), capacity=2)
    sa, sb, sc = await make_sock(alice), await make_sock(bob), await make_sock(carol)
    for s in (sa, sb, sc):
        await s.ok("activity:signup", {"activity_id": act["id"]})
    ics_before = (
        await organiser.get(act["calendar_url"].replace(organiser.base_url, ""), token="")
    ).text
    assert "SEQUENCE:0" in ics_before and f"UID:{act['id']}@circles" in ics_before
    new_start = clock.now() + timedelta(days=3)
    resp = await organiser.request(
        "PATCH",
        f"/api/activities/{act['id']}",
        json={
            "starts_at": iso(new_start),
            "ends_at": iso(new_start + timedelta(hours=3)),
            "location": {"name": "Lakeside car park"},
        },
    )
    assert resp.status_code == 200, resp.text
    changed = resp.json()["activity"]
    assert changed["version"] > act["version"]
    notice = await sa.wait_for("message:new", lambda e: e["message"]["kind"] == "system")
    assert "Lakeside car park" in notice["message"]["text"] and "→" in notice["message"]["text"]
    for s in (sa, sb, sc):  # confirmed and waitlisted alike
        n = await s.wait_for(
            "notification", lambda e: e["notification"]["kind"] == "activity_changed"
        )
        assert n["notification"]["data"]["action"] == "activity:reconfirm"
    upd = await sa.wait_for(
        "message:updated", lambda e: e["message"]["card"]["location"]["name"] == "Lakeside car park"
    )
    card_matches(upd["message"]["card"], (await activity(organiser, act["id"]))["activity"])
    kept = (await sa.ok("activity:reconfirm", {"activity_id": act["id"], "going": True}))["signup"]
    assert kept["status"] == "confirmed" and kept["reconfirm_pending"] is False
    released = await sb.ok("activity:reconfirm", {"activity_id": act["id"], "going": False})
    assert released["signup"]["status"] == "cancelled"
    await sc.wait_for("notification", lambda e: e["notification"]["kind"] == "offer")
    attendees = (await organiser.get(f"/api/activities/{act['id']}/attendees")).json()["signups"]
    by_user = {s["user_id"]: s for s in attendees}
    assert by_user[alice.id]["reconfirmed_at"] and not by_user[alice.id]["reconfirm_pending"]
    assert by_user[carol.id]["status"] == "offered"
    ics_after = (await organiser.get(f"/api/activities/{act['id']}/calendar.ics")).text
    assert "SEQUENCE:1" in ics_after and "Lakeside car park" in ics_after
    assert (await alice.get(f"/api/activities/{act['id']}/attendees")).status_code == 403


async def test_cancelling_the_activity_cancels_everyone_and_tells_them(make_user, make_sock, clock):
    organiser, circle, (alice, bob) = await setup_circle(make_user, "alice", "bob")
    act = await post_activity(organiser, circle, clock.now(), capacity=1)
    sa, sb = await make_sock(alice), await make_sock(bob)
    await sa.ok("activity:signup", {"activity_id": act["id"]})
    await sb.ok("activity:signup", {"activity_id": act["id"]})
    resp = await organiser.post(f"/api/activities/{act['id']}/cancel", {"reason": "Storm warning"})
    assert resp.status_code == 200 and resp.json()["activity"]["status"] == "cancelled"
    for s in (sa, sb):
        n = await s.wait_for(
            "notification", lambda e: e["notification"]["kind"] == "activity_cancelled"
        )
        assert "Storm warning" in n["notification"]["body"]
    assert (await activity(alice, act["id"]))["my_signup"]["status"] == "cancelled"
    refused = await sa.call("activity:signup", {"activity_id": act["id"]})
    assert refused["error"]["details"]["reason"] == "activity_cancelled"
    assert "STATUS:CANCELLED" in (await alice.get(f"/api/activities/{act['id']}/calendar.ics")).text


async def test_signup_deadline_closes_signups(make_user, make_sock, clock):
    organiser, circle, (alice,) = await setup_circle(make_user, "alice")
    now = clock.now()
    act = await post_activity(
        organiser, circle, now, capacity=5, signup_deadline=iso(now + timedelta(hours=1))
    )
    sa = await make_sock(alice)
    clock.advance(2 * 3600)
    # Nobody acts: the sweeper alone re-renders the card in place as closed, and sync carries it.
    updated = await sa.wait_for(
        "message:updated",
        lambda e: (
            e["message"]["id"] == act["card_message_id"]
            and e["message"]["card"]["status"] == "closed"
        ),
        timeout=10,
    )
    now_act = (await activity(alice, act["id"]))["activity"]
    card_matches(updated["message"]["card"], now_act)
    card_matches(await card_of(sa, circle["conversation_id"], act["card_message_id"]), now_act)
    refused = await sa.call("activity:signup", {"activity_id": act["id"]})
    assert refused["error"]["code"] == "conflict"
    assert refused["error"]["details"]["reason"] == "signups_closed"
    assert (await activity(alice, act["id"]))["activity"]["status"] == "closed"


async def test_signup_joins_a_public_circle_and_private_needs_membership(
    make_user, make_sock, clock
):
    organiser, circle, _ = await setup_circle(make_user)
    act = await post_activity(organiser, circle, clock.now())
    stranger = await make_user("stranger")
    ss = await make_sock(stranger)
    assert (await ss.ok("activity:signup", {"activity_id": act["id"]}))["signup"][
        "status"
    ] == "confirmed"
    got = (await stranger.get(f"/api/circles/{circle['id']}")).json()["circle"]
    assert got["my_role"] == "member"
    private = await organiser.create_circle("Private", visibility="private")
    secret = await post_activity(organiser, private, clock.now())
    res = await ss.call("activity:signup", {"activity_id": secret["id"]})
    assert res["error"]["code"] == "not_found"
    assert (await stranger.get(f"/api/activities/{secret['id']}")).status_code == 404


async def test_double_click_gives_one_signup_and_the_same_answer(make_user, make_sock, clock):
    organiser, circle, (alice,) = await setup_circle(make_user, "alice")
    act = await post_activity(organiser, circle, clock.now(), capacity=1)
    sa = await make_sock(alice)
    answers = await asyncio.gather(
        *[sa.ok("activity:signup", {"activity_id": act["id"]}) for _ in range(20)]
    )
    assert {(a["signup"]["status"], a["signup"]["created_at"]) for a in answers} == {
        ("confirmed", answers[0]["signup"]["created_at"])
    }
    detail = (await activity(organiser, act["id"]))["activity"]
    assert detail["confirmed_count"] == 1 and detail["waitlist_count"] == 0


async def test_my_activities_and_circle_listing(make_user, make_sock, clock):
    organiser, circle, (alice,) = await setup_circle(make_user, "alice")
    later = await post_activity(
        organiser, circle, clock.now(), starts_in=timedelta(days=5), title="Later"
    )
    sooner = await post_activity(
        organiser, circle, clock.now(), starts_in=timedelta(days=1), title="Sooner"
    )
    sa = await make_sock(alice)
    for a in (later, sooner):
        await sa.ok("activity:signup", {"activity_id": a["id"]})
    items = (await alice.get("/api/me/activities", params={"when": "upcoming"})).json()["items"]
    assert [i["activity"]["title"] for i in items] == ["Sooner", "Later"]
    assert all(i["signup"]["status"] == "confirmed" for i in items)
    listed = (await alice.get(f"/api/circles/{circle['id']}/activities")).json()["activities"]
    assert [a["title"] for a in listed] == ["Sooner", "Later"]
    past = (await alice.get("/api/me/activities", params={"when": "past"})).json()["items"]
    assert past == []
    bad = await alice.get("/api/me/activities", params={"when": "soon"})
    assert bad.status_code == 422


async def test_ticket_checkin_and_every_refusal(make_user, make_sock, clock):
    organiser, circle, (alice, bob) = await setup_circle(make_user, "alice", "bob")
    act = await post_activity(organiser, circle, clock.now(), capacity=1)
    other = await post_activity(organiser, circle, clock.now(), capacity=1, title="Other")
    sa, sb = await make_sock(alice), await make_sock(bob)
    await sa.ok("activity:signup", {"activity_id": act["id"]})
    await sa.ok("activity:signup", {"activity_id": other["id"]})
    await sb.ok("activity:signup", {"activity_id": act["id"]})  # waitlisted
    assert (await bob.get(f"/api/activities/{act['id']}/ticket")).status_code == 403
    ticket = (await alice.get(f"/api/activities/{act['id']}/ticket")).json()
    assert ticket["code"] and ticket["expires_at"].endswith("Z")
    svg = await alice.get(f"/api/activities/{act['id']}/ticket.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content
    # The QR of the code just shown, not a new one: the same image seconds later.
    shown = await alice.get(
        f"/api/activities/{act['id']}/ticket.svg", params={"code": ticket["code"]}
    )
    clock.advance(2)
    later = await alice.get(
        f"/api/activities/{act['id']}/ticket.svg", params={"code": ticket["code"]}
    )
    assert shown.status_code == 200 and shown.content == later.content
    fresh_svg = await alice.get(f"/api/activities/{act['id']}/ticket.svg")
    assert fresh_svg.content != shown.content  # a fresh code two seconds on
    forged = await alice.get(f"/api/activities/{act['id']}/ticket.svg", params={"code": "x" * 40})
    assert forged.status_code == 409

    async def checkin(code: str, activity_id: str = act["id"], who: Api = organiser):
        return await who.post(f"/api/activities/{activity_id}/checkin", {"code": code})

    assert (await checkin(ticket["code"], who=alice)).status_code == 403
    for code, reason in [("garbage", "invalid_code"), (ticket["code"][:-2] + "xx", "invalid_code")]:
        r = await checkin(code)
        assert r.status_code == 409 and r.json()["error"]["details"]["reason"] == reason
    other_ticket = (await alice.get(f"/api/activities/{other['id']}/ticket")).json()
    r = await checkin(other_ticket["code"])
    assert r.json()["error"]["details"]["reason"] == "wrong_activity"
    clock.advance(61)
    r = await checkin(ticket["code"])
    assert r.json()["error"]["details"]["reason"] == "expired"
    fresh = (await alice.get(f"/api/activities/{act['id']}/ticket")).json()
    done = await checkin(fresh["code"])
    assert done.status_code == 200 and done.json()["signup"]["status"] == "attended"
    assert done.json()["signup"]["user_id"] == alice.id
    again = await checkin(fresh["code"])
    assert again.json()["error"]["details"]["reason"] == "already_checked_in"
    # still has a ticket page (attended) and the count still holds the seat
    detail = (await activity(organiser, act["id"]))["activity"]
    assert detail["confirmed_count"] == 1 and detail["waitlist_count"] == 1


async def test_notifications_list_and_mark_read(make_user, make_sock, clock):
    organiser, circle, (alice,) = await setup_circle(make_user, "alice")
    act = await post_activity(organiser, circle, clock.now(), capacity=1)
    sa = await make_sock(alice)
    await sa.ok("activity:signup", {"activity_id": act["id"]})
    await sa.wait_for("notification", lambda e: e["notification"]["kind"] == "signup_confirmed")
    listed = (await alice.get("/api/notifications", params={"unread": "true"})).json()
    assert listed["unread_count"] >= 1
    first = listed["notifications"][0]
    assert first["kind"] == "signup_confirmed" and first["read"] is False
    after = (await alice.post("/api/notifications/read", {"ids": [first["id"]]})).json()
    assert after["unread_count"] == listed["unread_count"] - 1
    assert (await alice.post("/api/notifications/read", {"all": True})).json()["unread_count"] == 0
    assert (await alice.post("/api/notifications/read", {})).status_code == 422


async def test_calendar_key_is_calendar_only(make_user, clock, server):
    organiser, circle, _ = await setup_circle(make_user)
    act = await post_activity(organiser, circle, clock.now())
    key = act["calendar_url"].split("key=")[1]
    # the calendar key is not a session token
    assert (await organiser.get("/api/me", token=key)).status_code == 401
    forged = await organiser.get(
        f"/api/activities/{act['id']}/calendar.ics", params={"key": key + "x"}, token=""
    )
    assert forged.status_code == 404
    anonymous = await organiser.get(f"/api/activities/{act['id']}/calendar.ics", token="")
    assert anonymous.status_code == 401
