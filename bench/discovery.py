"""Discovery and search at 100,000 activities in 1,000 circles, at a fixed request rate.

    .venv/bin/python -m bench.discovery [--rate 50] [--seconds 60] [--activities 100000]
    .venv/bin/python -m bench.discovery --keep DIR --build-only   # build once, keep the world
    .venv/bin/python -m bench.discovery --reuse DIR [--costs]     # measure again on it

Starts a private PostgreSQL cluster with FerretDB on it, Redis and one Circles process
(``tests/support/infra.py``); through the server registers 2,000 users, creates 1,000 circles
(every tenth private, joined by invite), joins each user to 3 circles and makes 200 users follow
10 public circles each; then writes 100,000 activities (starts spread over -120..+240 days, 12
categories, 40 tags, 70% in one of 20 cities, 0..capacity people going) and their discovery
cards with the server's own code (``bench/discovery_world.py``), and ``VACUUM ANALYZE``s.

Then an open-loop generator sends ``--rate`` requests/s for ``--seconds`` (after a warm-up of
``--warmup`` seconds at the same rate, not counted), each on a fixed schedule whatever the
server does, as one of 200 users, a mix of: the plain list, ``tag=``, ``category=``, ``q=`` (a
title word), ``near=`` (a city, 10 km), ``following=true``, ``circle=``, a second page (a
cursor), and ``/api/discover`` (half of them with ``near``). Latency is measured from the
intended send time (a server that falls behind shows as latency, not as a lower rate). Prints
p50/p99/max per request kind and overall (target: p99 < 100 ms), the server's and the
database's CPU, and the machine's load averages (the machine is shared); JSON and logs go to
``bench/results/discovery-<UTC time>/``. With ``--costs N`` it first sends each request kind
alone, N requests one at a time, and prints its server and database CPU per request and the
rows it fetched per collection. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import aiohttp

from bench import procstat
from bench.datapath import DB_NAME, server_env, vacuum_analyze
from bench.discovery_world import CATEGORIES, CITIES, TAGS, TITLE_WORDS, Populator, World, build
from bench.persend import table_stats
from bench.run import PRIORITY, RESULTS, boost
from server.activities.repository import ActivityRepository
from server.core.mongo import make_client
from server.discovery.reconcile import rebuild_marks
from server.discovery.repository import DiscoveryRepository
from tests.support import infra

MIX = {
    "list": 15,
    "tag": 10,
    "category": 10,
    "q": 15,
    "near": 10,
    "following": 5,
    "circle": 5,
    "page2": 10,
    "discover": 20,
}


WINDOW = 10.0  # seconds of send time per line of the timeline


def request_for(
    kind: str, world: World, u: int, rng: random.Random, cursors: list[str]
) -> tuple[str, dict[str, str]]:
    if kind == "tag":
        return "/api/activities", {"tag": rng.choice(TAGS)}
    if kind == "category":
        return "/api/activities", {"category": rng.choice(CATEGORIES)}
    if kind == "q":
        return "/api/activities", {"q": rng.choice(TITLE_WORDS)}
    if kind == "near":
        lat, lng = rng.choice(CITIES)
        return "/api/activities", {"near": f"{lat:.4f},{lng:.4f}", "radius_km": "10"}
    if kind == "following":
        return "/api/activities", {"following": "true"}
    if kind == "circle":
        c = rng.choice([c for c, m in world.members.items() if u in m] or [1])
        return "/api/activities", {"circle": world.circle_ids[c]}
    if kind == "page2" and cursors:
        return "/api/activities", {"cursor": rng.choice(cursors)}
    if kind == "discover":
        if rng.random() < 0.5:
            lat, lng = rng.choice(CITIES)
            return "/api/discover", {"near": f"{lat:.4f},{lng:.4f}", "radius_km": "10"}
        return "/api/discover", {}
    return "/api/activities", {}


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


async def drive(
    url: str, world: World, rate: float, seconds: float, rng: random.Random, cursors: list[str]
) -> dict[str, Any]:
    """Open loop: request i is due at start + i/rate, sent then whatever came back before."""
    kinds = [k for k, w in MIX.items() for _ in range(w)]
    n = int(rate * seconds)
    lat: dict[str, list[float]] = {k: [] for k in MIX}
    errors: dict[str, int] = {k: 0 for k in MIX}
    items: dict[str, list[int]] = {k: [] for k in MIX}
    timeline: list[tuple[float, float]] = []  # (due, from the first request; latency ms)
    conn = aiohttp.TCPConnector(limit=400)
    async with aiohttp.ClientSession(base_url=url, connector=conn) as s:
        start = time.monotonic() + 0.2
        tasks = []

        async def one(due: float, kind: str, u: int) -> None:
            path, params = request_for(kind, world, u, rng, cursors)
            headers = {"Authorization": f"Bearer {world.tokens[u]}"}
            try:
                async with s.get(path, params=params, headers=headers) as resp:
                    body = await resp.read()
                    took = time.monotonic() - due
                    if resp.status != 200:
                        errors[kind] += 1
                        return
                got = json.loads(body)
                if "items" in got:
                    items[kind].append(len(got["items"]))
                    if got.get("next_cursor") and len(cursors) < 500:
                        cursors.append(got["next_cursor"])
                else:
                    items[kind].append(sum(len(x["items"]) for x in got["sections"]))
                lat[kind].append(took * 1000)
                timeline.append((due - start, took * 1000))
            except Exception:
                errors[kind] += 1

        for i in range(n):
            due = start + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(
                asyncio.create_task(
                    one(due, rng.choice(kinds), rng.randrange(min(200, world.users)))
                )
            )
        await asyncio.gather(*tasks)
        wall = time.monotonic() - start
    return {
        "lat": lat,
        "errors": errors,
        "items": items,
        "wall": wall,
        "sent": n,
        "timeline": timeline,
    }


def report(res: dict[str, Any], log: Any) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    log(f"  {'kind':<10}{'n':>6}{'err':>5}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'items':>7}")
    everything: list[float] = []
    for kind in MIX:
        v = res["lat"][kind]
        everything += v
        its = res["items"][kind]
        rows[kind] = {
            "n": len(v),
            "errors": res["errors"][kind],
            "p50_ms": round(pct(v, 0.5), 1),
            "p99_ms": round(pct(v, 0.99), 1),
            "max_ms": round(max(v, default=0), 1),
            "mean_items": round(sum(its) / len(its), 1) if its else 0,
        }
        r = rows[kind]
        log(
            f"  {kind:<10}{r['n']:>6}{r['errors']:>5}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
            f"{r['max_ms']:>9.1f}{r['mean_items']:>7.1f}"
        )
    rows["all"] = {
        "n": len(everything),
        "p50_ms": round(pct(everything, 0.5), 1),
        "p99_ms": round(pct(everything, 0.99), 1),
        "max_ms": round(max(everything, default=0), 1),
    }
    a = rows["all"]
    windows: dict[int, list[float]] = {}
    for due, ms in res.get("timeline", []):
        windows.setdefault(int(due // WINDOW), []).append(ms)
    rows["windows"] = [
        {
            "from_s": w * WINDOW,
            "n": len(v),
            "p50_ms": round(pct(v, 0.5), 1),
            "p99_ms": round(pct(v, 0.99), 1),
        }
        for w, v in sorted(windows.items())
    ]
    worst = max(r["p99_ms"] for k, r in rows.items() if k in MIX)
    log(f"  {'all':<10}{a['n']:>6}{'':>5}{a['p50_ms']:>9.1f}{a['p99_ms']:>9.1f}{a['max_ms']:>9.1f}")
    log(
        "  p50/p99 ms by send time, per "
        f"{WINDOW:.0f} s: "
        + ", ".join(f"{w['p50_ms']:.0f}/{w['p99_ms']:.0f}" for w in rows["windows"])
    )
    log(
        f"  target p99 < 100 ms per request kind: {'PASS' if worst < 100 else 'FAIL'} "
        f"(worst kind {worst:.1f} ms)"
    )
    return rows


def save_world(path: Path, world: World) -> None:
    path.write_text(json.dumps(asdict(world)))


def load_world(path: Path) -> World:
    saved = json.loads(path.read_text())
    saved["members"] = {int(c): m for c, m in saved["members"].items()}
    return World(**saved)


async def costs(
    url: str,
    world: World,
    pids: tuple[list[int], list[int]],
    pg_url: str,
    n: int,
    log: Any,
) -> dict[str, Any]:
    """Each request kind alone, ``n`` requests one at a time (new random parameters each): the
    latency, the server's and the database's CPU per request, and per collection the index
    scans and the rows they fetched per request (``pg_stat_user_tables``; PostgreSQL publishes
    a backend's counts at most once a second, and after 10 s of idleness at the latest)."""
    out: dict[str, Any] = {}
    rng = random.Random(11)
    cursors: list[str] = []
    log(f"  {'kind':<10}{'p50 ms':>8}{'srv ms':>8}{'db ms':>8}  reads per request")
    async with aiohttp.ClientSession(base_url=url) as s:
        for kind in MIX:
            times: list[float] = []
            await asyncio.sleep(11)
            stats0 = table_stats(pg_url)
            srv0, db0 = procstat.cpu_seconds(pids[0]), procstat.cpu_seconds(pids[1])
            for _ in range(n):
                u = rng.randrange(min(200, world.users))
                path, params = request_for(kind, world, u, rng, cursors)
                headers = {"Authorization": f"Bearer {world.tokens[u]}"}
                t0 = time.perf_counter()
                async with s.get(path, params=params, headers=headers) as resp:
                    body = await resp.read()
                times.append((time.perf_counter() - t0) * 1000)
                got = json.loads(body)
                if got.get("next_cursor") and len(cursors) < 500:
                    cursors.append(got["next_cursor"])
            srv1, db1 = procstat.cpu_seconds(pids[0]), procstat.cpu_seconds(pids[1])
            await asyncio.sleep(11)
            stats1 = table_stats(pg_url)
            reads: dict[str, Any] = {}
            for table, after in stats1.items():
                before = stats0.get(table, (0,) * len(after))
                seq, _, idx, fetched = (after[i] - before[i] for i in range(4))
                if seq or idx:
                    reads[table] = [round(idx / n, 1), round(fetched / n, 1), round(seq / n, 2)]
            reads = dict(sorted(reads.items(), key=lambda kv: -kv[1][1]))
            row = {
                "p50_ms": round(pct(times, 0.5), 1),
                "srv_cpu_ms": round((srv1 - srv0) * 1000 / n, 1),
                "db_cpu_ms": round((db1 - db0) * 1000 / n, 1),
                "reads": reads,
            }
            out[kind] = row
            shown = ", ".join(
                f"{t} {v[0]:g} scans/{v[1]:g} rows" + (f"/{v[2]:g} seq" if v[2] else "")
                for t, v in reads.items()
            )
            log(
                f"  {kind:<10}{row['p50_ms']:>8.1f}{row['srv_cpu_ms']:>8.1f}"
                f"{row['db_cpu_ms']:>8.1f}  {shown}"
            )
    return out


async def settle(db_pids: list[int], log: Any, limit: float = 600.0) -> float:
    """Wait until the database has been quiet (under a tenth of a core) for three seconds in a
    row: a fresh process's start-up work (the report rollups' first pass over every circle) is
    not what is measured. Returns the seconds waited."""
    t0 = time.monotonic()
    quiet = 0
    while quiet < 3 and time.monotonic() - t0 < limit:
        before = procstat.cpu_seconds(db_pids)
        await asyncio.sleep(1.0)
        quiet = quiet + 1 if procstat.cpu_seconds(db_pids) - before < 0.1 else 0
    waited = time.monotonic() - t0
    log(f"  the database was quiet after {waited:.0f}s (start-up work of the fresh process)")
    return waited


async def repair(keep: Path, mongo_url: str, log: Any) -> None:
    """One-off repairs of a world kept by an earlier version: marks kept by month and year
    (``python -m server.discovery.reconcile --marks`` does the same to a server's store), and
    the sign-ups' rows (``participations``)."""
    done_file = keep / "repairs.json"
    done = json.loads(done_file.read_text()) if done_file.exists() else {}
    client: Any = make_client(mongo_url, 600_000, [], 8)
    try:
        if not done.get("mark_parts"):
            t0 = time.monotonic()
            n = await rebuild_marks(DiscoveryRepository(client[DB_NAME]))
            log(f"  marks of {n:,} cards written by part in {time.monotonic() - t0:.0f}s (one-off)")
            done["mark_parts"] = True
        if not done.get("participations"):
            # what the server's sweeper does once at start-up for a store that predates the
            # rows, done here before the measuring starts
            t0 = time.monotonic()
            read = await ActivityRepository(client[DB_NAME]).backfill_participations()
            took = time.monotonic() - t0
            log(f"  sign-up rows of {read or 0:,} activities written in {took:.0f}s (one-off)")
            done["participations"] = True
    finally:
        await client.close()
    done_file.write_text(json.dumps(done))


def _open_log(path: Path) -> TextIO:
    return open(path, "w")


async def amain(opts: argparse.Namespace) -> int:
    started = datetime.now(UTC)
    out_dir = RESULTS / f"discovery-{started:%Y%m%dT%H%M%SZ}"
    logs = out_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    out = _open_log(out_dir / "output.txt")

    def log(msg: str) -> None:
        print(msg, flush=True)
        out.write(msg + "\n")
        out.flush()

    PRIORITY[0] = opts.nice
    log(
        f"bench.discovery {started:%Y-%m-%d %H:%M} UTC: {opts.activities:,} activities over "
        f"{opts.span_days:g} days, "
        f"{opts.rate}/s for {opts.seconds}s; load averages {os.getloadavg()}"
    )
    keep = Path(opts.reuse or opts.keep or infra.temp_dir("bench-discovery-"))
    os.makedirs(keep, exist_ok=True)
    loop = asyncio.get_running_loop()
    ferret = await loop.run_in_executor(None, infra.start_ferretdb, keep / "ferretdb", logs)
    redis = await loop.run_in_executor(None, infra.start_redis, logs)
    env = server_env(ferret, redis, keep / "data")
    if opts.reuse:  # before the server starts, which would otherwise do the same work at once
        await repair(keep, ferret.url, log)
    server = await loop.run_in_executor(None, lambda: infra.start_server(env, logs))
    pg = ferret.companions[0].popen.pid
    for pid in (ferret.popen.pid, pg, redis.popen.pid, server.popen.pid):
        boost(pid)
    world_file = keep / "world.json"
    result: dict[str, Any] = {"started": started.isoformat(), "argv": sys.argv}
    try:
        if opts.reuse:
            world = load_world(world_file)
            log(f"# reusing the world in {keep}: {world.activities:,} activities")
        else:
            world = World(
                users=opts.users,
                circles=opts.circles,
                activities=opts.activities,
                span_days=opts.span_days,
            )
            log("# set-up through the server")
            await build(server.url, world, log)
            log(f"# {opts.activities:,} activities and their cards (server's own code)")
            pop = Populator(ferret.url, DB_NAME, world, opts.states)
            try:
                took = await pop.fill(log)
            finally:
                await pop.close()
            vac = await loop.run_in_executor(None, vacuum_analyze, ferret.extra["postgres_url"])
            log(f"  written in {took:.0f}s; VACUUM ANALYZE {vac:.0f}s")
            result["populate_s"] = round(took, 1)
            save_world(world_file, world)
            if opts.build_only:
                log(f"world kept in {keep}; measure with --reuse {keep}")
                return 0
        server.stop()  # measured on a fresh process, as after a deploy (nothing cached yet)
        server = await loop.run_in_executor(None, lambda: infra.start_server(env, logs))
        boost(server.popen.pid)
        db_pids = [ferret.popen.pid, *procstat.descendants(pg), pg]
        result["settle_s"] = [round(await settle(db_pids, log))]
        if opts.costs:
            log(f"# each kind alone, {opts.costs} requests one at a time (fresh process)")
            pids = ([server.popen.pid], db_pids)
            result["costs"] = await costs(
                server.url, world, pids, ferret.extra["postgres_url"], opts.costs, log
            )
            server.stop()  # the rate run below starts on a fresh process again
            server = await loop.run_in_executor(None, lambda: infra.start_server(env, logs))
            boost(server.popen.pid)
            db_pids = [ferret.popen.pid, *procstat.descendants(pg), pg]
            result["settle_s"].append(round(await settle(db_pids, log)))
        rng = random.Random(5)
        cursors: list[str] = []
        log(f"# warm-up {opts.warmup}s at {opts.rate}/s (not counted)")
        await drive(server.url, world, opts.rate, opts.warmup, rng, cursors)
        db_pids = [ferret.popen.pid, *procstat.descendants(pg), pg]
        stats0 = table_stats(ferret.extra["postgres_url"])
        cpu0 = procstat.cpu_seconds([server.popen.pid]), procstat.cpu_seconds(db_pids)
        log(f"# measured: {opts.rate}/s for {opts.seconds}s; load averages {os.getloadavg()}")
        res = await drive(server.url, world, opts.rate, opts.seconds, rng, cursors)
        cpu1 = procstat.cpu_seconds([server.popen.pid]), procstat.cpu_seconds(db_pids)
        result["rows"] = report(res, log)
        await asyncio.sleep(11)
        stats1 = table_stats(ferret.extra["postgres_url"])
        fetched = {
            t: round((a[3] - stats0.get(t, a)[3]) / res["sent"], 1) for t, a in stats1.items()
        }
        top = sorted(((v, t) for t, v in fetched.items() if v), reverse=True)[:6]
        log("  rows fetched per request: " + ", ".join(f"{t} {v:g}" for v, t in top))
        result["rows_fetched_per_request"] = dict((t, v) for v, t in top)
        srv, db = (cpu1[0] - cpu0[0]) / res["wall"], (cpu1[1] - cpu0[1]) / res["wall"]
        log(
            f"  sent {res['sent']} in {res['wall']:.1f}s; CPU: server {srv:.2f} cores, "
            f"FerretDB+PostgreSQL {db:.2f} cores; load averages after {os.getloadavg()}"
        )
        result.update(cpu_server=round(srv, 2), cpu_db=round(db, 2), load=os.getloadavg())
    finally:
        server.stop()
        redis.stop()
        ferret.stop()
        (out_dir / "result.json").write_text(json.dumps(result, indent=2, default=str))
        out.close()
    return 0


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rate", type=float, default=50)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--warmup", type=float, default=10)
    p.add_argument("--activities", type=int, default=100_000)
    p.add_argument("--users", type=int, default=2000)
    p.add_argument(
        "--span-days",
        type=float,
        default=360,
        help="days the starts spread over; fewer activities over fewer days keep the density",
    )
    p.add_argument(
        "--states",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also write the committed activity states (not read by discovery)",
    )
    p.add_argument("--circles", type=int, default=1000)
    p.add_argument("--nice", type=int, default=0, help="renice the measured processes (root)")
    p.add_argument("--keep", help="build the world in this directory and keep it")
    p.add_argument("--reuse", help="measure on a world kept with --keep")
    p.add_argument("--build-only", action="store_true", help="with --keep: build, then stop")
    p.add_argument(
        "--costs",
        type=int,
        default=0,
        metavar="N",
        help="first time each request kind alone, N requests one at a time",
    )
    opts = p.parse_args(argv)
    sys.exit(asyncio.run(amain(opts)))


if __name__ == "__main__":
    main()
