"""Reads as the data grows: the data path at 10,000 / 100,000 / 1,000,000 stored messages.

    .venv/bin/python -m bench.datapath [--sizes 10000,100000,1000000] [--samples 200]

Starts the embedded-equivalent stack (a private PostgreSQL cluster with FerretDB on it, Redis,
one Circles process: ``tests/support/infra.py``), then through the server: registers 1,000
users, creates 200 public circles of 20 members (each user in 4), opens 800 DMs (1,000
conversations in all), posts an activity in each of the 20 largest circles with three sign-ups,
and sends the first 3 messages of every conversation. Then for each size it stops the server,
grows the conversations to the size with the server's own repository code (the writer's claim
then insert, 1% of messages edited the way an edit is stored), ``VACUUM ANALYZE``s (what
autovacuum does in production after a while), restarts the server (a fresh process), reads a
sample of the history back through it (seqs dense, texts as written), and times one call at a
time: ``history`` (newest page, first read of a conversation by the process, then warm; a deep
page), ``sync`` from 20 revs back (both also on the 20 largest circles alone, whose pages are
full at every size, so those rows return as many messages at each size), ``conversations``, the
socket handshake, joining a circle, opening a new DM, ``GET /api/activities/{id}``; then a
connection storm of every user at once on a freshly restarted server. Messages go to the
conversations by Zipf's law (weight 1/rank, circles first): at 1,000,000 the largest circle
holds about 130,000.

Prints a table per size and the growth from the smallest to the largest size (target: at most
1.5x; storm at the largest size under 10 s). Output and JSON go to
``bench/results/datapath-<UTC time>/``. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from bench import datapath_ops as ops
from bench.datapath_world import Populator, World, build
from bench.run import PRIORITY, RESULTS, ROOT, boost
from tests.support import infra

DB_NAME = "circles"


def server_env(ferret: infra.Proc, redis: infra.Proc, data: Path) -> dict[str, str]:
    return {
        "MONGODB_URL": ferret.url,
        "FERRETDB_POSTGRESQL_URL": ferret.extra["postgres_url"],
        "MONGODB_DB": DB_NAME,
        "REDIS_URL": redis.url,
        "DATA_DIR": str(data),
        "SECRET_KEY": "bench-secret-key-bench-secret-key",
        "SEED_DEMO": "0",
        "LOG_LEVEL": "warning",
        # the benchmark's users are many calls from one address: budgets out of the way
        "RATE_LIMIT_SCALE": "100000",
        "RATE_LIMIT_MESSAGES_PER_MINUTE": "100000000",
        "RATE_LIMIT_AUTH_PER_MINUTE": "100000000",
        # registration is set-up, not measured: cheap hashing
        "PASSWORD_TIME_COST": "1",
        "PASSWORD_MEMORY_KIB": "8192",
    }


def _git() -> tuple[str, list[str]]:
    """The commit measured, and the server files that differ from it (read-only git calls)."""

    def run(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout

    status = run("status", "--short", "--", "server")
    files = [line[3:] for line in status.splitlines() if line.strip()]
    return run("rev-parse", "--short", "HEAD").strip(), files


def vacuum_analyze(pg_url: str) -> float:
    t0 = time.monotonic()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return time.monotonic() - t0


def table(size: int, res: dict[str, ops.OpResult], storm: dict[str, Any]) -> list[str]:
    lines = [
        f"\n== {size:,} messages",
        f"  {'operation':<24}{'n':>5}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'srv cpu':>9}{'db cpu':>8}{'of fdb':>8}{'msgs':>6}  (CPU ms per call; fdb: FerretDB; "
        "msgs: messages returned per call)",
    ]
    for op in ops.OPS:
        s = res[op].summary()
        lines.append(
            f"  {op:<24}{s['n']:>5}{s['p50_ms']:>9.1f}{s['p99_ms']:>9.1f}{s['max_ms']:>9.1f}"
            f"{s['srv_cpu_ms']:>9.1f}{s['db_cpu_ms']:>8.1f}{s['fdb_cpu_ms']:>8.1f}"
            f"{'' if s['docs_per_call'] is None else format(s['docs_per_call'], '.1f'):>6}"
        )
    lines.append(
        f"  storm: {storm['connected']}/{storm['clients']} connected in {storm['seconds']} s"
    )
    return lines


def growth(results: dict[int, dict[str, Any]]) -> list[str]:
    sizes = sorted(results)
    lo, hi = sizes[0], sizes[-1]
    lines = [f"\n== growth {lo:,} -> {hi:,} (target <= 1.5x)"]
    lines.append(f"  {'operation':<24}{'p50':>16}{'ratio':>7}{'p99':>18}{'ratio':>7}  verdict")
    for op in ops.OPS:
        a, b = results[lo]["ops"][op], results[hi]["ops"][op]
        r50, r99 = b["p50_ms"] / a["p50_ms"], b["p99_ms"] / a["p99_ms"]
        verdict = "PASS" if max(r50, r99) <= 1.5 else "FAIL"
        lines.append(
            f"  {op:<24}{a['p50_ms']:>7.1f} ->{b['p50_ms']:>6.1f}{r50:>7.2f}"
            f"{a['p99_ms']:>8.1f} ->{b['p99_ms']:>7.1f}{r99:>7.2f}  {verdict}"
        )
    st = results[hi]["storm"]
    ok = st["seconds"] < 10 and st["connected"] == st["clients"]
    lines.append(
        f"  storm at {hi:,}: {st['connected']}/{st['clients']} in {st['seconds']} s "
        f"(target < 10 s): {'PASS' if ok else 'FAIL'}"
    )
    return lines


async def amain(opts: argparse.Namespace, started: datetime, out_dir: Path, out_file: Any) -> int:

    def log(msg: str) -> None:
        print(msg, flush=True)
        out_file.write(msg + "\n")
        out_file.flush()

    PRIORITY[0] = opts.nice
    sizes = sorted(int(x) for x in opts.sizes.split(","))
    commit, dirty = _git()
    log(f"bench.datapath {started:%Y-%m-%d %H:%M} UTC, sizes {sizes}, {out_dir}")
    log(
        f"commit {commit}"
        + (f", uncommitted changes in {len(dirty)} server file(s)" if dirty else "")
    )
    tmp = infra.temp_dir("bench-datapath-")
    logs = out_dir / "logs"
    loop = asyncio.get_running_loop()
    ferret = await loop.run_in_executor(None, infra.start_ferretdb, tmp / "ferretdb", logs)
    redis = await loop.run_in_executor(None, infra.start_redis, logs)
    procs: list[infra.Proc] = [ferret, redis]
    env = server_env(ferret, redis, tmp / "data")
    port = infra.free_port()
    world = World()
    result: dict[str, Any] = {
        "started": started.isoformat(),
        "argv": sys.argv,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "commit": commit,
        "uncommitted_server_files": dirty,
        "sizes": {},
    }
    pop: Populator | None = None
    server: infra.Proc | None = None

    async def restart() -> tuple[infra.Proc, ops.Pids]:
        nonlocal server
        if server is not None:
            server.stop()
        server = await loop.run_in_executor(None, lambda: infra.start_server(env, logs, port))
        pg = ferret.companions[0].popen.pid
        for pid in (ferret.popen.pid, pg, redis.popen.pid, server.popen.pid):
            boost(pid)
        return server, ops.Pids(server.popen.pid, [ferret.popen.pid, pg, redis.popen.pid])

    try:
        srv, pids = await restart()
        log("# set-up through the server")
        t0 = time.monotonic()
        await build(srv.url, world, log)
        result["setup_s"] = round(time.monotonic() - t0, 1)
        pop = Populator(ferret.url, DB_NAME, world, log, redis.url)
        await pop.read_tops()
        world.server_made()
        for stage, size in enumerate(sizes):
            log(f"\n# growing to {size:,} messages (server stopped)")
            assert server is not None
            server.stop()
            server = None
            took = await pop.grow(size, opts.chunk, opts.edit_rate, opts.writers)
            vac = await loop.run_in_executor(None, vacuum_analyze, ferret.extra["postgres_url"])
            biggest = world.convs[0].seq_top
            log(
                f"  grew to {size:,} in {took:.0f}s ({pop.edits:,} edits so far); largest "
                f"conversation {biggest:,} messages; VACUUM ANALYZE {vac:.0f}s"
            )
            srv, pids = await restart()
            await ops.verify(srv.url, world, log)
            srv, pids = await restart()  # measured on a process that has read nothing yet
            load = os.getloadavg()[0]
            res = await ops.measure(srv.url, world, pids, stage, opts.samples)
            srv, pids = await restart()
            st = await ops.storm(srv.url, world, pids, log)
            if opts.profile:  # once more, recorded (the measured storm runs without py-spy)
                srv, pids = await restart()
                spy = out_dir / f"profile-storm-{size}.txt"
                st["profiled"] = await ops.storm(srv.url, world, pids, log, spy)
            result["sizes"][size] = {
                "populate_s": round(took, 1),
                "vacuum_s": round(vac, 1),
                "largest_conversation": biggest,
                "loadavg_1min_before": round(load, 2),
                "edits_total": pop.edits,
                "ops": {op: r.summary() for op, r in res.items()},
                "storm": st,
            }
            log(f"\n(load average before measuring: {load:.2f})")
            for line in table(size, res, st):
                log(line)
            (out_dir / "result.json").write_text(json.dumps(result, indent=1))
        if len(sizes) > 1:
            for line in growth(result["sizes"]):
                log(line)
        result["finished"] = datetime.now(UTC).isoformat()
        (out_dir / "result.json").write_text(json.dumps(result, indent=1))
        log(f"\nfull result: {out_dir / 'result.json'}")
        return 0
    finally:
        if pop is not None:
            with contextlib.suppress(Exception):
                await pop.close()
        if server is not None:
            server.stop()
        for p in procs:
            p.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.datapath", description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="10000,100000,1000000", help="stored messages, comma list")
    p.add_argument("--samples", type=int, default=200, help="calls per operation (about)")
    p.add_argument("--chunk", type=int, default=2000, help="messages per bulk write")
    p.add_argument("--writers", type=int, default=3, help="concurrent bulk writers")
    p.add_argument("--edit-rate", type=float, default=0.01, help="share of bulk messages edited")
    p.add_argument(
        "--profile",
        action="store_true",
        help="py-spy the server during each storm (pip install py-spy)",
    )
    p.add_argument("--nice", type=int, default=-10, help="priority of every process (0: leave)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    opts = parse_args(argv)
    started = datetime.now(UTC)
    out_dir = RESULTS / f"datapath-{started:%Y%m%dT%H%M%SZ}"
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "output.txt", "w") as out_file:
        run = amain(opts, started, out_dir, out_file)
        try:
            import uvloop
        except ImportError:
            sys.exit(asyncio.run(run))
        sys.exit(uvloop.run(run))


if __name__ == "__main__":
    main()
