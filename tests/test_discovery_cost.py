"""What a discovery request reads, counted in PostgreSQL's statistics (bench.discovery measures
the same at 100,000 activities; docs/performance.md, "Discovery")."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from tests.support.activities import post_activity, sign_up
from tests.support.client import Api
from tests.support.discovery import discover, eventually, listing, slug
from tests.support.pgstats import PUBLISHED_WITHIN, counted
from tests.test_reports_activity import align
from tests.test_sweep_cost import env, rows_read, server

__all__ = ["env", "server"]  # module fixtures: this module's own database and server


async def test_a_later_page_walks_from_its_cursor_not_from_now(
    make_user: Callable[..., Awaitable[Api]], env: dict[str, str], stack: Any, clock: Any
) -> None:
    d0 = align(clock)
    org, bob = await make_user("org"), await make_user("bob")
    circle = await org.create_circle("Daily walks")
    tag = slug()
    for day in range(40):
        await post_activity(org, circle, d0, starts_in=timedelta(days=day + 1), tags=[tag])
    first = await listing(bob, tag=tag, limit="30")
    assert len(first["items"]) == 30 and first["next_cursor"]
    db = env["MONGODB_DB"]
    await asyncio.sleep(PUBLISHED_WITHIN)
    before = rows_read(stack.postgres_url, db, "discovery")
    second = await listing(bob, cursor=first["next_cursor"], tag=tag, limit="30")
    await asyncio.sleep(PUBLISHED_WITHIN)
    read = rows_read(stack.postgres_url, db, "discovery") - before
    assert len(second["items"]) == 10
    # the tag's buckets are days: from the cursor's day on, about 10 cards; walking from now
    # read the 30 before it too
    assert read <= 15, f"page two read {read} cards"


async def test_a_first_page_reads_the_marks_of_the_months_it_reaches_only(
    make_user: Callable[..., Awaitable[Api]], env: dict[str, str], stack: Any, clock: Any
) -> None:
    d0 = align(clock)
    org, bob = await make_user("org"), await make_user("bob")
    circle = await org.create_circle("Season club")
    tag = slug()
    soon = [
        await post_activity(org, circle, d0, starts_in=timedelta(days=1, hours=h), tags=[tag])
        for h in (0, 1)
    ]
    for day in range(40):  # a busy season four months on: forty days with a mark each
        await post_activity(org, circle, d0, starts_in=timedelta(days=120 + day), tags=[tag])
    db = env["MONGODB_DB"]
    await asyncio.sleep(PUBLISHED_WITHIN)
    before = rows_read(stack.postgres_url, db, "discovery_marks")
    page = await listing(bob, tag=tag, limit="1")
    await asyncio.sleep(PUBLISHED_WITHIN)
    read = rows_read(stack.postgres_url, db, "discovery_marks") - before
    assert [i["id"] for i in page["items"]] == [soon[0]["id"]] and page["next_cursor"]
    # a tag's marks are kept by month: the first month's mark (one day) answers the page and
    # its look-ahead; reading all of the family's marks read the season's forty too
    assert read <= 2, f"the first page read {read} marks"


async def test_a_cold_discover_reads_the_users_circles_and_members_once(
    make_user: Callable[..., Awaitable[Api]], env: dict[str, str], stack: Any
) -> None:
    """The sections of "discover" all need whom the user knows (their circles' members) and
    start at once: they share one read of it, and "for you" reuses the memberships the request
    read, where each section used to read them all again."""
    org, bob = await make_user("org"), await make_user("bob")
    circles = [await org.create_circle(f"Club {n}") for n in range(3)]
    for c in circles:
        await bob.join(c["id"])
        for _ in range(2):
            await (await make_user("member")).join(c["id"])
    db = env["MONGODB_DB"]
    await asyncio.sleep(PUBLISHED_WITHIN)
    before = counted(stack.postgres_url, db)
    sections = await discover(bob)  # bob's first: nothing of his is kept yet
    await asyncio.sleep(PUBLISHED_WITHIN)
    after = counted(stack.postgres_url, db)
    assert set(sections) >= {"for_you", "this_week", "popular"}
    scans = {t: after[t].scans - before[t].scans for t in ("memberships", "circles")}
    # memberships: the request's own read, the people read's one, one per circle (members);
    # circles: one per circle for the people read, one per circle for the lists' visibility
    # check (kept by the process). Each section reading them for itself: 14 and 12.
    assert scans["memberships"] <= 6, scans
    assert scans["circles"] <= 7, scans


async def test_a_list_of_followed_circles_reads_their_months_not_their_marks(
    make_user: Callable[..., Awaitable[Api]], env: dict[str, str], stack: Any, clock: Any
) -> None:
    """A circle's stream over a few months (the 90 days of "following", the two weeks of "for
    you") reads its monthly buckets straight away: most of them hold cards, and the marks that
    would say which cost a read per circle first (ten circles: ten reads before any card)."""
    org, bob = await make_user("org"), await make_user("bob")
    circles = [await org.create_circle(f"Followed {n}") for n in range(3)]
    for c in circles:
        await post_activity(org, c, clock.now(), starts_in=timedelta(days=1))
        resp = await bob.post(f"/api/circles/{c['id']}/follow")
        assert resp.status_code == 200, resp.text
    db = env["MONGODB_DB"]
    await asyncio.sleep(PUBLISHED_WITHIN)
    before = counted(stack.postgres_url, db)
    until = (clock.now() + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    page = await listing(bob, following="true", to=until)
    await asyncio.sleep(PUBLISHED_WITHIN)
    after = counted(stack.postgres_url, db)
    assert len(page["items"]) == 3
    marks = after["discovery_marks"].scans - before["discovery_marks"].scans
    assert marks == 0, f"{marks} reads of marks"


async def test_a_second_users_cold_discover_reads_no_circle_or_name_the_first_one_read(
    make_user: Callable[..., Awaitable[Api]], env: dict[str, str], stack: Any, clock: Any
) -> None:
    """Circles (names, categories, tags) and people's display names are kept a while by the
    process: the first "discover" of a second member of the same circles, with the same
    friends going, reads none of them again (each was a lookup by id of its own, and each
    section read the names of who is going again)."""
    org, bob, carol = await make_user("org"), await make_user("bob"), await make_user("carol")
    friends = [await make_user(n, display_name=n.title()) for n in ("dan", "eli", "fay")]
    circles = [await org.create_circle(f"Shared {n}") for n in range(3)]
    mine: list[str] = []
    for c in circles:
        for who in (bob, carol, *friends):
            await who.join(c["id"])
        act = await post_activity(org, c, clock.now(), starts_in=timedelta(days=2), capacity=9)
        mine.append(act["id"])
        for friend in friends:
            await sign_up(friend, act["id"])

    def going(sections: dict[str, Any]) -> list[list[str]]:
        """Whom the user knows going, on this test's activities in "this week" (the module's
        other tests share the database, and their activities may come first)."""
        return [sorted(i["known_going"]) for i in sections["this_week"] if i["id"] in mine]

    async def all_going() -> bool:  # cards are written after each sign-up's commit
        return going(await discover(bob)) == [["Dan", "Eli", "Fay"]] * 3

    assert await eventually(all_going)
    db = env["MONGODB_DB"]
    await asyncio.sleep(PUBLISHED_WITHIN)
    before = counted(stack.postgres_url, db)
    second = await discover(carol)  # carol's first: whom she knows is read, not kept yet
    await asyncio.sleep(PUBLISHED_WITHIN)
    after = counted(stack.postgres_url, db)
    assert going(second) == [["Dan", "Eli", "Fay"]] * 3
    scans = {t: after[t].scans - before[t].scans for t in ("circles", "users", "memberships")}
    assert scans["memberships"] >= 1, scans  # her own reads did happen
    assert scans["circles"] == 0, scans
    assert scans["users"] <= 1, scans  # her session's user only
