"""Reminders reach every confirmed attendee, once each (issue 9, item 3)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from tests.support.activities import post_activity
from tests.support.client import Api


async def reminders(api: Api) -> list[dict[str, Any]]:
    listed = (await api.get("/api/notifications")).json()["notifications"]
    return [n for n in listed if n["kind"] == "reminder"]


async def wait_reminders(people: list[Api], when: str, timeout: float = 15) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        got = [[n for n in await reminders(p) if n["data"]["when"] == when] for p in people]
        if all(got) or loop.time() > deadline:
            missing = [p.user["handle"] for p, g in zip(people, got, strict=True) if not g]
            assert not missing, f"no {when} reminder for {missing}"
            return
        await asyncio.sleep(0.2)


async def test_every_confirmed_attendee_gets_each_reminder_once(make_user, make_sock, clock):
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Reminded")
    # A start with milliseconds makes the schedule id as long as it gets.
    starts_in = timedelta(days=2, hours=3, milliseconds=123)
    act = await post_activity(organiser, circle, clock.now(), starts_in=starts_in, capacity=5)
    attendees = [await make_user(name) for name in ("alice", "bob", "carol", "dave")]
    waiting = await make_user("wendy")
    for p in attendees:
        await (await make_sock(p)).ok("activity:signup", {"activity_id": act["id"]})
    tiny = await post_activity(organiser, circle, clock.now(), starts_in=starts_in, capacity=1)
    await (await make_sock(attendees[0])).ok("activity:signup", {"activity_id": tiny["id"]})
    await (await make_sock(waiting)).ok("activity:signup", {"activity_id": tiny["id"]})

    clock.advance((starts_in - timedelta(hours=23)).total_seconds())
    await wait_reminders(attendees, "24h")
    clock.advance(timedelta(hours=22, minutes=30).total_seconds())
    await wait_reminders(attendees, "1h")
    await asyncio.sleep(1)  # several sweeps: nothing is sent twice

    seen: set[str] = set()
    for p in attendees:
        mine = [n for n in await reminders(p) if n["data"]["activity_id"] == act["id"]]
        assert sorted(n["data"]["when"] for n in mine) == ["1h", "24h"], mine
        seen.update(n["id"] for n in mine)
        for n in mine:  # the id is usable as an id: mark it read
            marked = await p.post("/api/notifications/read", {"ids": [n["id"]]})
            assert marked.status_code == 200, marked.text
    assert len(seen) == 2 * len(attendees)
    # alice also got the reminders of the small activity; the waitlisted person got none
    assert len(await reminders(attendees[0])) == 4
    assert await reminders(waiting) == []
