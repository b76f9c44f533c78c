"""What reading a busy circle's day rollups costs FerretDB, ids stored as arrays vs as one string.

    .venv/bin/python -m bench.reports_days [--ids 1500] [--days 90] [--reads 30]

Starts a private PostgreSQL + FerretDB (``tests/support/infra.py``, with the server's GIN
mirrors), stores ``--days`` day documents of one circle shaped as ``rollups_compute.day_doc``
writes them, with ``--ids`` posters and active members each, once with the ids as arrays (the
format before) and once as space-separated strings (the format after it; bench/reports_bitmaps.py
compares strings with the bitmaps days are stored as now), and times the report's read (one
``{circle_id, month}`` equality per month, ``RollupRepository.days_of_months``), with
FerretDB's and PostgreSQL's CPU per read. See docs/performance.md ("Reports at 5,000 members").
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.procstat import cpu_seconds, descendants
from server.core.mongo import make_client
from server.core.pgindex import mirror
from server.reports.rollups_compute import Day, day_doc
from server.reports.rollups_repository import INDEXES, RollupRepository
from tests.support import infra


def days(circle: str, n: int, ids: int, as_list: bool) -> list[dict[str, Any]]:
    users = [uuid.uuid4().hex for _ in range(ids)]
    start = date(2026, 7, 1)
    out = []
    for i in range(n):
        d = Day(circle, (start + timedelta(days=i)).isoformat(), posters=users, active=users)
        d.joins = [(users[i], datetime(2026, 7, 1, tzinfo=UTC))]
        doc = day_doc(d)
        if as_list:
            doc["posters"], doc["active"] = list(users), list(users)
        out.append(doc)
    return out


async def amain(opts: argparse.Namespace) -> None:
    logs = infra.temp_dir("reports-days-logs-")
    tmp = infra.temp_dir("reports-days-")
    ferret = infra.start_ferretdb(tmp / "ferretdb", logs)
    pg = ferret.companions[0].popen.pid
    client = make_client(ferret.url, 60_000)
    try:
        db = client["circles"]
        repo = RollupRepository(db)
        months = sorted({f"2026-{7 + i // 31:02d}" for i in range(opts.days)})
        circles = {as_list: uuid.uuid4().hex for as_list in (True, False)}
        for as_list, circle in circles.items():
            await db["rollup_days"].insert_many(days(circle, opts.days, opts.ids, as_list))
        await mirror(ferret.extra["postgres_url"], "circles", INDEXES)
        for as_list, circle in circles.items():
            await repo.days_of_months(circle, months)  # warm
            cpu0 = cpu_seconds([ferret.popen.pid, pg, *descendants(pg)])
            t0 = time.perf_counter()
            for _ in range(opts.reads):
                found = await repo.days_of_months(circle, months)
            wall = (time.perf_counter() - t0) * 1000 / opts.reads
            cpu = (cpu_seconds([ferret.popen.pid, pg, *descendants(pg)]) - cpu0) * 1000
            assert len(found) == opts.days and len(found[0].active) == opts.ids
            print(
                f"ids as {'arrays ' if as_list else 'strings'}: {opts.days} days of {opts.ids} "
                f"ids, {len(months)} months: {wall:.1f} ms per read, FerretDB+PostgreSQL CPU "
                f"{cpu / opts.reads:.1f} ms per read",
                flush=True,
            )
    finally:
        await client.close()
        ferret.stop()


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.reports_days", description=__doc__)
    p.add_argument("--ids", type=int, default=1500, help="posters and active members per day")
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--reads", type=int, default=30)
    asyncio.run(amain(p.parse_args()))


if __name__ == "__main__":
    main()
