"""Discovery on several processes: each process keeps the buckets (and marks) it read for up to a
minute, and what it read of a user (their circles, whom they know, their sign-ups) for up to ten,
and a change made on one process reaches the others' copies at once (an announcement through
Redis), not after their expiry. Two server processes share one database and one Redis; the
organiser acts on A, the reader lists on B, whose copies were read just before the change."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from tests.support.activities import iso, post_activity, sign_up
from tests.support.client import Api, Sock
from tests.support.discovery import discover, eventually, slug

SOON = 1.5  # seconds: far below what a copy is kept (60 s) and below the old expiry (3 s)


async def items(api: Api, **params: Any) -> list[dict[str, Any]]:
    resp = await api.get("/api/activities", params=params)
    assert resp.status_code == 200, resp.text
    return list(resp.json()["items"])


async def within(seconds: float, check: Any) -> bool:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        if await check():
            return True
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)


async def test_a_change_on_one_process_shows_on_the_other_at_once(
    server_pair: Any, make_user: Any, clock: Any
) -> None:
    a, b = server_pair
    org = await make_user("org", base_url=a.url)
    on_a = await make_user("reader", base_url=a.url)
    on_b = Api(b.url, on_a.token, on_a.user)  # the same reader, through process B
    try:
        await changes_reach(org, on_a, on_b, clock)
    finally:
        await on_b.aclose()


async def changes_reach(org: Api, on_a: Api, on_b: Api, clock: Any) -> None:
    circle = await org.create_circle("Two processes")
    first, second = slug(), slug()
    now = clock.now()

    # B has read (and keeps) the tag's marks, with nothing in them yet
    assert await items(on_b, tag=first) == [] and await items(on_b, tag=second) == []
    act = await post_activity(org, circle, now, tags=[first], capacity=3)

    async def listed(api: Api, tag: str) -> bool:
        return [i["id"] for i in await items(api, tag=tag)] == [act["id"]]

    assert await eventually(lambda: listed(on_a, first))  # the card is written (on A)
    assert await within(SOON, lambda: listed(on_b, first)), "a new bucket, on B"

    # B keeps the bucket now; a sign-up on A changes the card in it
    assert (await items(on_b, tag=first))[0]["going"] == 0
    sock = await Sock(on_a.base_url, on_a.token).connect()
    try:
        await sock.ok("activity:signup", {"activity_id": act["id"]})
    finally:
        await sock.close()

    async def going(api: Api) -> bool:
        found = await items(api, tag=first)
        return bool(found) and found[0]["going"] == 1

    assert await eventually(lambda: going(on_a))
    assert await within(SOON, lambda: going(on_b)), "a changed card, on B"

    # an edit moves it to another tag: out of one bucket B keeps, into another
    moved = now + timedelta(days=3)
    resp = await org.request(
        "PATCH",
        f"/api/activities/{act['id']}",
        json={
            "tags": [second],
            "starts_at": iso(moved),
            "ends_at": iso(moved + timedelta(hours=2)),
        },
    )
    assert resp.status_code == 200, resp.text
    assert await eventually(lambda: listed(on_a, second))

    async def moved_over() -> bool:
        return await items(on_b, tag=first) == [] and await listed(on_b, second)

    assert await within(SOON, moved_over), "a moved card, on B"


async def test_what_a_process_keeps_of_a_user_follows_changes_made_on_the_other(
    server_pair: Any, make_user: Any, clock: Any
) -> None:
    a, b = server_pair
    org = await make_user("org", base_url=a.url)
    reader = await make_user("reader", base_url=a.url)
    friend = await make_user("friend", base_url=a.url, display_name="Fran Friend")
    on_b = Api(b.url, reader.token, reader.user)
    try:
        await user_changes_reach(org, reader, friend, on_b, clock)
    finally:
        await on_b.aclose()


async def user_changes_reach(org: Api, reader: Api, friend: Api, on_b: Api, clock: Any) -> None:
    circle = await org.create_circle("Kept reads", category=slug("cat"))
    await reader.join(circle["id"])
    now = clock.now()
    first = await post_activity(org, circle, now, title="First walk", capacity=5)

    async def for_you(api: Api) -> dict[str, dict[str, Any]]:
        return {i["id"]: i for i in (await discover(api))["for_you"]}

    # B reads, and keeps, the reader's tastes and sign-ups: the walk is "for you"
    assert await eventually(lambda: _has(for_you(on_b), first["id"]))

    # the reader signs up on A: B stops recommending it at once
    await sign_up(reader, first["id"])

    async def not_recommended() -> bool:
        return first["id"] not in await for_you(on_b)

    assert await within(SOON, not_recommended), "the reader's own sign-up, on B"

    # a second walk; then someone joins the circle on A and signs up for it: B names them
    second = await post_activity(
        org, circle, now, starts_in=timedelta(days=3), title="Second walk", capacity=5
    )
    assert await eventually(lambda: _has(for_you(on_b), second["id"]))
    await friend.join(circle["id"])
    await sign_up(friend, second["id"])

    async def friend_named() -> bool:
        item = (await for_you(on_b)).get(second["id"])
        return item is not None and "Fran Friend" in item["known_going"]

    assert await within(SOON, friend_named), "a new member of the reader's circle, on B"


async def _has(found: Any, activity_id: str) -> bool:
    return activity_id in await found
