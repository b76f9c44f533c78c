"""A day's sign-ups are read without PostgreSQL fetching the day's other facts.

Every report sweep of a circle with news reads the sign-ups of today and the day before afresh
(``RollupRepository.signups_of_day``: an equality on ``circle_id``, ``day`` and ``kind``).
FerretDB v1 pushes the three equalities down, but the GIN mirrors (core/pgindex.py) covered
``(circle_id, day)`` at most, so PostgreSQL fetched every fact of the day (one per message) and
dropped all but the sign-ups. Counted with PostgreSQL's own statistics of the collection's table,
once the table has planner statistics (autovacuum's ANALYZE; without them the planner may pick
any of the mirrors)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from server.core import pgindex
from server.core.mongo import ensure_indexes, make_client
from server.reports.rollups import signup_fact
from server.reports.rollups_compute import Fact
from server.reports.rollups_repository import INDEXES, RollupRepository
from tests.support.pgstats import PUBLISHED_WITHIN, counted

MESSAGES = 300


def _analyze(pg_url: str, schema: str) -> None:
    """Planner statistics for the facts' table, as autovacuum keeps them in a live database."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        row = conn.execute(
            f'SELECT _jsonb->>\'table\' FROM "{schema}"._ferretdb_database_metadata '
            "WHERE _jsonb->>'_id' = 'rollup_facts'"
        ).fetchone()
        assert row is not None
        conn.execute(f'ANALYZE "{schema}"."{row[0]}"')


async def test_a_days_signups_fetch_the_signups_alone(stack: Any) -> None:
    if not stack.postgres_url:
        pytest.fail("needs the embedded stack (PostgreSQL statistics)")
    client = make_client(stack.mongo_url, 5000, [], pool_size=4)
    db = client[f"t_{uuid.uuid4().hex[:12]}"]
    try:
        repo = RollupRepository(db)
        circle, at = uuid.uuid4().hex, datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
        facts = [
            Fact(f"m:{i}", circle, "msg", f"u{i % 20}", at + timedelta(seconds=i), seq=i + 1)
            for i in range(MESSAGES)
        ]
        await repo.add_facts([*facts, signup_fact(circle, "act", "u1", at)])
        await ensure_indexes(db, INDEXES)
        await pgindex.mirror(stack.postgres_url, db.name, INDEXES)
        _analyze(stack.postgres_url, db.name)

        await asyncio.sleep(PUBLISHED_WITHIN)
        before = counted(stack.postgres_url, db.name)["rollup_facts"].rows
        signups = await repo.signups_of_day(circle, "2026-12-06")
        await asyncio.sleep(PUBLISHED_WITHIN)
        read = counted(stack.postgres_url, db.name)["rollup_facts"].rows - before

        assert [f.kind for f in signups] == ["signup"]
        assert read < 10, f"{read} rows fetched for one sign-up among {MESSAGES} facts"
        assert len(await repo.facts_of_day(circle, "2026-12-06")) == MESSAGES + 1
    finally:
        await client.drop_database(db.name)
        await client.close()
