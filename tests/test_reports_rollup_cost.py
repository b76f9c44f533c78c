"""What keeping the circle report's rollups costs the database (issue 13, item 6; measured at
5,000 members and 1,000,000 messages in docs/performance.md, "Reports at 5,000 members"):

- a sweep stores the facts of new messages in one batch insert per sync page, not one lookup
  and write per message (which cost the chat benchmark's send rate 40% with the sweeper on);
- a newcomer who has already posted on a day after the day they joined is not a newcomer to
  look up again: their whole history in the circle is not read for every later day (a rebuild
  of a busy circle read hundreds of facts per newcomer and day).

The first is counted with PostgreSQL's own statistics of this server's database
(``pg_stat_user_indexes``), the second with the server's own counter of history reads
(``circles_report_history_reads``): PostgreSQL may serve a day's facts, an equality on
``(circle_id, day)``, from the ``(circle_id, user_id)`` index too (two fresh-clone runs counted
9 scans of it and none of the day index), so its scans do not say which read was made.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support import infra
from tests.support.chat import say
from tests.support.client import Api
from tests.test_reports_circle import align, until

METRICS_TOKEN = "metrics-" + uuid.uuid4().hex


async def history_reads(url: str) -> float:
    """How many whole poster histories the server's rollups have read (its own counter: which
    of the facts' indexes PostgreSQL picks for a query is its planner's choice, so index scans
    cannot tell a history read from a day read)."""
    async with httpx.AsyncClient(timeout=30) as http:
        resp = await http.get(
            url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        )
    assert resp.status_code == 200, resp.text
    for family in text_string_to_metric_families(resp.text):
        for sample in family.samples:
            if sample.name == "circles_report_history_reads_total":
                return float(sample.value)
    raise AssertionError("no circles_report_history_reads_total series")


@pytest.fixture(scope="module")
def env(stack: Any) -> dict[str, str]:
    if not stack.postgres_url:
        pytest.fail("needs the embedded stack (PostgreSQL statistics)")
    return dict(stack.server_env(REPORT_ROLLUP_SECONDS="0.3", METRICS_TOKEN=METRICS_TOKEN))


@pytest.fixture(scope="module")
def server(stack: Any, env: dict[str, str]) -> Any:
    proc: infra.Proc = stack.start(**env)
    yield proc
    proc.stop()


def fact_index_scans(pg_url: str, db: str) -> dict[str, int]:
    """Index scans of each index of ``rollup_facts`` in this server's database, by the fields
    the index covers (``_id``, ``circle_id_day``, ``circle_id_user_id``...)."""
    with psycopg.connect(pg_url) as conn:
        table = conn.execute(
            f"SELECT _jsonb->>'table' FROM \"{db}\"._ferretdb_database_metadata "
            "WHERE _jsonb->>'_id' = 'rollup_facts'"
        ).fetchone()
        assert table is not None
        rows = conn.execute(
            "SELECT indexrelname, idx_scan FROM pg_stat_user_indexes "
            "WHERE schemaname = %s AND relname = %s",
            (db, table[0]),
        ).fetchall()
    out: dict[str, int] = {}
    for name, scans in rows:
        key = "circle_id_user" if "user" in name else "circle_id_day" if "day" in name else "_id"
        out[key] = out.get(key, 0) + int(scans)
    return out


# A backend publishes its counts at the end of a statement, but at most once a second: what it
# counted within a second of its last publication waits until it has been idle for
# PGSTAT_IDLE_INTERVAL (10 s, src/backend/utils/activity/pgstat.c). A shorter wait let a
# lookup made on day 2 land among day 4's counts (a fresh-clone CI run).
PUBLISHED_WITHIN = 11.0


async def settled(pg_url: str, db: str) -> dict[str, int]:
    """The counts once PostgreSQL has published every backend's."""
    await asyncio.sleep(PUBLISHED_WITHIN)
    return fact_index_scans(pg_url, db)


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items()}


async def test_a_sweep_stores_new_messages_facts_without_a_lookup_each(
    make_user: Callable[..., Awaitable[Api]], make_sock: Any, env: dict[str, str], stack: Any
) -> None:
    owner = await make_user("owner")
    circle = await owner.create_circle("Chatty")
    bob = await make_user("bob")
    await bob.join(circle["id"])
    sock = await make_sock(bob)
    conv = circle["conversation_id"]
    await say(sock, conv, "hello")
    await until(owner, circle, {"period": "day"}, lambda r: r["buckets"][-1]["messages"] == 1)
    db, pg = env["MONGODB_DB"], stack.postgres_url
    before = await settled(pg, db)
    for i in range(150):
        await say(sock, conv, f"line {i}")
    await until(owner, circle, {"period": "day"}, lambda r: r["buckets"][-1]["messages"] == 151)
    spent = delta(await settled(pg, db), before)
    # one lookup by _id per message before (150 and more); now the batch insert looks nothing up
    assert spent.get("_id", 0) < 20, spent


async def test_a_newcomer_who_has_spoken_since_joining_is_not_looked_up_again(
    make_user: Callable[..., Awaitable[Api]],
    make_sock: Any,
    server: Any,
    clock: Any,
) -> None:
    d1 = align(clock)
    owner = await make_user("owner")
    circle = await owner.create_circle("Welcoming")
    carol = await make_user("carol")
    await carol.join(circle["id"])
    sock = await make_sock(carol)
    conv = circle["conversation_id"]
    day = {"period": "day"}

    def said(n: int) -> Callable[[dict[str, Any]], bool]:
        return lambda r: r["buckets"][-1]["messages"] == n

    await say(sock, conv, "hi all, new here")  # day 1: her first message since joining
    first = await until(owner, circle, day, said(1))
    assert first["buckets"][-1]["reply_speed"]["prompts"] == 1
    clock.advance((d1 + timedelta(days=1) - clock.now()).total_seconds())
    await say(sock, conv, "morning")  # day 2: no longer her first
    await until(owner, circle, day, said(1))
    clock.advance((d1 + timedelta(days=3) - clock.now()).total_seconds())  # day 3: silent
    await asyncio.sleep(1)  # sweeps of a quiet day
    before = await history_reads(server.url)
    for text in ("day four", "still here", "ok"):  # day 4: several sweeps of her messages
        await say(sock, conv, text)
        await asyncio.sleep(0.5)
    found = await until(owner, circle, day, said(3))
    # she spoke on day 2, after her join day: her history is not read for day 4 (nor day 3)
    assert await history_reads(server.url) == before
    assert found["buckets"][-1]["reply_speed"]["prompts"] == 0  # and nothing is a prompt
    days = await until(owner, circle, {**day, "from": d1.date().isoformat()}, said(3))
    assert [b["reply_speed"]["prompts"] for b in days["buckets"][:4]] == [1, 0, 0, 0]


async def test_chat_news_alone_waits_for_the_chat_period_and_a_join_does_not(
    make_user: Callable[..., Awaitable[Api]], make_sock: Any, stack: Any
) -> None:
    """``REPORT_CHAT_ROLLUP_SECONDS``: each bringing-up of a busy circle rewrites its day from
    all the day's facts, so news of its chat alone is taken at most that often (here 20 s);
    a join, which changes the member count, is taken at the next sweep, and the chat with it."""
    proc: infra.Proc = stack.start(
        **stack.server_env(REPORT_ROLLUP_SECONDS="0.3", REPORT_CHAT_ROLLUP_SECONDS="20")
    )
    try:
        owner = await make_user("owner", base_url=proc.url)
        circle = await owner.create_circle("Throttled")
        carol = await make_user("carol", base_url=proc.url)
        await carol.join(circle["id"])
        sock = await make_sock(carol, base_url=proc.url)
        conv = circle["conversation_id"]
        day = {"period": "day"}

        def said(n: int) -> Callable[[dict[str, Any]], bool]:
            return lambda r: r["buckets"][-1]["messages"] == n

        await say(sock, conv, "first")  # the circle's first bringing-up in this process...
        await until(owner, circle, day, said(1))
        await say(sock, conv, "second")  # ... so this one waits
        await asyncio.sleep(1.5)  # five sweeps
        found = await until(owner, circle, day, lambda r: True)
        assert found["buckets"][-1]["messages"] == 1
        dave = await make_user("dave", base_url=proc.url)
        await dave.join(circle["id"])  # the member count moved: taken now, with the chat
        joined = await until(owner, circle, day, said(2), timeout=10)
        assert joined["buckets"][-1]["joined"] == found["buckets"][-1]["joined"] + 1
        await say(sock, conv, "third")
        await asyncio.sleep(1.5)
        assert (await until(owner, circle, day, lambda r: True))["buckets"][-1]["messages"] == 2
        await until(owner, circle, day, said(3), timeout=60)  # once 20 s have passed
    finally:
        proc.stop()
