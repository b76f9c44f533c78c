"""An activity with many participants keeps every read copy current.

FerretDB v1 over PostgreSQL stores its own index entry of an indexed array as one btree row, and
refuses rows over 2,704 bytes: with an index on ``activities.participants`` (about 75 ids), every
update of a larger activity's document was refused, so lists read from it (a user's own
activities, the circle's list, counts) silently stopped changing. Only the GIN mirrors
(core/pgindex.py) serve FerretDB's equality filters there, so its own non-unique indexes are not
created on that stack.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.activities import post_activity
from tests.support.client import Api


async def test_an_activity_of_ninety_participants_stays_listed_for_each(
    make_user: Any, make_sock: Any, clock: Any
) -> None:
    organiser = await make_user("host")
    circle = await organiser.create_circle("Big walk")
    act = await post_activity(organiser, circle, clock.now(), capacity=120)
    people: list[Api] = list(
        await asyncio.gather(*(make_user(f"walker{i:03d}") for i in range(90)))
    )
    gate = asyncio.Semaphore(8)

    async def sign_up(p: Api) -> None:
        async with gate:
            sock = await make_sock(p)
            await sock.ok("activity:signup", {"activity_id": act["id"]})

    await asyncio.gather(*(sign_up(p) for p in people))
    for p in (people[0], people[74], people[89]):
        mine = await p.get("/api/me/activities", params={"when": "upcoming"})
        assert mine.status_code == 200, mine.text
        assert [a["activity"]["id"] for a in mine.json()["items"]] == [act["id"]]
    listed = await organiser.get(f"/api/circles/{circle['id']}/activities")
    assert [a["confirmed_count"] for a in listed.json()["activities"]] == [90]
