"""Why a read grows with the data: the single statements behind ``bench.datapath``'s rows, timed
at each size in one run, with PostgreSQL's plans and a profile of FerretDB.

    .venv/bin/python -m bench.datapath_probe [--sizes 10000,1000000] [--perf]

Builds the same world as ``bench.datapath`` (through the server), grows it to each size with the
server's repository code, ``VACUUM ANALYZE``s, stops the server, and then, from a client of its
own against the 40 sampled conversations:

- times each kind of lookup the hot reads make (a claim by ``_id``, a missing claim, a claims
  page, a messages page, a rev page, a participation by ``_id``, a Redis ``GET``), p50 and the
  database's CPU per call (FerretDB and PostgreSQL apart);
- times the ways a process can find a conversation's top claim it has not read yet (the walk
  from rev 1, the walk from a shared hint in Redis, fresh or stale, and from a hint document);
- logs the plan of every statement FerretDB sends for one round of those lookups
  (``auto_explain`` with ``ANALYZE`` and ``BUFFERS``) to ``plans-<size>.txt``;
- with ``--perf``, records FerretDB with ``perf`` while it serves the lookups
  (``perf-<size>.txt``).

Output goes to ``bench/results/probe-<UTC time>/``. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from pymongo import monitoring

from bench import datapath_ops as ops
from bench import procstat
from bench.datapath import DB_NAME, server_env, vacuum_analyze
from bench.datapath_world import Populator, World, build
from bench.run import RESULTS
from server.core.mongo import make_client
from server.core.redis import make_redis
from server.messages.repository import PAGE, MessageRepository, rev_id
from server.messages.tops import SharedTops
from tests.support import infra

Call = Callable[[], Awaitable[Any]]


class Counter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.n = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in ("find", "insert", "update", "findAndModify"):
            self.n += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def timed(calls: list[Call], ferret: int, pg: int) -> dict[str, float]:
    def cpu() -> tuple[float, float]:
        return (
            procstat.cpu_seconds(procstat.descendants(ferret)),
            procstat.cpu_seconds(procstat.descendants(pg)),
        )

    ms = []
    docs = 0
    c0 = cpu()
    for call in calls:
        t0 = time.perf_counter()
        got = await call()
        ms.append((time.perf_counter() - t0) * 1000)
        docs += len(got) if isinstance(got, list) else int(got is not None)
    c1 = cpu()
    ms.sort()
    n = len(ms)
    return {
        "n": n,
        "p50_ms": round(ms[n // 2], 3),
        "p90_ms": round(ms[min(n - 1, int(n * 0.9))], 3),
        "fdb_cpu_ms": round((c1[0] - c0[0]) * 1000 / n, 3),
        "pg_cpu_ms": round((c1[1] - c0[1]) * 1000 / n, 3),
        "docs_per_call": round(docs / n, 1),
    }


async def probe(
    world: World, mongo_url: str, redis_url: str, ferret: int, pg: int, rounds: int
) -> dict[str, Any]:
    """Single lookups and top-finding shapes on the sampled conversations."""
    counter = Counter()
    client = make_client(mongo_url, 60_000, [counter], pool_size=8)
    redis = make_redis(redis_url, 8)
    db = client[DB_NAME]
    revs, messages, parts = db["revs"], db["messages"], db["participants"]
    convs = [c for c, _ in ops.sample_convs(world)]
    readers = {c.id: world.user_ids[u] for c, u in ops.sample_convs(world)}
    out: dict[str, Any] = {}
    try:
        await redis.set("probe:key", "1")

        def each(make: Callable[[Any], Call]) -> list[Call]:
            return [make(c) for _ in range(rounds) for c in convs]

        lookups: dict[str, list[Call]] = {
            "claim by _id": each(lambda c: lambda: revs.find_one({"_id": rev_id(c.id, c.rev_top)})),
            "missing claim by _id": each(
                lambda c: lambda: revs.find_one({"_id": rev_id(c.id, c.rev_top + 1)})
            ),
            "claims page": each(
                lambda c: (
                    lambda: revs.find(
                        {"conversation_id": c.id, "page": c.rev_top // PAGE}
                    ).to_list()
                )
            ),
            "messages page": each(
                lambda c: (
                    lambda: messages.find(
                        {"conversation_id": c.id, "page": c.seq_top // PAGE}
                    ).to_list()
                )
            ),
            "messages rev page": each(
                lambda c: (
                    lambda: messages.find(
                        {"conversation_id": c.id, "rev_page": c.rev_top // PAGE}
                    ).to_list()
                )
            ),
            "participation by _id": each(
                lambda c: lambda: parts.find_one({"_id": f"{c.id}:{readers[c.id]}"})
            ),
            "redis GET": each(lambda c: lambda: redis.get("probe:key")),
        }
        out["lookups"] = {name: await timed(calls, ferret, pg) for name, calls in lookups.items()}

        tops = SharedTops(redis, "probe")
        await tops.publish({c.id: c.rev_top for c in convs})
        stale = SharedTops(redis, "probe-stale")
        await stale.publish({c.id: max(1, c.rev_top - 40) for c in convs})

        def shape(hints: SharedTops | None) -> list[Call]:
            def make(c: Any) -> Call:
                async def go() -> None:
                    repo = MessageRepository(db, hints)  # a process that has read nothing
                    found = await repo.top(c.id)
                    assert found == (c.rev_top, c.seq_top), (found, c.rev_top, c.seq_top)

                return go

            return [make(c) for c in convs]

        out["top"] = {}
        for name, hints in (
            ("walk from rev 1", None),
            ("walk from a Redis hint", tops),
            ("walk from a Redis hint 40 revs stale", stale),
        ):
            n0 = counter.n
            res = await timed(shape(hints), ferret, pg)
            res["lookups_per_call"] = round((counter.n - n0) / len(convs), 1)
            out["top"][name] = res
        warm = MessageRepository(db)
        for c in convs:
            await warm.top(c.id)
        n0 = counter.n
        res = await timed([lambda c=c: warm.top(c.id) for c in convs], ferret, pg)
        res["lookups_per_call"] = round((counter.n - n0) / len(convs), 1)
        out["top"]["walk from this process's top (warm)"] = res
    finally:
        await redis.aclose()
        await client.close()
    return out


def explain_round(pg_url: str, log_path: Path, world: World, mongo_url: str, out: Path) -> None:
    """Turn on auto_explain (ANALYZE, BUFFERS) for FerretDB's sessions, make one round of the
    lookups on the largest conversation and a DM, and keep the logged plans."""
    database = pg_url.rsplit("/", 1)[1]
    settings = {
        "session_preload_libraries": "auto_explain",
        "auto_explain.log_min_duration": "0",
        "auto_explain.log_analyze": "on",
        "auto_explain.log_buffers": "on",
        "auto_explain.log_timing": "on",
    }

    def set_all(on: bool) -> None:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            for k, v in settings.items():
                stmt = (
                    sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                        sql.Identifier(database), sql.Identifier(*k.split(".")), sql.Literal(v)
                    )
                    if on
                    else sql.SQL("ALTER DATABASE {} RESET {}").format(
                        sql.Identifier(database), sql.Identifier(*k.split("."))
                    )
                )
                conn.execute(stmt)
            # FerretDB's pooled sessions pick the settings up when they reconnect
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            )

    set_all(True)
    start = log_path.stat().st_size
    convs = [world.convs[0], next(c for c in world.convs if c.kind == "dm")]

    async def one_round() -> None:
        client = make_client(mongo_url, 60_000, pool_size=2)
        db = client[DB_NAME]

        async def retried(call: Call) -> None:
            for attempt in range(30):  # the first statements meet the terminated sessions
                try:
                    await call()
                    return
                except Exception:
                    await asyncio.sleep(0.05 * attempt)

        try:
            for _ in range(4):
                await retried(lambda: db["revs"].find_one({"_id": "x"}))
            for c in convs:
                for coll, query in (
                    ("revs", {"_id": rev_id(c.id, c.rev_top)}),
                    ("revs", {"conversation_id": c.id, "page": c.rev_top // PAGE}),
                    ("messages", {"conversation_id": c.id, "page": c.seq_top // PAGE}),
                    ("messages", {"conversation_id": c.id, "rev_page": c.rev_top // PAGE}),
                ):
                    await retried(partial(db[coll].find(query).to_list))
        finally:
            await client.close()

    async def settle_pool() -> None:
        """FerretDB drops a terminated session at its first error: spend those errors here."""
        client = make_client(mongo_url, 60_000, pool_size=16)
        try:
            for _ in range(3):
                for _ in await asyncio.gather(
                    *(_quietly(client[DB_NAME]["revs"].find_one, {"_id": "x"}) for _ in range(48)),
                ):
                    pass
        finally:
            await client.close()

    try:
        asyncio.run(one_round())
    finally:
        set_all(False)
        asyncio.run(settle_pool())
    with open(log_path, "rb") as f:
        f.seek(start)
        text = f.read().decode(errors="replace")
    out.write_text(
        "\n".join(line for line in text.splitlines() if database in line or line.startswith("\t"))
    )


async def _quietly(call: Callable[..., Awaitable[Any]], *args: Any) -> None:
    with contextlib.suppress(Exception):
        await call(*args)


def explain_safely(*args: Any) -> None:
    try:
        explain_round(*args)
    except Exception as exc:  # the timings matter more than the plans
        print(f"explain round failed: {exc!r}")


def perf_round(ferret: int, seconds: int, out: Path) -> subprocess.Popen[bytes] | None:
    perf = shutil.which("perf")
    if perf is None:
        return None
    return subprocess.Popen(
        [
            perf,
            "record",
            "-F",
            "499",
            "-g",
            "-p",
            str(ferret),
            "-o",
            str(out),
            "--",
            "sleep",
            str(seconds),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def perf_report(data: Path, out: Path) -> None:
    """Self time per function, then time including callees (FerretDB's Go functions)."""
    perf = shutil.which("perf")
    if perf is None or not data.exists():
        return
    parts = []
    for how in ("--no-children", "--children"):
        argv = [perf, "report", "-i", str(data), "--stdio", how, "-g", "none"]
        argv += ["--sort", "symbol", "--percent-limit", "1.5"]
        done = subprocess.run(argv, capture_output=True, text=True)
        lines = [ln.rstrip() for ln in done.stdout.splitlines() if re.match(r"^ +[0-9.]+%", ln)]
        parts.append(f"== {how}\n" + "\n".join(lines[:60]))
    out.write_text("\n\n".join(parts) + "\n")
    data.unlink(missing_ok=True)


async def amain(opts: argparse.Namespace, out_dir: Path) -> None:
    sizes = sorted(int(x) for x in opts.sizes.split(","))
    tmp = infra.temp_dir("bench-probe-")
    logs = out_dir / "logs"
    loop = asyncio.get_running_loop()
    ferret = await loop.run_in_executor(None, infra.start_ferretdb, tmp / "ferretdb", logs)
    redis = await loop.run_in_executor(None, infra.start_redis, logs)
    pg_proc = ferret.companions[0]
    env = server_env(ferret, redis, tmp / "data")
    world = World()
    result: dict[str, Any] = {"sizes": {}}
    pop: Populator | None = None
    try:
        server = await loop.run_in_executor(None, lambda: infra.start_server(env, logs))
        await build(server.url, world, print)
        server.stop()
        pop = Populator(ferret.url, DB_NAME, world, print)
        await pop.read_tops()
        world.server_made()
        for size in sizes:
            await pop.grow(size, 2000, 0.01, 3)
            vacuum_analyze(ferret.extra["postgres_url"])
            load = os.getloadavg()[0]
            spy = perf_round(ferret.popen.pid, 25, out_dir / "perf.data") if opts.perf else None
            got = await probe(
                world, ferret.url, redis.url, ferret.popen.pid, pg_proc.popen.pid, opts.rounds
            )
            if spy is not None:
                spy.wait()
                perf_report(out_dir / "perf.data", out_dir / f"perf-{size}.txt")
            got["loadavg_1min_before"] = round(load, 2)
            got["largest_conversation"] = world.convs[0].seq_top
            await loop.run_in_executor(
                None,
                explain_safely,
                ferret.extra["postgres_url"],
                pg_proc.log_path,
                world,
                ferret.url,
                out_dir / f"plans-{size}.txt",
            )
            result["sizes"][size] = got
            print(f"== {size:,} (load {load:.2f})")
            print(json.dumps(got, indent=1))
            (out_dir / "result.json").write_text(json.dumps(result, indent=1))
    finally:
        if pop is not None:
            await pop.close()
        redis.stop()
        ferret.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.datapath_probe")
    p.add_argument("--sizes", default="10000,1000000")
    p.add_argument("--rounds", type=int, default=5, help="calls per conversation and lookup")
    p.add_argument("--perf", action="store_true", help="perf-record FerretDB meanwhile")
    opts = p.parse_args()
    out_dir = RESULTS / f"probe-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    out_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(amain(opts, out_dir))
    print(f"results: {out_dir}")


if __name__ == "__main__":
    main()
