"""Times in server-written texts travel as ISO values, never as "UTC" clock times in words, so
each client shows them in its reader's zone (issue 15, item 1)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from tests.support.activities import iso, post_activity

CLOCK_TIME = re.compile(r"\b\d{1,2}:\d{2}\b|UTC")


def no_clock_time(text: str) -> None:
    assert not CLOCK_TIME.search(text), text


async def notes(api: Any, kind: str) -> list[dict[str, Any]]:
    listed = (await api.get("/api/notifications")).json()["notifications"]
    return [n for n in listed if n["kind"] == kind]


async def test_change_notice_and_notifications_carry_iso_times_not_utc_words(
    make_user, make_sock, clock
):
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Runners")
    alice, bob = await make_user("alice"), await make_user("bob")
    for p in (alice, bob):
        await p.join(circle["id"])
    sa, sb = await make_sock(alice), await make_sock(bob)
    act = await post_activity(organiser, circle, clock.now(), capacity=1, title="Tuesday run")
    await sa.ok("activity:signup", {"activity_id": act["id"]})
    await sb.ok("activity:signup", {"activity_id": act["id"]})  # waitlisted

    confirmed = await sa.wait_for(
        "notification", lambda e: e["notification"]["kind"] == "signup_confirmed"
    )
    data = confirmed["notification"]["data"]
    assert data["times"] == {"starts_at": act["starts_at"]}
    assert "{starts_at}" in data["template"]
    no_clock_time(confirmed["notification"]["body"])

    new_start = clock.now() + timedelta(days=3, hours=1)
    body = {
        "starts_at": iso(new_start),
        "ends_at": iso(new_start + timedelta(hours=2)),
        "location": {"name": "Lakeside"},
    }
    resp = await organiser.request("PATCH", f"/api/activities/{act['id']}", json=body)
    assert resp.status_code == 200, resp.text

    expected = [
        {"field": "starts_at", "from": act["starts_at"], "to": body["starts_at"]},
        {"field": "ends_at", "from": act["ends_at"], "to": body["ends_at"]},
        {"field": "location", "from": "Trailhead, 1 Forest Rd", "to": "Lakeside"},
    ]
    notice = await sa.wait_for("message:new", lambda e: e["message"]["kind"] == "system")
    message = notice["message"]
    no_clock_time(message["text"])
    assert "start time" in message["text"] and "Lakeside" in message["text"]
    assert message["card"] == {
        "type": "activity_changed",
        "activity_id": act["id"],
        "title": "Tuesday run",
        "changes": expected,
    }
    for s in (sa, sb):  # seated and waitlisted alike
        n = (
            await s.wait_for(
                "notification", lambda e: e["notification"]["kind"] == "activity_changed"
            )
        )["notification"]
        assert n["data"]["changes"] == expected
        assert n["data"]["action"] == "activity:reconfirm"
        no_clock_time(n["title"] + " " + n["body"])

    # A freed seat's offer names its deadline as a value too.
    await sa.ok("activity:cancel", {"activity_id": act["id"]})
    offer = (await sb.wait_for("notification", lambda e: e["notification"]["kind"] == "offer"))[
        "notification"
    ]
    until = offer["data"]["times"]["offer_expires_at"]
    assert until == offer["data"]["offer_expires_at"] and until.endswith("Z")
    no_clock_time(offer["body"])
    for api in (alice, bob):  # the stored copies say the same
        for n in (await api.get("/api/notifications")).json()["notifications"]:
            no_clock_time(n["title"] + " " + n["body"])


async def test_reminder_names_the_start_as_a_value(make_user, make_sock, clock):
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Early birds")
    alice = await make_user("alice")
    await alice.join(circle["id"])
    sock = await make_sock(alice)
    act = await post_activity(organiser, circle, clock.now(), starts_in=timedelta(hours=30))
    await sock.ok("activity:signup", {"activity_id": act["id"]})
    clock.advance(7 * 3600)  # past the 24 h reminder
    n = (
        await sock.wait_for(
            "notification", lambda e: e["notification"]["kind"] == "reminder", timeout=10
        )
    )["notification"]
    assert n["data"]["times"] == {"starts_at": act["starts_at"]}
    assert n["data"]["template"] == "{starts_at} at Trailhead"
    no_clock_time(n["title"] + " " + n["body"])
