"""What PostgreSQL counted per collection of one FerretDB database (``pg_stat_user_tables``),
for tests that check what a request or a background task reads.

PostgreSQL publishes a backend's counts at the end of a statement, at most once a second, and
what was counted within a second of the last publication only once the backend has been idle
for 10 s: read the counts 11 s after the work (``PUBLISHED_WITHIN``)."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

PUBLISHED_WITHIN = 11.0


@dataclass(frozen=True)
class Counted:
    scans: int  # index and sequential scans
    rows: int  # rows handed out by them


def counted(pg_url: str, db: str) -> dict[str, Counted]:
    """Per collection (by its name) of database ``db``."""
    with psycopg.connect(pg_url) as conn:
        tables = dict(
            conn.execute(
                f"SELECT _jsonb->>'table', _jsonb->>'_id' FROM \"{db}\"._ferretdb_database_metadata"
            ).fetchall()
        )
        rows = conn.execute(
            "SELECT relname, coalesce(idx_scan, 0) + coalesce(seq_scan, 0), "
            "coalesce(idx_tup_fetch, 0) + coalesce(seq_tup_read, 0) "
            "FROM pg_stat_user_tables WHERE schemaname = %s",
            (db,),
        ).fetchall()
    return {tables[t]: Counted(int(s), int(r)) for t, s, r in rows if t in tables}
