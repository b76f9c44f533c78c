"""On the embedded stack the search index's tables are UNLOGGED (core/pgindex.py ``unlog``): their
writes skip PostgreSQL's write-ahead log. A crash of PostgreSQL empties them, and the server
rebuilds the index from the log (search/guard.py): here PostgreSQL is crashed under a running
server (an immediate shutdown, which leaves crash recovery to the next start), the supervisor
restarts it, and a search across conversations finds every message again; the messages
themselves, logged, were never lost."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from server.core.pgindex import METADATA_TABLE
from server.core.postgres import DATABASE, PG_USER
from tests.conftest import FAST_LIMITS, LOGS
from tests.support import infra
from tests.support.chat import history, say
from tests.support.client import Api, connect, register

pytestmark = pytest.mark.slow

SCHEMA = "circles"  # MONGODB_DB's default: FerretDB's schema for the server's database


@pytest.fixture
def data_dir() -> Iterator[Path]:
    path = infra.temp_dir("circles-unlogged-")  # the cluster's user must reach it
    yield path
    shutil.rmtree(path, ignore_errors=True)


def postmaster(data_dir: Path) -> tuple[int, int]:
    """The running cluster's postmaster pid and port (its postmaster.pid)."""
    lines = (data_dir / "postgres" / "data" / "postmaster.pid").read_text().splitlines()
    return int(lines[0]), int(lines[3])


def persistence(data_dir: Path) -> dict[str, str]:
    """Collection → its table's relpersistence ('p' logged, 'u' unlogged)."""
    _, port = postmaster(data_dir)
    password = (data_dir / "postgres" / "password").read_text().strip()
    url = f"postgres://{PG_USER}:{password}@127.0.0.1:{port}/{DATABASE}"
    with psycopg.connect(url) as conn:
        tables = dict(
            conn.execute(
                sql.SQL("SELECT _jsonb ->> '_id', _jsonb ->> 'table' FROM {}").format(
                    sql.Identifier(SCHEMA, METADATA_TABLE)
                )
            ).fetchall()
        )
        out = {}
        for collection in ("search_docs", "search_marks", "messages"):
            row = conn.execute(
                "SELECT c.relpersistence FROM pg_class c JOIN pg_namespace n"
                " ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s",
                (SCHEMA, tables[collection]),
            ).fetchone()
            assert row is not None, collection
            out[collection] = row[0]
        return out


async def found(api: Api, q: str, restarting: bool = False) -> set[str] | None:
    """The ids a search across conversations finds. ``restarting``: None if the request failed
    (while PostgreSQL restarts, FerretDB answers the server's reads with an internal error)."""
    got = await api.get("/api/search", params={"q": q})
    if restarting and got.status_code in (500, 503):
        return None
    assert got.status_code == 200, got.text
    return {r["message_id"] for r in got.json()["results"]}


async def test_a_postgres_crash_empties_the_unlogged_index_and_the_server_rebuilds_it(
    data_dir: Path,
) -> None:
    env = {
        **FAST_LIMITS,
        "DATA_DIR": str(data_dir),
        "MONGODB_URL": "",
        "SEARCH_INDEX_CHECK_SECONDS": "1",
    }
    server = infra.start_server(env, LOGS, timeout=120)
    try:
        owner = await register(server.url, "crash")
        room = await owner.create_circle("Crash survivors")
        sock = await connect(server.url, owner)
        try:
            sent = {
                (await say(sock, room["conversation_id"], f"pangolin {i}"))["id"]
                for i in range(5)
            }
        finally:
            await sock.close()
        assert await found(owner, "pangolin") == sent
        assert persistence(data_dir) == {"search_docs": "u", "search_marks": "u", "messages": "p"}

        pid, _ = postmaster(data_dir)
        os.kill(pid, signal.SIGQUIT)  # immediate shutdown: the next start recovers from a crash
        deadline = time.monotonic() + 120
        while True:
            assert time.monotonic() < deadline, "the index was not rebuilt after the crash"
            if "whole again" in server.log() and await found(owner, "pangolin", True) == sent:
                break
            await asyncio.sleep(0.5)
        log = server.log()
        # the crash did empty the index, and the guard (not a change or a search) rebuilt it
        assert "the search index may lack conversations; rebuilding it" in log
        assert "embedded PostgreSQL restarted" in log
        sock = await connect(server.url, owner)
        try:  # the messages themselves are logged: all there
            kept = {m["id"] for m in await history(sock, room["conversation_id"])}
        finally:
            await sock.close()
        assert sent <= kept
    finally:
        server.stop()
