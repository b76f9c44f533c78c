"""The revenue and lifecycle pages read each circle's book and people table (reports/book.py,
people.py), kept by the rollup sweeper, instead of every activity's state and payments (at 2,000
activities that took 37 and 61 s a request: docs/performance.md, "Reports at 5,000 members").

- a payment change shows on the revenue page and the activity's report at once, while the book
  is kept behind it (a page reads the activities still marked from their sources);
- once kept, a page reads no activity, payment, ledger, membership list or day rollup
  (PostgreSQL's own index statistics of this server's database);
- the lifecycle page is paged (``limit``, ``offset``, ``total``), a bad page is refused;
- a rebuild of the books gives the same pages.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from tests.support import infra
from tests.support.activities import post_activity
from tests.support.client import Api
from tests.support.pgstats import counted
from tests.test_reports_activity import align, eventually, paid_by_transfer, signup

EUR = "EUR"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# what a page must not read once the book and the people table are kept
SOURCES = ("activity_states", "payments", "payment_events", "rollup_days")
# PostgreSQL publishes a backend's counts within its idle interval (test_reports_rollup_cost)
PUBLISHED_WITHIN = 11.0


@pytest.fixture(scope="module")
def env(stack: Any) -> dict[str, str]:
    if not stack.postgres_url:
        pytest.fail("needs the embedded stack (PostgreSQL statistics)")
    return dict(
        stack.server_env(REPORT_ROLLUP_SECONDS="0.3", PAID_ACTIVITIES_REQUIRE_VERIFICATION="0")
    )


@pytest.fixture(scope="module")
def server(stack: Any, env: dict[str, str]) -> Any:
    proc: infra.Proc = stack.start(**env)
    yield proc
    proc.stop()


def price(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": EUR}


async def revenue(api: Api, circle: dict[str, Any]) -> dict[str, Any]:
    return dict(await api.ok("GET", f"/api/circles/{circle['id']}/revenue"))


async def lifecycle(api: Api, circle: dict[str, Any], query: str = "") -> dict[str, Any]:
    return dict(await api.ok("GET", f"/api/circles/{circle['id']}/members/lifecycle{query}"))


async def activity_report(api: Api, act: dict[str, Any]) -> dict[str, Any]:
    return dict(await api.ok("GET", f"/api/activities/{act['id']}/report"))


async def kept(env: dict[str, str], circle: dict[str, Any]) -> None:
    """Until the sweeper has written the circle's book and drained its marks."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(env["MONGODB_URL"])
    try:
        db = client[env["MONGODB_DB"]]

        async def done() -> bool:
            book = await db["report_books"].find_one({"_id": circle["id"]})
            marks = await db["report_book_marks"].count_documents({"circle_id": circle["id"]})
            return book is not None and marks == 0

        await eventually(done)
    finally:
        await client.close()


async def unpack_rows(env: dict[str, str], act: dict[str, Any], check_packed: bool = False) -> int:
    """Rewrite the activity's sign-up rows as rows were stored before they were packed (one
    field each); with ``check_packed``, first check that every row is packed. How many."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(env["MONGODB_URL"], tz_aware=True)
    try:
        rows = client[env["MONGODB_DB"]]["report_signups"]
        found = [d async for d in rows.find({"activity_id": act["id"]})]
        if check_packed:
            assert all(set(d) == {"_id", "activity_id", "circle_id", "r"} for d in found), found
        for d in found:
            user_id, status, at, cancelled, offer, hold, pending, reconfirmed = json.loads(d["r"])
            when = [
                None if m is None else EPOCH + timedelta(microseconds=m)
                for m in (at, offer, hold, reconfirmed)
            ]
            await rows.replace_one(
                {"_id": d["_id"]},
                {
                    "_id": d["_id"],
                    "activity_id": d["activity_id"],
                    "circle_id": d["circle_id"],
                    "user_id": user_id,
                    "status": status,
                    "at": when[0],
                    "activity_cancelled": cancelled,
                    "offer_expires_at": when[1],
                    "hold_expires_at": when[2],
                    "reconfirm_pending": pending,
                    "reconfirmed_at": when[3],
                },
            )
        return len(found)
    finally:
        await client.close()


def index_scans(pg_url: str, db: str) -> dict[str, int]:
    """Scans of each collection of this server's database, by collection name."""
    return {name: c.scans for name, c in counted(pg_url, db).items()}


async def test_a_payment_change_shows_at_once_and_a_rebuild_agrees(
    make_user: Callable[..., Awaitable[Api]], make_sock: Any, env: dict[str, str], clock: Any
) -> None:
    d0 = align(clock)
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Paid club")
    hike = await post_activity(
        organiser, circle, d0, starts_in=timedelta(days=20), capacity=5, price=price(2000)
    )
    alice, bob = [await make_user(n, display_name=n.title()) for n in ("alice", "bob")]
    await signup(make_sock, alice, hike)
    await paid_by_transfer(organiser, alice, hike, "IBAN alice")
    await kept(env, circle)
    assert (await revenue(organiser, circle))["totals"] == [
        {"currency": EUR, "test": False, "gross": 2000, "refunds": 0, "fees": 0, "net": 2000}
    ]
    # bob's transfer reference: outstanding on the very next read, then paid on the next
    await signup(make_sock, bob, hike)
    made = await bob.post(f"/api/activities/{hike['id']}/payment", {"provider": "manual"})
    pid = made.json()["payment"]["id"]
    await bob.ok("POST", f"/api/payments/{pid}/proof", {"reference": "IBAN bob"})
    waiting = (await revenue(organiser, circle))["outstanding"]
    assert [(o["payment_id"], o["payer_name"]) for o in waiting] == [(pid, "Bob")]
    await organiser.ok("POST", f"/api/payments/{pid}/confirm", {})
    found = await revenue(organiser, circle)
    assert found["outstanding"] == []
    assert found["totals"][0]["gross"] == 4000
    # the activity's report reads its entry of the same book, as fresh
    paid = [{"currency": EUR, "test": False, "paid": 4000, "refunded": 0, "net": 4000}]
    assert (await activity_report(organiser, hike))["payments"] == paid
    await kept(env, circle)
    assert (await activity_report(organiser, hike))["payments"] == paid
    # checked in: the lifecycle page counts it once the table is kept
    clock.advance((d0 + timedelta(days=20) - clock.now()).total_seconds())
    checked = await organiser.post(
        f"/api/activities/{hike['id']}/checkin/user", {"user_id": alice.id}
    )
    assert checked.status_code == 200, checked.text

    async def attended() -> bool:
        rows = (await lifecycle(organiser, circle))["members"]
        return any(m["user_id"] == alice.id and m["rfm"]["attended"] == 1 for m in rows)

    await eventually(attended)
    await kept(env, circle)
    before = (await revenue(organiser, circle), await lifecycle(organiser, circle))
    assert before[0] == found
    assert {m["user_id"]: m["rfm"]["monetary"] for m in before[1]["members"]} == {
        organiser.id: {},
        alice.id: {EUR: 2000},
        bob.id: {EUR: 2000},
    }
    # sign-up rows stored unpacked (before this version) read the same, and a rebuild of the
    # books packs them
    history = await activity_report(organiser, hike)
    assert history["signups"] == 2
    await unpack_rows(env, hike)
    assert await activity_report(organiser, hike) == history
    # an operator's rebuild of the books gives the same pages
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "server.reports.rebuild", "--books", "--circle", circle["id"]],
        cwd=infra.ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (await revenue(organiser, circle), await lifecycle(organiser, circle)) == before
    assert await activity_report(organiser, hike) == history
    assert await unpack_rows(env, hike, check_packed=True) > 0


async def test_kept_pages_read_no_activity_payment_or_day(
    make_user: Callable[..., Awaitable[Api]],
    make_sock: Any,
    env: dict[str, str],
    stack: Any,
    clock: Any,
) -> None:
    d0 = align(clock)
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Busy club")
    acts = [
        await post_activity(
            organiser,
            circle,
            d0,
            starts_in=timedelta(days=10),
            capacity=3,
            title=f"Walk {i}",
            **({"price": price(1500)} if i % 2 else {}),
        )
        for i in range(6)
    ]
    payers = [await make_user(n) for n in ("payer1", "payer2")]
    for who in payers:
        for act in acts:
            await signup(make_sock, who, act)
            if act.get("price"):
                await paid_by_transfer(organiser, who, act, f"IBAN {who.id}")
    await kept(env, circle)

    async def counted() -> bool:
        return len((await lifecycle(organiser, circle))["members"]) == 3

    await eventually(counted)
    db, pg = env["MONGODB_DB"], stack.postgres_url
    await asyncio.sleep(PUBLISHED_WITHIN)
    before = index_scans(pg, db)
    for _ in range(3):
        found = await revenue(organiser, circle)
        await lifecycle(organiser, circle)
    await asyncio.sleep(PUBLISHED_WITHIN)
    after = index_scans(pg, db)
    spent = {t: after.get(t, 0) - before.get(t, 0) for t in SOURCES}
    assert spent == dict.fromkeys(SOURCES, 0), spent
    assert found["totals"][0]["gross"] == 2 * 3 * 1500


async def test_the_lifecycle_page_is_paged_and_a_bad_page_is_refused(
    make_user: Callable[..., Awaitable[Api]],
) -> None:
    owner = await make_user("owner")
    circle = await owner.create_circle("Many")
    people = [await make_user(f"m{i}") for i in range(4)]
    for api in people:
        await api.join(circle["id"])

    async def all_listed() -> bool:
        return (await lifecycle(owner, circle))["total"] == 5

    await eventually(all_listed)
    whole = [m["user_id"] for m in (await lifecycle(owner, circle))["members"]]
    assert whole == [owner.id, *(p.id for p in people)]  # by join
    page = await lifecycle(owner, circle, "?limit=2&offset=2")
    assert page["total"] == 5 and page["offset"] == 2
    assert [m["user_id"] for m in page["members"]] == whole[2:4]
    assert (await lifecycle(owner, circle, "?offset=5"))["members"] == []
    for query, field in (
        ("?limit=0", "limit"),
        ("?limit=501", "limit"),
        ("?limit=abc", "limit"),
        ("?offset=-1", "offset"),
    ):
        resp = await owner.get(f"/api/circles/{circle['id']}/members/lifecycle{query}")
        assert resp.status_code == 422, (query, resp.text)
        err = resp.json()["error"]
        assert err["code"] == "invalid" and field in err["details"]["fields"], (query, err)
