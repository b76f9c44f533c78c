"""The Explore page (GET /api/discover): "for you" ranks by what Circles knows and says why (a
reason text and a code), "this week", "popular" and "near you"."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.support.activities import post_activity, sign_up
from tests.support.discovery import discover, eventually, slug


@pytest.fixture(scope="module")
def server(stack: Any) -> Iterator[Any]:
    """A server and database of this module's own: the sections are global (every public
    circle's activities this week, the most popular ones), so other modules' activities on the
    shared server would crowd these tests' ones out of the bounded lists."""
    proc = stack.start(**stack.server_env())
    yield proc
    proc.stop()


def item(section: list[dict[str, Any]], activity_id: str) -> dict[str, Any] | None:
    return next((i for i in section if i["id"] == activity_id), None)


async def test_for_you_says_how_many_people_you_know_are_going(make_user: Any, clock: Any) -> None:
    host, alice = await make_user("host"), await make_user("alice")
    friends = [await make_user(n, display_name=n.title()) for n in ("bob", "carol", "dave")]
    cat = slug("c")
    hikers = await host.create_circle("Sunday Hikers", category=cat)
    for api in (alice, *friends):
        await api.join(hikers["id"])
    organiser = await make_user("org")
    peaks = await organiser.create_circle("Peaks", category=cat)
    a = await post_activity(organiser, peaks, clock.now(), capacity=5, category=cat)
    quiet = await post_activity(organiser, peaks, clock.now(), capacity=5, category=cat)
    await asyncio.gather(*(sign_up(f, a["id"]) for f in friends))

    async def counted() -> bool:
        found = item((await discover(host))["this_week"], a["id"])
        return found is not None and found["going"] == 3

    assert await eventually(counted)
    for_you = (await discover(alice))["for_you"]
    got = item(for_you, a["id"])
    assert got is not None, for_you
    assert got["reason_code"] == "friends_going"
    assert got["reason"] == "3 people from Sunday Hikers are going"
    assert got["known_going_count"] == 3 and sorted(got["known_going"]) == ["Bob", "Carol", "Dave"]
    other = item(for_you, quiet["id"])
    assert other is not None and other["reason_code"] == "category"
    assert for_you.index(got) < for_you.index(other)  # the stronger reason ranks first


async def test_for_you_names_a_liked_category_and_skips_what_you_signed_up_for(
    make_user: Any, clock: Any
) -> None:
    host, alice, org = await make_user("host"), await make_user("alice"), await make_user("org")
    cat = slug("c")
    mine = await host.create_circle("Book club", category=cat)
    await alice.join(mine["id"])
    elsewhere = await org.create_circle("Readers", category=cat)
    a = await post_activity(
        org, elsewhere, clock.now(), starts_in=timedelta(days=5), capacity=10, category=cat
    )
    b = await post_activity(org, elsewhere, clock.now(), capacity=10, category=cat)
    await sign_up(alice, b["id"])
    for_you = (await discover(alice))["for_you"]
    got = item(for_you, a["id"])
    assert got is not None, for_you
    assert got["reason_code"] == "category"
    assert got["reason"] == f"You like {cat}: circles you joined"
    assert item(for_you, b["id"]) is None
    stranger = await make_user("stranger")
    assert item((await discover(stranger))["for_you"], a["id"]) is None  # no reason, no item


async def test_this_week_popular_and_near_you(make_user: Any, clock: Any) -> None:
    org, viewer = await make_user("org"), await make_user("viewer")
    circle = await org.create_circle("Busy")
    here = {"name": "Square", "lat": 48.8566, "lng": 2.3522}
    soon = await post_activity(org, circle, clock.now(), capacity=10, location=here)
    later = await post_activity(org, circle, clock.now(), starts_in=timedelta(days=10))
    people = [await make_user(f"p{i}") for i in range(4)]
    await asyncio.gather(*(sign_up(p, soon["id"]) for p in people))

    async def popular() -> dict[str, Any] | None:
        # the cards follow each sign-up's commit: wait for the last of the four, not the first
        found = item((await discover(viewer))["popular"], soon["id"])
        return found if found is not None and found["going"] == 4 else None

    got = await eventually(popular)
    assert got is not None and got["going"] == 4
    assert got["reason_code"] == "popular" and got["reason"] == "4 going"
    sections = await discover(viewer, near="48.86,2.35", radius_km="5")
    assert item(sections["this_week"], soon["id"]) is not None
    assert item(sections["this_week"], later["id"]) is None
    near = item(sections["near_you"], soon["id"])
    assert near is not None and near["distance_km"] < 1
    assert (await discover(viewer))["near_you"] == []  # no place given: nothing is near
