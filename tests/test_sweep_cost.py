"""The deadline sweeper reads the hour at hand, not every activity with a deadline ahead.

Every process sweeps once a second (here every 0.2 s). Before, the sweep asked for
``{has_deadline: true}``, which every upcoming activity matches (its sign-up deadline is ahead),
so each sweep read them all: at 100,000 activities FerretDB spent its two cores on it
(bench.discovery, docs/performance.md "Discovery"). Now each deadline carries its hour and a
sweep reads the hours from where the last complete sweep stood, which the database keeps, so a
process started after a pause still finds what fell due meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.support import infra
from tests.support.activities import post_activity
from tests.support.client import Api, Sock
from tests.support.pgstats import PUBLISHED_WITHIN, counted
from tests.test_reports_activity import align


@pytest.fixture(scope="module")
def env(stack: Any) -> dict[str, str]:
    if not stack.postgres_url:
        pytest.fail("needs the embedded stack (PostgreSQL statistics)")
    return dict(stack.server_env())


@pytest.fixture(scope="module")
def server(stack: Any, env: dict[str, str]) -> Iterator[infra.Proc]:
    proc: infra.Proc = stack.start(**env)
    yield proc
    proc.stop()


def rows_read(pg_url: str, db: str, collection: str) -> int:
    """Rows PostgreSQL handed out of ``collection``'s table (index and sequential reads)."""
    found = counted(pg_url, db).get(collection)
    return found.rows if found else 0


async def test_a_sweep_reads_none_of_the_activities_whose_deadlines_are_days_ahead(
    make_user: Callable[..., Awaitable[Api]], env: dict[str, str], stack: Any, clock: Any
) -> None:
    d0 = align(clock)
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Busy club")
    for k in range(30):
        await post_activity(organiser, circle, d0, starts_in=timedelta(days=3, hours=k))
    await asyncio.sleep(PUBLISHED_WITHIN)  # what creating them read is counted before
    before = rows_read(stack.postgres_url, env["MONGODB_DB"], "activities")
    await asyncio.sleep(6 + PUBLISHED_WITHIN)  # about 80 sweeps
    read = rows_read(stack.postgres_url, env["MONGODB_DB"], "activities") - before
    # the old sweep read all 30 on every sweep (about 2,400 rows here)
    assert read < 30, f"the sweeps read {read} activity rows in 17 s"


async def test_a_hold_that_ran_out_while_no_process_swept_expires_on_the_next_start(
    stack: Any, env: dict[str, str], server: infra.Proc, clock: Any
) -> None:
    from tests.support.client import register

    d0 = align(clock)
    organiser = await register(server.url, "host")
    alice = await register(server.url, "alice")
    circle = await organiser.create_circle("Paid walks")
    price = {"amount": 1200, "currency": "EUR"}
    act = await post_activity(
        organiser, circle, d0, starts_in=timedelta(days=5), capacity=1, price=price
    )
    sock = await Sock(server.url, alice.token).connect()
    held = (await sock.ok("activity:signup", {"activity_id": act["id"]}))["signup"]
    assert held["status"] == "pending_payment"
    await sock.close()
    server.stop()  # nobody sweeps while the hold (15 minutes) runs out, hours ago
    clock.advance(5 * 3600)
    again = stack.start(**env)
    try:
        watcher = Api(again.url, organiser.token, organiser.user)
        for _ in range(100):
            got = await watcher.ok("GET", f"/api/activities/{act['id']}")
            if got["activity"]["held_count"] == 0:
                break
            await asyncio.sleep(0.1)
        assert got["activity"]["held_count"] == 0, got["activity"]
        await watcher.aclose()
    finally:
        again.stop()
        await organiser.aclose()
        await alice.aclose()
