"""A sign-up joins a public circle on the way; one refused in the moment after that join (the
activity was cancelled between the sign-up's check and its write) must not leave the user a
member: a refused request changes nothing (issue 9, item 2)."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.activities import post_activity


async def sign_up(sock: Any, activity_id: str) -> dict[str, Any]:
    return dict(await sock.call("activity:signup", {"activity_id": activity_id}))


async def cancel_soon(organiser: Any, activity_id: str) -> None:
    await asyncio.sleep(0.02)  # while the sign-ups are between their check and their write
    resp = await organiser.post(f"/api/activities/{activity_id}/cancel", {"reason": "storm"})
    assert resp.status_code == 200, resp.text


async def test_signups_refused_by_a_cancellation_racing_them_leave_no_membership(
    make_user: Any, make_sock: Any, clock: Any
) -> None:
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Race to the trailhead")
    rounds, per_round = 6, 12
    joined_by_refusal: list[str] = []
    for _ in range(rounds):
        act = await post_activity(organiser, circle, clock.now(), capacity=100)
        walkers = [await make_user("walker") for _ in range(per_round)]
        socks = [await make_sock(w) for w in walkers]

        answers, _ = await asyncio.gather(
            asyncio.gather(*[sign_up(s, act["id"]) for s in socks]),
            cancel_soon(organiser, act["id"]),
        )
        members = await organiser.ok("GET", f"/api/circles/{circle['id']}/members")
        member_ids = {m["user"]["id"] if "user" in m else m["id"] for m in members["members"]}
        for walker, answer in zip(walkers, answers, strict=True):
            if answer.get("ok") is not True and walker.id in member_ids:
                joined_by_refusal.append(walker.id)
    assert not joined_by_refusal, (
        f"{len(joined_by_refusal)} refused sign-ups left their user a member of the circle"
    )
