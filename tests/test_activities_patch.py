"""Editing an activity (PATCH /api/activities/{id}): a refused edit changes nothing at all, and
null is refused for fields that have no "clear" meaning (issue 9, items 2 and 16)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from tests.support.activities import activity, iso, post_activity
from tests.support.client import Api, Sock


async def organised(make_user, make_sock, clock, **extra: Any):
    """An organiser's activity in a public circle with alice and bob confirmed, both watching."""
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Patchers")
    alice, bob = await make_user("alice"), await make_user("bob")
    socks: list[Sock] = []
    for p in (alice, bob):
        await p.join(circle["id"])
        socks.append(await make_sock(p))
    act = await post_activity(organiser, circle, clock.now(), capacity=2, **extra)
    for s in socks:
        await s.ok("activity:signup", {"activity_id": act["id"]})
    return organiser, circle, act, (alice, bob), socks


async def seen_by(
    organiser: Api, sock: Sock, circle: dict[str, Any], act: dict[str, Any]
) -> dict[str, Any]:
    """Everything a refused edit could have touched, as clients see it."""
    detail = (await activity(organiser, act["id"]))["activity"]
    detail.pop("calendar_url")  # a fresh signature each time; the key itself is tested elsewhere
    ics = (await organiser.get(f"/api/activities/{act['id']}/calendar.ics")).text
    synced = await sock.ok(
        "sync", {"conversation_id": circle["conversation_id"], "since_rev": 0, "limit": 500}
    )
    attendees = (await organiser.get(f"/api/activities/{act['id']}/attendees")).json()["signups"]
    notes = (await organiser.request("GET", "/api/notifications")).json()
    return {
        "activity": detail,
        "sequence": [line for line in ics.splitlines() if line.startswith("SEQUENCE")],
        "summary": [line for line in ics.splitlines() if line.startswith("SUMMARY")],
        "messages": [(m["id"], m["rev"], m["kind"], m["text"]) for m in synced["messages"]],
        "attendees": attendees,
        "organiser_notes": notes["unread_count"],
    }


async def notification_kinds(api: Api) -> list[str]:
    listed = (await api.get("/api/notifications")).json()["notifications"]
    return sorted(n["kind"] for n in listed)


async def test_edit_refused_for_deadline_after_start_stores_nothing(make_user, make_sock, clock):
    organiser, circle, act, (alice, bob), (sa, sb) = await organised(make_user, make_sock, clock)
    await asyncio.sleep(0.3)  # the sign-ups' card refreshes and notifications land first
    before = await seen_by(organiser, sa, circle, act)
    kinds_before = [await notification_kinds(p) for p in (alice, bob)]
    new_start = clock.now() + timedelta(days=3)
    refused = await organiser.request(
        "PATCH",
        f"/api/activities/{act['id']}",
        json={
            "title": "Moved hike",
            "capacity": 5,
            "starts_at": iso(new_start),
            "ends_at": iso(new_start + timedelta(hours=2)),
            "location": {"name": "Somewhere else"},
            "signup_deadline": iso(new_start + timedelta(hours=1)),
        },
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["details"]["reason"] == "deadline_after_start"
    await asyncio.sleep(0.5)  # anything a stored edit would set off has had time to happen
    after = await seen_by(organiser, sa, circle, act)
    assert after == before
    assert after["activity"]["title"] == "Saturday hike" and after["activity"]["capacity"] == 2
    assert after["sequence"] == ["SEQUENCE:0"]
    assert [await notification_kinds(p) for p in (alice, bob)] == kinds_before
    assert all(not s["reconfirm_pending"] for s in after["attendees"])
    assert not [e for e in sa.events["message:new"] if e["message"]["kind"] == "system"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"capacity": 1, "title": "Renamed"}, "capacity_below_taken"),
        (
            {"ends_at": "2001-01-01T00:00:00Z", "location": {"name": "Elsewhere"}},
            "ends_before_start",
        ),
    ],
)
async def test_other_refused_edits_store_nothing(make_user, make_sock, clock, body, reason):
    organiser, circle, act, _, (sa, _sb) = await organised(make_user, make_sock, clock)
    await asyncio.sleep(0.3)
    before = await seen_by(organiser, sa, circle, act)
    refused = await organiser.request("PATCH", f"/api/activities/{act['id']}", json=body)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["details"]["reason"] == reason
    await asyncio.sleep(0.3)
    assert await seen_by(organiser, sa, circle, act) == before


NOT_NULLABLE = [
    "title",
    "description",
    "category",
    "tags",
    "starts_at",
    "ends_at",
    "location",
    "capacity",
    "signup_deadline",
    "refund_cutoff_hours",
]


@pytest.mark.parametrize("field", NOT_NULLABLE)
async def test_null_is_refused_naming_the_field_and_nothing_changes(
    make_user, make_sock, clock, field
):
    organiser, circle, act, _, (sa, _sb) = await organised(make_user, make_sock, clock)
    await asyncio.sleep(0.3)
    before = await seen_by(organiser, sa, circle, act)
    body: dict[str, Any] = {"title": "Renamed", "description": "changed too", "capacity": 9}
    body[field] = None  # next to fields that would be applied if the null were ignored
    refused = await organiser.request("PATCH", f"/api/activities/{act['id']}", json=body)
    assert refused.status_code == 422, refused.text
    err = refused.json()["error"]
    assert err["code"] == "invalid" and field in err["details"]["fields"], err
    await asyncio.sleep(0.2)
    assert await seen_by(organiser, sa, circle, act) == before


async def test_null_price_makes_the_activity_free_as_documented(make_user, clock):
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Free again")
    act = await post_activity(
        organiser, circle, clock.now(), price={"amount": 500, "currency": "EUR"}
    )
    freed = await organiser.request("PATCH", f"/api/activities/{act['id']}", json={"price": None})
    assert freed.status_code == 200, freed.text
    assert freed.json()["activity"]["price"] is None


async def test_an_accepted_edit_still_applies_everything(make_user, make_sock, clock):
    organiser, circle, act, _, (sa, _sb) = await organised(make_user, make_sock, clock)
    new_start = clock.now() + timedelta(days=3)
    done = await organiser.request(
        "PATCH",
        f"/api/activities/{act['id']}",
        json={
            "title": "Moved hike",
            "capacity": 5,
            "starts_at": iso(new_start),
            "ends_at": iso(new_start + timedelta(hours=2)),
            "location": {"name": "Somewhere else"},
            "signup_deadline": iso(new_start - timedelta(hours=1)),
        },
    )
    assert done.status_code == 200, done.text
    got = done.json()["activity"]
    assert (got["title"], got["capacity"], got["location"]["name"]) == (
        "Moved hike",
        5,
        "Somewhere else",
    )
    assert got["signup_deadline"] == iso(new_start - timedelta(hours=1))
    ics = (await organiser.get(f"/api/activities/{act['id']}/calendar.ics")).text
    assert "SEQUENCE:1" in ics
    await sa.wait_for("message:new", lambda e: e["message"]["kind"] == "system")
