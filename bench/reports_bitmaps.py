"""What reading a busy circle's day rollups costs, posters and active members stored as strings of
ids (before) vs as bitmaps over the circle's numbering (now).

    .venv/bin/python -m bench.reports_bitmaps [--members 5000] [--ids 1500] [--days 90 180]
                                              [--reads 30]

Starts a private PostgreSQL + FerretDB (``tests/support/infra.py``, with the server's GIN
mirrors) and stores, per ``--days`` value, that many day documents of one circle with ``--ids``
posters and active members each (a random sample of ``--members`` a day), once as
space-separated strings (``rollups_compute.day_doc`` without a numbering) and once as the
sweeper writes them now (``RollupRepository.put_days``: bitmaps, one numbering version). Then
times the report's read (``RollupRepository.days_of_months``: one ``{circle_id, month}``
equality per month; the numbering, immutable, kept in the process after the first read) with
FerretDB's and PostgreSQL's CPU and this process's CPU per read, the latter also with every
day's active members made a mask as the report does (``circle_cohorts.Days``). See
docs/performance.md ("Reports at 5,000 members").
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import bson

from bench.procstat import cpu_seconds, descendants
from server.core.mongo import make_client
from server.core.pgindex import mirror
from server.reports.circle_cohorts import Days
from server.reports.rollups_compute import Day, day_doc
from server.reports.rollups_days import months_between
from server.reports.rollups_repository import INDEXES, RollupRepository
from tests.support import infra

START = date(2026, 1, 1)


def make_days(circle: str, n: int, members: list[str], ids: int) -> list[Day]:
    rnd = random.Random(n)
    out = []
    for i in range(n):
        active = sorted(rnd.sample(members, ids))
        d = Day(circle, (START + timedelta(days=i)).isoformat(), posters=active, active=active)
        d.joins = [(members[i], datetime(2026, 1, 1, tzinfo=UTC))]
        d.members = len(members)
        out.append(d)
    return out


async def measure(
    repo: RollupRepository, circle: str, months: list[str], opts: argparse.Namespace, db: Any
) -> tuple[float, float, float, float]:
    """ms per read: wall, FerretDB+PostgreSQL CPU, this process's CPU, and the latter with
    every day's active members made a mask."""
    ferret, pg = db
    pids = [ferret, pg, *descendants(pg)]
    await repo.days_of_months(circle, months)  # warm (and the numbering read once)
    cpu0, own0, t0 = cpu_seconds(pids), time.process_time(), time.perf_counter()
    for _ in range(opts.reads):
        found = await repo.days_of_months(circle, months)
    wall = (time.perf_counter() - t0) * 1000 / opts.reads
    cpu = (cpu_seconds(pids) - cpu0) * 1000 / opts.reads
    own = (time.process_time() - own0) * 1000 / opts.reads
    assert len(found[0].active) == opts.ids
    own1 = time.process_time()
    for _ in range(opts.reads):
        days = Days({d.day: d for d in found})
        days.active(START, START + timedelta(days=len(found)))
    masks = (time.process_time() - own1) * 1000 / opts.reads
    return wall, cpu, own, own + masks


async def amain(opts: argparse.Namespace) -> None:
    logs = infra.temp_dir("reports-bitmaps-logs-")
    tmp = infra.temp_dir("reports-bitmaps-")
    ferret = infra.start_ferretdb(tmp / "ferretdb", logs)
    pg = ferret.companions[0].popen.pid
    client = make_client(ferret.url, 60_000)
    members = [uuid.uuid4().hex for _ in range(opts.members)]
    try:
        db = client["circles"]
        await mirror(ferret.extra["postgres_url"], "circles", INDEXES)
        print(
            f"{opts.members} members, {opts.ids} posters and active members a day, "
            f"{opts.reads} reads each (ms per read)",
            flush=True,
        )
        for n in opts.days:
            months = months_between(START.isoformat(), (START + timedelta(days=n - 1)).isoformat())
            old, new = uuid.uuid4().hex, uuid.uuid4().hex
            await db["rollup_days"].insert_many(
                [day_doc(d) for d in make_days(old, n, members, opts.ids)]
            )
            writer = RollupRepository(db)
            await writer.put_days(new, make_days(new, n, members, opts.ids))
            stored = await db["rollup_days"].find_one({"_id": f"{new}:{START.isoformat()}"})
            before = await db["rollup_days"].find_one({"_id": f"{old}:{START.isoformat()}"})
            assert stored is not None and before is not None
            rows = {}
            for name, circle in (("strings", old), ("bitmaps", new)):
                rows[name] = await measure(
                    RollupRepository(db), circle, months, opts, (ferret.popen.pid, pg)
                )
                wall, cpu, own, masks = rows[name]
                print(
                    f"  {n} days as {name}: wall {wall:.1f}, FerretDB+PostgreSQL CPU {cpu:.1f}, "
                    f"server CPU {own:.1f} (with the report's masks {masks:.1f})",
                    flush=True,
                )
            (w0, c0, _, m0), (w1, c1, _, m1) = rows["strings"], rows["bitmaps"]
            print(
                f"  {n} days, strings/bitmaps: wall x{w0 / w1:.1f}, database CPU x{c0 / c1:.1f}, "
                f"server CPU with masks x{m0 / m1:.1f}; a day document "
                f"{_size(before)} -> {_size(stored)} bytes",
                flush=True,
            )
    finally:
        await client.close()
        ferret.stop()


def _size(doc: dict[str, Any]) -> int:
    return len(bson.encode(doc))


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.reports_bitmaps", description=__doc__)
    p.add_argument("--members", type=int, default=5000, help="members numbered")
    p.add_argument("--ids", type=int, default=1500, help="posters and active members per day")
    p.add_argument("--days", type=int, nargs="+", default=[90, 180])
    p.add_argument("--reads", type=int, default=30)
    asyncio.run(amain(p.parse_args()))


if __name__ == "__main__":
    main()
