"""The organiser's report pages on a big circle (issue 13, "Benchmark"): 5,000 members,
1,000,000 chat messages and 2,000 activities, against the same pages of a small circle.

    .venv/bin/python -m bench.reports [--members 5000 --messages 1000000 --activities 2000]
    .venv/bin/python -m bench.reports --keep DIR      # keep the world (database) in DIR
    .venv/bin/python -m bench.reports --reuse DIR     # measure again on a kept world

Starts the embedded-equivalent stack (``tests/support/infra.py``: a private PostgreSQL 15 with
FerretDB 1.24 and the server's GIN mirrors, Redis, one Circles process), builds the world of
``bench/reports_world.py`` (history in waves over ``--days``, through the server, the bulk of the
chat through the writer's repository code), ``VACUUM ANALYZE``s, brings the rollups current the
way an operator repairs them (``python -m server.reports.rebuild --circle ID``, timed), starts a
fresh server (rollup sweeper at its default period) and, as the circles' owner over HTTP, times
each report page one request at a time (closed loop): for each page first the small circle's,
then the big circle's. Target: p99 < 200 ms per page at the big circle. Output and JSON go to
``bench/results/reports-<UTC time>/``. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench import reports_world as rw_
from bench.datapath import DB_NAME, server_env, vacuum_analyze
from bench.datapath_world import Populator
from bench.persend import table_stats
from bench.procstat import cpu_seconds, descendants
from bench.run import PRIORITY, RESULTS, ROOT, _api, boost
from tests.support import infra

TARGET_P99_MS = 200.0


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, int(q * len(s) + 0.999999) - 1))] if s else 0.0


def pages(circle: str, activity: str) -> list[tuple[str, str]]:
    return [
        ("circle report, day", f"/api/circles/{circle}/report?period=day"),
        ("circle report, week", f"/api/circles/{circle}/report?period=week"),
        ("circle report, month", f"/api/circles/{circle}/report?period=month"),
        ("member lifecycle", f"/api/circles/{circle}/members/lifecycle"),
        ("revenue", f"/api/circles/{circle}/revenue"),
        ("activity report", f"/api/activities/{activity}/report"),
    ]


async def time_page(
    s: aiohttp.ClientSession,
    path: str,
    token: str,
    n: int,
    budget_s: float,
    pids: tuple[list[int], list[int]],
    pg_url: str,
) -> dict[str, Any]:
    """``n`` requests one after another (after 3 to warm up), or fewer when ``budget_s`` runs
    out; latency per request, server / database CPU per request, and per collection the index
    scans, rows they fetched and sequential scans per request (``pg_stat_user_tables``)."""
    headers = {"Authorization": f"Bearer {token}"}
    size = 0
    for _ in range(3):
        async with s.get(path, headers=headers) as resp:
            body = await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"{path}: {resp.status} {body[:300]!r}")
            size = len(body)
    times: list[float] = []
    await asyncio.sleep(1.5)  # PostgreSQL publishes a backend's counts within a second
    stats0 = table_stats(pg_url)
    srv0, db0 = cpu_seconds(pids[0]), cpu_seconds(pids[1])
    t_start = time.monotonic()
    while len(times) < n and (time.monotonic() - t_start < budget_s or len(times) < 5):
        t0 = time.perf_counter()
        async with s.get(path, headers=headers) as resp:
            await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"{path}: {resp.status}")
        times.append((time.perf_counter() - t0) * 1000)
    k = len(times)
    srv1, db1 = cpu_seconds(pids[0]), cpu_seconds(pids[1])
    await asyncio.sleep(1.5)
    stats1 = table_stats(pg_url)
    reads = {}
    for table, after in stats1.items():
        before = stats0.get(table, (0,) * len(after))
        seq, _, idx, fetched = (after[i] - before[i] for i in range(4))
        if seq or idx:
            reads[table] = {
                "idx_scans": round(idx / k, 1),
                "rows": round(fetched / k, 1),
                "seq_scans": round(seq / k, 2),
            }
    return {
        "n": k,
        "p50_ms": round(pct(times, 0.5), 1),
        "p99_ms": round(pct(times, 0.99), 1),
        "max_ms": round(max(times), 1),
        "srv_cpu_ms": round((srv1 - srv0) * 1000 / k, 1),
        "db_cpu_ms": round((db1 - db0) * 1000 / k, 1),
        "reads_per_request": dict(sorted(reads.items(), key=lambda kv: -kv[1]["idx_scans"])),
        "bytes": size,
        "budget_hit": k < n,
    }


async def rebuild(
    loop: asyncio.AbstractEventLoop,
    env: dict[str, str],
    ferret: infra.Proc,
    big: str,
    small: str,
    saved: dict[str, Any],
    log: Any,
    books: bool = False,
    days: bool = False,
) -> dict[str, Any]:
    """The rollups (with ``books``: only the books and people tables; with ``days``: the stored
    days re-encoded as bitmaps), brought current as an operator repairs them (the server
    stopped)."""
    pg = ferret.companions[0].popen.pid

    def db_cpu() -> float:
        return cpu_seconds([ferret.popen.pid, pg, *descendants(pg)])

    load = os.getloadavg()
    db0 = db_cpu()
    t0 = time.monotonic()
    cmd = [sys.executable, "-m", "server.reports.rebuild", "--circle", big, "--circle", small]
    cmd += ["--books"] if books else []
    cmd += ["--days"] if days else []
    done = await loop.run_in_executor(
        None,
        lambda: subprocess.run(
            cmd, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True
        ),
    )
    took = time.monotonic() - t0
    db_cpu_s = db_cpu() - db0
    if done.returncode != 0:
        raise RuntimeError(f"rebuild failed: {done.stdout} {done.stderr[-3000:]}")
    log(
        f"  rollups rebuilt ({' '.join(cmd[1:])}): {took:.0f}s "
        f"({saved['messages']:,} messages, {saved['activities']:,} activities), "
        f"database CPU {db_cpu_s:.0f}s; load average before {load}, after "
        f"{os.getloadavg()}"
    )
    return {
        "seconds": round(took, 1),
        "db_cpu_s": round(db_cpu_s, 1),
        "loadavg_before": load,
        "loadavg_after": os.getloadavg(),
        "command": " ".join(cmd[1:]),
        "at": datetime.now(UTC).isoformat(),
    }


async def amain(opts: argparse.Namespace, started: datetime, out_dir: Path, log: Any) -> int:
    PRIORITY[0] = opts.nice
    loop = asyncio.get_running_loop()
    result: dict[str, Any] = {"started": started.isoformat(), "argv": sys.argv}
    result["loadavg_start"] = os.getloadavg()
    log(f"bench.reports {started:%Y-%m-%d %H:%M} UTC; load average {os.getloadavg()}")
    keep = Path(opts.reuse or opts.keep or infra.temp_dir("bench-reports-"))
    os.makedirs(keep, exist_ok=True)
    logs = out_dir / "logs"
    ferret = await loop.run_in_executor(None, infra.start_ferretdb, keep / "ferretdb", logs)
    redis = await loop.run_in_executor(None, infra.start_redis, logs)
    clock = rw_.Clock(keep / "clock")
    env = {
        **server_env(ferret, redis, keep / "data"),
        "CIRCLES_CLOCK_FILE": str(clock.path),
        "PAID_ACTIVITIES_REQUIRE_VERIFICATION": "0",
        "PAYMENT_PROVIDERS": "manual,sandbox",
        "REPORT_ROLLUP_SECONDS": "3600",  # while building: the rebuild below brings them current
    }
    port = infra.free_port()
    server: infra.Proc | None = None
    pop: Populator | None = None

    def start() -> infra.Proc:
        nonlocal server
        server = infra.start_server(env, logs, port, timeout=120)
        for pid in (ferret.popen.pid, ferret.companions[0].popen.pid, redis.popen.pid):
            boost(pid)
        boost(server.popen.pid)
        return server

    def stop() -> None:
        nonlocal server
        if server is not None:
            server.stop()
            server = None

    try:
        shape = rw_.Shape(
            members=opts.members,
            messages=opts.messages,
            activities=opts.activities,
            days=opts.days,
            waves=opts.waves,
        )
        world_file = keep / "world.json"
        if opts.reuse:
            saved = json.loads(world_file.read_text())
            big, small = saved["circle_id"], saved["small_id"]
            busy, small_act = saved["busy_id"], saved["small_activity_ids"][0]
            result["world"] = saved
            log(f"# reusing the world in {keep}: {saved['counts']}")
        else:
            rw = rw_.ReportsWorld(shape)
            t_build = time.monotonic()
            span = shape.days * 86400

            def offset(k: int) -> float:
                return -span * (1 - k / shape.waves)

            log(f"# building in {keep}: {asdict(shape)}")
            clock.set(offset(0))
            srv = await loop.run_in_executor(None, start)
            async with aiohttp.ClientSession(base_url=srv.url) as s:
                await rw_.setup(s, rw, log)
            populate_s = 0.0
            for k in range(shape.waves):
                clock.set(offset(k))
                if server is None:
                    srv = await loop.run_in_executor(None, start)
                when, nxt = clock.at(offset(k)), clock.at(offset(k + 1))
                await rw_.wave(srv.url, rw, k, when, nxt, log)
                stop()
                if pop is None:
                    pop = Populator(ferret.url, DB_NAME, rw.world, log, redis.url)
                members = await rw_.bulk_members(ferret.url, rw, when, nxt)
                upto = shape.messages * (k + 1) // shape.waves
                took = await rw_.grow_chat(
                    pop, upto, when, nxt, opts.edit_rate, shape.speakers, rw.speaking
                )
                populate_s += took
                log(
                    f"    {members:,} members; chat grown to {upto:,} messages in {took:.0f}s "
                    f"({pop.edits:,} edits)"
                )
            clock.set(0)
            vac = await loop.run_in_executor(None, vacuum_analyze, ferret.extra["postgres_url"])
            big, small, busy = rw.circle_id, rw.small_id, rw.busy_id
            small_act = rw.small_activity_ids[0]
            saved = {
                "circle_id": big,
                "small_id": small,
                "busy_id": busy,
                "small_activity_ids": rw.small_activity_ids,
                "activities": len(rw.activity_ids),
                "members": rw.joined,
                "messages": rw.world.convs[0].seq_top,
                "edits": pop.edits if pop else 0,
                "counts": rw.counts,
                "shape": asdict(shape),
                "build_s": round(time.monotonic() - t_build),
                "bulk_chat_s": round(populate_s),
                "vacuum_s": round(vac, 1),
            }
            world_file.write_text(json.dumps(saved, indent=1))
            result["world"] = saved
            log(f"  built in {saved['build_s']}s (bulk chat {populate_s:.0f}s): {rw.counts}")
        if opts.build_only:
            log(f"world kept in {keep}; measure with --reuse {keep}")
            return 0
        if not saved.get("rebuilt"):
            result["rebuild"] = await rebuild(loop, env, ferret, big, small, saved, log)
            saved["rebuilt"] = result["rebuild"]
            world_file.write_text(json.dumps(saved, indent=1))
        else:
            log(f"  rollups were rebuilt before: {saved['rebuilt']}")
        if not saved.get("books"):  # a world kept before the books existed
            result["books"] = await rebuild(loop, env, ferret, big, small, saved, log, books=True)
            saved["books"] = result["books"]
            world_file.write_text(json.dumps(saved, indent=1))
        if not saved.get("days_bitmaps"):  # a world kept before days were stored as bitmaps
            found = await rebuild(loop, env, ferret, big, small, saved, log, days=True)
            result["days_bitmaps"] = saved["days_bitmaps"] = found
            world_file.write_text(json.dumps(saved, indent=1))
        # measured on a fresh process, the sweeper at its default period
        env.pop("REPORT_ROLLUP_SECONDS")
        stop()
        srv = await loop.run_in_executor(None, start)
        await asyncio.sleep(opts.settle)
        pg = ferret.companions[0].popen.pid
        db_pids = [ferret.popen.pid, pg, *descendants(pg), redis.popen.pid]
        pids = ([srv.popen.pid], db_pids)
        timeout = aiohttp.ClientTimeout(total=600)
        rows: list[dict[str, Any]] = []
        result["loadavg_before_measuring"] = os.getloadavg()
        async with aiohttp.ClientSession(base_url=srv.url, timeout=timeout) as s:
            body = {"handle": "rp_00000", "password": "bench-password-1"}
            token = (await _api(s, "POST", "/api/auth/login", body))["token"]
            for (name, small_path), (_, big_path) in zip(
                pages(small, small_act), pages(big, busy), strict=True
            ):
                pids = ([srv.popen.pid], [ferret.popen.pid, pg, *descendants(pg), redis.popen.pid])
                pg_url = ferret.extra["postgres_url"]
                a = await time_page(s, small_path, token, opts.requests, opts.budget, pids, pg_url)
                b = await time_page(s, big_path, token, opts.requests, opts.budget, pids, pg_url)
                row = {"page": name, "small": a, "big": b}
                rows.append(row)
                log(_line(row))
                top = list(b["reads_per_request"].items())[:6]
                log(
                    "      big, per request: "
                    + ", ".join(
                        f"{t} {r['idx_scans']} idx ({r['rows']} rows)"
                        + (f" {r['seq_scans']} SEQ" if r["seq_scans"] else "")
                        for t, r in top
                    )
                )
        result["pages"] = rows
        result["loadavg_end"] = os.getloadavg()
        log(_table(rows, result))
        (out_dir / "result.json").write_text(json.dumps(result, indent=1, default=str))
        log(f"\nfull result: {out_dir / 'result.json'}")
        return 0
    finally:
        (out_dir / "result.json").write_text(json.dumps(result, indent=1, default=str))
        if pop is not None:
            with contextlib.suppress(Exception):
                await pop.close()
        stop()
        redis.stop()
        ferret.stop()
        if not (opts.keep or opts.reuse):
            shutil.rmtree(keep, ignore_errors=True)


def _line(row: dict[str, Any]) -> str:
    a, b = row["small"], row["big"]
    return (
        f"  {row['page']:<22} small n={a['n']:>3} p50 {a['p50_ms']:>7.1f} p99 {a['p99_ms']:>7.1f}"
        f" | big n={b['n']:>3} p50 {b['p50_ms']:>8.1f} p99 {b['p99_ms']:>8.1f} max "
        f"{b['max_ms']:>8.1f} srv {b['srv_cpu_ms']:>7.1f} db {b['db_cpu_ms']:>7.1f} ms/req"
    )


def _table(rows: list[dict[str, Any]], result: dict[str, Any]) -> str:
    out = [
        "\n== report pages: small circle vs big circle (ms; CPU ms per request)",
        f"  {'page':<22}{'small p50/p99':>16}{'big n':>7}{'big p50':>9}{'big p99':>9}"
        f"{'ratio p50':>10}{'ratio p99':>10}{'srv cpu':>9}{'db cpu':>9}  p99 < 200 ms",
    ]
    for row in rows:
        a, b = row["small"], row["big"]
        ok = "PASS" if b["p99_ms"] < TARGET_P99_MS and not b["budget_hit"] else "FAIL"
        out.append(
            f"  {row['page']:<22}{a['p50_ms']:>8.1f}/{a['p99_ms']:<7.1f}{b['n']:>7}"
            f"{b['p50_ms']:>9.1f}{b['p99_ms']:>9.1f}{b['p50_ms'] / a['p50_ms']:>10.1f}"
            f"{b['p99_ms'] / a['p99_ms']:>10.1f}{b['srv_cpu_ms']:>9.1f}{b['db_cpu_ms']:>9.1f}"
            f"  {ok}"
        )
    out.append(
        f"  load average before measuring {result.get('loadavg_before_measuring')}, at the end "
        f"{result.get('loadavg_end')}"
    )
    return "\n".join(out)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.reports", description=__doc__.split("\n")[0])
    p.add_argument("--members", type=int, default=5000)
    p.add_argument("--messages", type=int, default=1_000_000)
    p.add_argument("--activities", type=int, default=2000)
    p.add_argument("--days", type=int, default=150, help="the history's span, in days")
    p.add_argument("--waves", type=int, default=10)
    p.add_argument("--edit-rate", type=float, default=0.01)
    p.add_argument("--requests", type=int, default=200, help="requests per page and circle")
    p.add_argument("--budget", type=float, default=120.0, help="most seconds per page timing")
    p.add_argument("--settle", type=float, default=15.0, help="seconds after start to wait")
    p.add_argument("--keep", help="build the world in this directory and keep it")
    p.add_argument("--reuse", help="measure on a world kept with --keep")
    p.add_argument("--build-only", action="store_true", help="stop after building (with --keep)")
    p.add_argument("--nice", type=int, default=-10, help="priority of every process (0: leave)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    opts = parse_args(argv)
    started = datetime.now(UTC)
    out_dir = RESULTS / f"reports-{started:%Y%m%dT%H%M%SZ}"
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "output.txt", "w") as out_file:

        def log(msg: str) -> None:
            print(msg, flush=True)
            out_file.write(msg + "\n")
            out_file.flush()

        run = amain(opts, started, out_dir, log)
        try:
            import uvloop
        except ImportError:
            sys.exit(asyncio.run(run))
        sys.exit(uvloop.run(run))


if __name__ == "__main__":
    main()
