"""A user's sign-ups as rows of their own (``participations``): what "for you" reads of a user's
history, one small row per sign-up, where it read every whole activity they were in (the costly
part of a cold "discover": 112 activities of 4 KB, about 90 ms of the database, at 100,000
activities). The rows must say what the activities say: sign-ups, status changes, an edit of
the time or category, and a store written before the rows existed (backfilled once)."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from pymongo import AsyncMongoClient

from server.activities.repository import ActivityRepository
from tests.support.activities import post_activity, sign_up
from tests.support.client import Api, Sock
from tests.support.discovery import discover, eventually, slug
from tests.support.pgstats import PUBLISHED_WITHIN, counted
from tests.test_sweep_cost import env, server

__all__ = ["env", "server"]  # module fixtures: this module's own database and server


async def cancel(api: Api, activity_id: str) -> None:
    sock = await Sock(api.base_url, api.token).connect()
    try:
        await sock.ok("activity:cancel", {"activity_id": activity_id})
    finally:
        await sock.close()


async def rows_and_entries(env: dict[str, str], user_id: str) -> tuple[dict[str, Any], Any]:
    """The user's rows, and what the activities themselves say of them."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(env["MONGODB_URL"], tz_aware=True)
    try:
        db = client[env["MONGODB_DB"]]
        rows = {d["activity_id"]: d async for d in db["participations"].find({"user_id": user_id})}
        truth = {}
        async for a in db["activities"].find({"participants": user_id}):
            truth[a["_id"]] = {
                "status": a["entries"][user_id]["status"],
                "starts_at": a["starts_at"],
                "ends_at": a["ends_at"],
                "category": a["category"],
                "tags": a["tags"],
            }
        shown = {
            aid: {k: r[k] for k in ("status", "starts_at", "ends_at", "category", "tags")}
            for aid, r in rows.items()
        }
        return shown, truth
    finally:
        await client.close()


async def test_the_rows_say_what_the_activities_say(
    make_user: Callable[..., Awaitable[Api]], env: dict[str, str], server: Any, clock: Any
) -> None:
    org = await make_user("org", base_url=server.url)
    bob = await make_user("bob", base_url=server.url)
    ann = await make_user("ann", base_url=server.url)
    circle = await org.create_circle("Rows")
    now = clock.now()
    walk = await post_activity(org, circle, now, title="Walk", capacity=3)
    full = await post_activity(org, circle, now, title="Full", capacity=1)
    await sign_up(bob, walk["id"])
    await sign_up(ann, full["id"])
    await sign_up(bob, full["id"])  # waitlisted
    await cancel(bob, walk["id"])
    resp = await org.request(
        "PATCH",
        f"/api/activities/{full['id']}",
        json={"category": "games", "tags": [slug("tag")]},
    )
    assert resp.status_code == 200, resp.text
    await cancel(ann, full["id"])  # bob is offered her seat

    shown, truth = await rows_and_entries(env, bob.id)
    assert set(truth) == {walk["id"], full["id"]}
    assert shown == truth
    assert truth[walk["id"]]["status"] == "cancelled"
    assert truth[full["id"]]["status"] == "offered" and truth[full["id"]]["category"] == "games"


async def test_for_you_learns_from_attended_activities_and_skips_sign_ups_reading_no_activity(
    make_user: Callable[..., Awaitable[Api]],
    env: dict[str, str],
    server: Any,
    clock: Any,
    stack: Any,
) -> None:
    """Bob attended a board-games night; a games night of a circle he is not in is "for you",
    and what he signed up for is not. His first "discover" reads his rows, not the activities
    (the old profile read every activity he was in)."""
    org = await make_user("org", base_url=server.url)
    bob = await make_user("bob", base_url=server.url)
    mine = await org.create_circle("Bob's club")
    other = await org.create_circle("Elsewhere", category="games")
    now = clock.now()
    night = await post_activity(
        org, mine, now, starts_in=timedelta(hours=1), title="Games night", capacity=5
    )
    resp = await org.request("PATCH", f"/api/activities/{night['id']}", json={"category": "games"})
    assert resp.status_code == 200, resp.text
    await sign_up(bob, night["id"])
    ticket = (await bob.get(f"/api/activities/{night['id']}/ticket")).json()
    done = await org.post(f"/api/activities/{night['id']}/checkin", {"code": ticket["code"]})
    assert done.status_code == 200 and done.json()["signup"]["status"] == "attended", done.text
    clock.advance(6 * 3600)  # the night is over
    now = clock.now()
    signed = [
        await post_activity(org, mine, now, starts_in=timedelta(days=1 + k), capacity=5)
        for k in range(4)
    ]
    for a in signed:
        await sign_up(bob, a["id"])
    suggested = await post_activity(
        org, other, now, starts_in=timedelta(days=2), title="Another games night", capacity=5
    )
    resp = await org.request(
        "PATCH", f"/api/activities/{suggested['id']}", json={"category": "games"}
    )
    assert resp.status_code == 200, resp.text
    await asyncio.sleep(1)  # after-commit work (cards) settles

    db = env["MONGODB_DB"]
    await asyncio.sleep(PUBLISHED_WITHIN)
    before = counted(stack.postgres_url, db)
    await discover(bob)  # his first: nothing of his is kept yet
    await asyncio.sleep(PUBLISHED_WITHIN)
    after = counted(stack.postgres_url, db)
    read = {
        t: (after[t].rows if t in after else 0) - (before[t].rows if t in before else 0)
        for t in ("activities", "participations")
    }
    # his five rows; no activity (the old profile read all five he was in, whole)
    assert read["participations"] >= 5 and read["activities"] <= 1, read

    async def found() -> dict[str, dict[str, Any]]:
        return {i["id"]: i for i in (await discover(bob))["for_you"]}

    items = await eventually(lambda: _with(found(), suggested["id"]))
    assert items, "the games night of another circle is suggested"
    assert "activities you attended" in (items[suggested["id"]]["reason"] or ""), items
    assert not set(items) & {a["id"] for a in signed}, "what bob signed up for is not"


async def _with(found: Any, activity_id: str) -> dict[str, Any] | None:
    got = await found
    return got if activity_id in got else None


async def test_a_store_from_before_the_rows_gets_them_once(
    make_user: Callable[..., Awaitable[Api]], env: dict[str, str], server: Any, clock: Any
) -> None:
    """Rows and marker removed (a store written by an earlier version): the reads fall back to
    the activities until the backfill has written every row, the same rows as before."""
    org = await make_user("org", base_url=server.url)
    bob = await make_user("bob", base_url=server.url)
    circle = await org.create_circle("Backfilled")
    for k in range(3):
        a = await post_activity(org, circle, clock.now(), starts_in=timedelta(days=1 + k))
        await sign_up(bob, a["id"])
    written, truth = await rows_and_entries(env, bob.id)
    assert written == truth and len(truth) == 3

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(env["MONGODB_URL"], tz_aware=True)
    try:
        db = client[env["MONGODB_DB"]]
        await db["participations"].delete_many({"user_id": bob.id})
        await db["sweep_cursor"].delete_one({"_id": "participations"})
        repo = ActivityRepository(db)
        assert await repo.participations(bob.id) is None  # not trusted until backfilled
        read = await repo.backfill_participations()
        assert read is not None and read >= 3
        assert {p.activity_id for p in await repo.participations(bob.id) or []} == set(truth)
        assert await repo.backfill_participations() is None  # once
    finally:
        await client.close()
    again, _ = await rows_and_entries(env, bob.id)
    assert again == written


async def test_a_row_never_goes_back_to_an_older_version(
    make_user: Callable[..., Awaitable[Api]], env: dict[str, str], server: Any, clock: Any
) -> None:
    """Two committers of one activity can write its rows in either order (another process, a
    retry): a row written from an older state than the one stored is not written."""
    org = await make_user("org", base_url=server.url)
    bob = await make_user("bob", base_url=server.url)
    circle = await org.create_circle("Versions")
    act = await post_activity(org, circle, clock.now())
    await sign_up(bob, act["id"])
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(env["MONGODB_URL"], tz_aware=True)
    try:
        db = client[env["MONGODB_DB"]]
        repo = ActivityRepository(db)
        latest = await repo.get(act["id"])
        assert latest is not None
        stored = await db["participations"].find_one({"_id": f"{bob.id}:{act['id']}"})
        assert stored is not None and stored["v"] == latest.version
        older = copy.deepcopy(latest)
        older.version -= 1
        older.entries[bob.id].status = "cancelled"
        await repo._write_rows(older, {bob.id})
        after = await db["participations"].find_one({"_id": f"{bob.id}:{act['id']}"})
        assert after == stored
    finally:
        await client.close()
