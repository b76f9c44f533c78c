"""The organiser hears what happens to their activity, in digests that do not flood, and has a
list of the activities they host (issue 15, item 2)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from tests.support.activities import iso, post_activity
from tests.support.client import Api

WINDOW = 60.0  # NOTIFY_DIGEST_SECONDS, the default


def fresh_window(clock, margin: float = 15) -> None:
    """Move the servers' clock into a digest window with ``margin`` seconds left at least."""
    left = WINDOW - clock.now().timestamp() % WINDOW
    if left < margin:
        clock.advance(left + 0.5)


async def host_notes(api: Api, want: dict[str, int], timeout: float = 10) -> dict[str, Any]:
    """The organiser's host_* notifications by kind, once each kind in ``want`` shows the
    wanted count."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        listed = (await api.get("/api/notifications")).json()["notifications"]
        found: dict[str, list[dict[str, Any]]] = {}
        for n in listed:
            if n["kind"].startswith("host_"):
                found.setdefault(n["kind"], []).append(n)
        if all(sum(n["data"]["count"] for n in found.get(k, [])) == c for k, c in want.items()):
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"wanted {want}, got {found}")
        await asyncio.sleep(0.1)


async def test_three_quick_signups_make_one_notification_saying_three(make_user, make_sock, clock):
    organiser = await make_user("organiser", display_name="Olga")
    circle = await organiser.create_circle("Runners")
    people = [await make_user(n, display_name=n.title()) for n in ("alice", "bob", "carol")]
    socks = []
    for p in people:
        await p.join(circle["id"])
        socks.append(await make_sock(p))
    watch = await make_sock(organiser)
    act = await post_activity(organiser, circle, clock.now(), capacity=5, title="Tuesday run")
    fresh_window(clock)
    await asyncio.gather(*(s.ok("activity:signup", {"activity_id": act["id"]}) for s in socks))

    found = await host_notes(organiser, {"host_signup": 3})
    [digest] = found["host_signup"]
    assert digest["title"] == "3 new sign-ups for Tuesday run"
    for name in ("Alice", "Bob", "Carol"):
        assert name in digest["body"]
    assert digest["data"]["activity_id"] == act["id"] and digest["read"] is False
    live = await watch.wait_for(
        "notification", lambda e: e["notification"]["data"].get("count") == 3
    )
    assert live["notification"]["id"] == digest["id"]  # the same notification, updated
    for p in people:  # attendees hear nothing meant for the organiser
        kinds = [n["kind"] for n in (await p.get("/api/notifications")).json()["notifications"]]
        assert not [k for k in kinds if k.startswith("host_")]

    # The next window starts a new notification.
    clock.advance(WINDOW + 1)
    dave = await make_user("dave", display_name="Dave")
    await dave.join(circle["id"])
    await (await make_sock(dave)).ok("activity:signup", {"activity_id": act["id"]})
    found = await host_notes(organiser, {"host_signup": 4})
    counts = sorted(n["data"]["count"] for n in found["host_signup"])
    assert counts == [1, 3]
    newest = found["host_signup"][0]
    assert newest["title"] == "1 new sign-up for Tuesday run" and "Dave" in newest["body"]


async def test_organiser_hears_cancellations_offers_and_reconfirmations(
    make_user, make_sock, clock
):
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Climbers")
    alice, bob, carol = [
        await make_user(n, display_name=n.title()) for n in ("alice", "bob", "carol")
    ]
    socks = {}
    for p in (alice, bob, carol):
        await p.join(circle["id"])
        socks[p.id] = await make_sock(p)
    act = await post_activity(organiser, circle, clock.now(), capacity=1, title="Wall night")
    fresh_window(clock, margin=30)
    for p in (alice, bob, carol):  # alice seated, bob and carol waiting
        await socks[p.id].ok("activity:signup", {"activity_id": act["id"]})
    await socks[alice.id].ok("activity:cancel", {"activity_id": act["id"]})  # bob offered
    await socks[bob.id].ok("activity:decline_offer", {"activity_id": act["id"]})  # carol offered
    await socks[carol.id].ok("activity:accept_offer", {"activity_id": act["id"]})
    start = clock.now() + timedelta(days=4)
    resp = await organiser.request(
        "PATCH",
        f"/api/activities/{act['id']}",
        json={"starts_at": iso(start), "ends_at": iso(start + timedelta(hours=2))},
    )
    assert resp.status_code == 200, resp.text
    await socks[carol.id].ok("activity:reconfirm", {"activity_id": act["id"], "going": True})

    found = await host_notes(
        organiser,
        {
            "host_signup": 3,
            "host_cancelled": 1,
            "host_waitlist_moved": 2,
            "host_offer_lapsed": 1,
            "host_offer_accepted": 1,
            "host_reconfirmed": 1,
        },
    )
    assert "Alice cancelled" in found["host_cancelled"][0]["body"]
    assert "Bob declined the offered seat" in found["host_offer_lapsed"][0]["body"]
    assert "Carol took the offered seat" in found["host_offer_accepted"][0]["body"]
    assert "Carol re-confirmed" in found["host_reconfirmed"][0]["body"]
    assert found["host_signup"][0]["body"] == "Alice signed up; Bob and Carol joined the waitlist."


async def test_hosting_lists_what_you_organise_and_nothing_of_others(make_user, clock):
    organiser = await make_user("organiser")
    public = await organiser.create_circle("Open runs")
    private = await organiser.create_circle("Inner circle", visibility="private")
    now = clock.now()
    later = await post_activity(organiser, public, now, starts_in=timedelta(days=3), title="Later")
    soon = await post_activity(organiser, public, now, starts_in=timedelta(days=1), title="Soon")
    hidden = await post_activity(
        organiser, private, now, starts_in=timedelta(days=2), title="Members only"
    )
    hosted = (await organiser.get("/api/me/hosting", params={"when": "upcoming"})).json()
    assert [a["id"] for a in hosted["activities"]] == [soon["id"], hidden["id"], later["id"]]
    mine = (await organiser.get("/api/me/activities", params={"when": "upcoming"})).json()
    assert mine["items"] == []  # signed up for nothing, hosting three
    past = (await organiser.get("/api/me/hosting", params={"when": "past"})).json()
    assert past["activities"] == []

    eve = await make_user("eve")  # an outsider
    alice = await make_user("alice")  # a member of the public circle only
    await alice.join(public["id"])
    for other in (eve, alice):
        resp = await other.get("/api/me/hosting")
        assert resp.status_code == 200, resp.text
        assert resp.json() == {"activities": []}
        assert "Members only" not in resp.text


async def test_digest_counts_every_signup_once_across_two_processes(
    server_pair, make_user, make_sock, clock
):
    a, b = server_pair
    organiser = await make_user("organiser", base_url=a.url)
    circle = await organiser.create_circle("Two doors")
    act = await post_activity(organiser, circle, clock.now(), capacity=3, title="Busy night")
    socks = []
    for i in range(8):
        url = (a, b)[i % 2].url
        p = await make_user(f"p{i}", base_url=url, display_name=f"P{i}")
        await p.join(circle["id"])
        socks.append(await make_sock(p, url))
    fresh_window(clock)
    await asyncio.gather(*(s.ok("activity:signup", {"activity_id": act["id"]}) for s in socks))
    found = await host_notes(organiser, {"host_signup": 8})
    [digest] = found["host_signup"]
    assert digest["title"] == "8 new sign-ups for Busy night"
    assert digest["body"].count("P") == 8  # everyone named once
