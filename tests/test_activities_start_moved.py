"""An activity whose start is brought forward holds nothing past its new start: neither a
payment hold (tests/test_payments_review.py) nor a waitlist offer."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.support.activities import activity, post_activity


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_moving_the_start_earlier_cuts_an_open_offer_to_the_new_start(
    make_user: Any, make_sock: Any, clock: Any
) -> None:
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Sunset paddle")
    act = await post_activity(
        organiser, circle, clock.now(), capacity=1, offer_window_minutes=24 * 60
    )
    alice, bob = await make_user("alice"), await make_user("bob")
    sa, sb = await make_sock(alice), await make_sock(bob)
    await sa.ok("activity:signup", {"activity_id": act["id"]})
    assert (await sb.ok("activity:signup", {"activity_id": act["id"]}))["signup"][
        "status"
    ] == "waitlisted"
    await sa.ok("activity:cancel", {"activity_id": act["id"]})
    offered = (await activity(bob, act["id"]))["my_signup"]
    assert offered["status"] == "offered"
    assert at(offered["offer_expires_at"]) > clock.now() + timedelta(hours=20)

    new_start = (clock.now() + timedelta(hours=3)).replace(microsecond=0)
    moved = await organiser.request(
        "PATCH",
        f"/api/activities/{act['id']}",
        json={
            "starts_at": new_start.isoformat(),
            "ends_at": (new_start + timedelta(hours=1)).isoformat(),
        },
    )
    assert moved.status_code == 200, moved.text
    mine = (await activity(bob, act["id"]))["my_signup"]
    assert mine["status"] == "offered"
    assert at(mine["offer_expires_at"]) <= new_start, (mine["offer_expires_at"], new_start)
