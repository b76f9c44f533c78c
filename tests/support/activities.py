"""Helpers to post activities and read cards through the real API."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from tests.support.client import Api, Sock


async def sign_up(api: Api, activity_id: str) -> dict[str, Any]:
    """Sign ``api``'s user up over a socket of their own; the ack's answer."""
    sock = await Sock(api.base_url, api.token).connect()
    try:
        return dict(await sock.ok("activity:signup", {"activity_id": activity_id}))
    finally:
        await sock.close()


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


async def post_activity(
    organiser: Api,
    circle: dict[str, Any],
    now: datetime,
    starts_in: timedelta = timedelta(days=2),
    hours: float = 2,
    capacity: int = 2,
    **extra: Any,
) -> dict[str, Any]:
    starts = now + starts_in
    body = {
        "title": extra.pop("title", "Saturday hike"),
        "category": "outdoors",
        "starts_at": iso(starts),
        "ends_at": iso(starts + timedelta(hours=hours)),
        "location": {"name": "Trailhead", "address": "1 Forest Rd"},
        "capacity": capacity,
        **extra,
    }
    resp = await organiser.post(f"/api/circles/{circle['id']}/activities", body)
    assert resp.status_code == 201, resp.text
    return dict(resp.json()["activity"])


async def activity(api: Api, activity_id: str) -> dict[str, Any]:
    resp = await api.get(f"/api/activities/{activity_id}")
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def card_of(
    sock: Sock, conversation_id: str, message_id: str, wait: float = 10.0
) -> dict[str, Any]:
    """The card as a client that only uses sync would rebuild it. A sync stops before a change
    still being written (docs/protocol.md), such as the card's own re-render after an edit, so
    one answer may lack the card: it is asked again, as a client would, until it is there."""
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        synced = await sock.ok(
            "sync", {"conversation_id": conversation_id, "since_rev": 0, "limit": 500}
        )
        found = [m for m in synced["messages"] if m["id"] == message_id]
        if found:
            return dict(found[-1]["card"])
        assert asyncio.get_running_loop().time() < deadline, "card message missing from sync"
        await asyncio.sleep(0.05)


def card_matches(card: dict[str, Any], act: dict[str, Any]) -> None:
    for key in (
        "title",
        "starts_at",
        "ends_at",
        "location",
        "capacity",
        "confirmed_count",
        "held_count",
        "waitlist_count",
        "price",
        "status",
        "version",
    ):
        assert card[key] == act[key], (key, card[key], act[key])
    assert card["activity_id"] == act["id"] and card["type"] == "activity"
