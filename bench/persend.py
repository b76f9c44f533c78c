"""What one ``message:send`` costs the database, per collection: reads and writes per send.

    .venv/bin/python -m bench.persend [--sends 100]

Starts a private PostgreSQL + FerretDB, Redis and one Circles process (``tests/support/infra.py``),
makes two users and a circle, sends 20 messages to warm up, then ``--sends`` more one at a time,
and prints per collection the deltas of PostgreSQL's ``pg_stat_user_tables`` divided by the
number of sends: sequential scans, rows they read, index scans, rows fetched by them, inserts and
updates. See docs/performance.md ("Chat benchmark after these changes").
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from pathlib import Path

import psycopg

from tests.support import infra
from tests.support.client import Sock, register

COLUMNS = "seq_scan, seq_tup_read, idx_scan, idx_tup_fetch, n_tup_ins, n_tup_upd"


def table_stats(pg_url: str) -> dict[str, tuple[int, ...]]:
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            "SELECT relname, coalesce(seq_scan, 0), coalesce(seq_tup_read, 0), "
            "coalesce(idx_scan, 0), coalesce(idx_tup_fetch, 0), n_tup_ins, n_tup_upd "
            "FROM pg_stat_user_tables"
        ).fetchall()
        names = dict(
            conn.execute(
                "SELECT _jsonb->>'table', _jsonb->>'_id' FROM circles._ferretdb_database_metadata"
            ).fetchall()
        )
    return {names.get(r[0], r[0]): tuple(int(x) for x in r[1:]) for r in rows}


async def amain(sends: int) -> None:
    logs = Path(infra.temp_dir("persend-logs-"))
    tmp = infra.temp_dir("persend-")
    ferret = infra.start_ferretdb(tmp / "ferretdb", logs)
    redis = infra.start_redis(logs)
    pg_url = ferret.extra["postgres_url"]
    env = {
        "MONGODB_URL": ferret.url,
        "FERRETDB_POSTGRESQL_URL": pg_url,
        "MONGODB_DB": "circles",
        "REDIS_URL": redis.url,
        "DATA_DIR": str(tmp / "data"),
        "SECRET_KEY": "persend-secret-key-persend-secret-key",
        "SEED_DEMO": "0",
        "LOG_LEVEL": "warning",
        "RATE_LIMIT_SCALE": "100000",
        "RATE_LIMIT_MESSAGES_PER_MINUTE": "100000000",
        "PASSWORD_TIME_COST": "1",
        "PASSWORD_MEMORY_KIB": "8192",
    }
    server = infra.start_server(env, logs)
    try:
        alice, bob = await register(server.url, "alice"), await register(server.url, "bob")
        circle = await alice.create_circle("Per send")
        await bob.join(circle["id"])
        conv = circle["conversation_id"]
        sock = await Sock(server.url, alice.token).connect()
        listener = await Sock(server.url, bob.token).connect()

        async def send(n: int) -> None:
            for i in range(n):
                body = {"conversation_id": conv, "client_id": uuid.uuid4().hex, "text": f"m{i}"}
                await sock.ok("message:send", body)

        await send(20)
        await asyncio.sleep(1.5)  # background work of the warm-up done, statistics flushed
        before = table_stats(pg_url)
        await send(sends)
        await asyncio.sleep(2.5)  # PostgreSQL flushes table statistics at most once a second
        after = table_stats(pg_url)
        print(f"per send ({sends} sends): {COLUMNS}")
        for name in sorted(after):
            old = before.get(name, (0,) * 6)
            delta = [round((a - b) / sends, 2) for a, b in zip(after[name], old, strict=True)]
            if any(delta):
                print(f"  {name:<28}{delta}")
        await sock.close()
        await listener.close()
        await alice.aclose()
        await bob.aclose()
    finally:
        server.stop()
        redis.stop()
        ferret.stop()


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.persend", description=__doc__.split("\n")[0])
    p.add_argument("--sends", type=int, default=100)
    asyncio.run(amain(p.parse_args().sends))


if __name__ == "__main__":
    main()
