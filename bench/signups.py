"""Sign-up benchmark: N users sign up at once for one activity through two server processes.

    .venv/bin/python -m bench.signups [--users 1000] [--capacity 100] [--processes 2]

Starts FerretDB, Redis and the Circles processes itself, registers the users, connects one raw
Socket.IO websocket each (alternating between processes), then sends every `activity:signup` at
the same moment and reports the time until the last answer, p50/p99 ack latency, and the final
counts checked against the invariants (exactly `capacity` seated, the rest waitlisted with
positions 1..N-capacity).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.support import infra
from tests.support.activities import post_activity
from tests.support.client import Api, register
from tests.support.rawsio import RawSocket


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def _profile(pid: int, seconds: int, out: Path) -> asyncio.subprocess.Process:
    from bench import profile as prof

    return await asyncio.create_subprocess_exec(
        *prof.record_argv(pid, seconds, out),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def run(
    users: int, capacity: int, processes: int, profile: int = 0, strangers: bool = False
) -> dict[str, object]:
    tmp = infra.temp_dir("bench-signups-")
    logs = tmp / "logs"
    ferret = infra.start_ferretdb(tmp / "ferretdb", logs)
    redis = infra.start_redis(logs)
    env = {
        "MONGODB_URL": ferret.url,
        "FERRETDB_POSTGRESQL_URL": ferret.extra["postgres_url"],
        "MONGODB_DB": "bench",
        "REDIS_URL": redis.url,
        "DATA_DIR": str(tmp / "data"),
        "SECRET_KEY": "bench-secret",
        "SEED_DEMO": "0",
        "RATE_LIMIT_AUTH_PER_MINUTE": "1000000",
        "LOG_LEVEL": "warning",
        "DB_TIMEOUT_MS": "20000",
        "PASSWORD_TIME_COST": "1",
        "PASSWORD_MEMORY_KIB": "8192",
    }
    servers = [infra.start_server(env, logs) for _ in range(processes)]
    urls = [s.url for s in servers]
    try:
        organiser = await register(urls[0], "organiser")
        circle = await organiser.create_circle("Benchmark")
        act = await post_activity(organiser, circle, datetime.now(UTC), capacity=capacity)
        t0 = time.perf_counter()
        sem = asyncio.Semaphore(16)

        async def make(i: int) -> Api:
            async with sem:
                api = await register(urls[i % processes], f"b{i}")
                if not strangers:  # members of the circle, as people reading its chat are
                    await api.join(circle["id"])
                await api.aclose()
                return api

        people = await asyncio.gather(*[make(i) for i in range(users)])
        setup_s = time.perf_counter() - t0
        csem = asyncio.Semaphore(64)

        async def connect(i: int, api: Api) -> RawSocket:
            async with csem:
                return await RawSocket(urls[i % processes], api.token or "").connect()

        socks = await asyncio.gather(*[connect(i, p) for i, p in enumerate(people)])
        latencies: list[float] = []

        async def signup(sock: RawSocket) -> dict[str, object]:
            start = time.perf_counter()
            reply = await sock.call("activity:signup", {"activity_id": act["id"]}, timeout=120)
            latencies.append(time.perf_counter() - start)
            return dict(reply)

        spy = None
        out = Path(__file__).parent / "results" / "profile-signups.txt"
        if profile:
            out.parent.mkdir(exist_ok=True)
            spy = await _profile(servers[0].popen.pid, profile, out)
            await asyncio.sleep(1.0)  # py-spy attaches
        start = time.perf_counter()
        replies = await asyncio.gather(*[signup(s) for s in socks])
        all_answered_s = time.perf_counter() - start
        if spy is not None:
            await spy.wait()
            from bench import profile as prof

            for line in prof.format_summary(prof.summarise(out), top=25):
                print(line)
        ok = [r for r in replies if r.get("ok")]
        statuses = [r["data"]["signup"]["status"] for r in ok]  # type: ignore[index]
        positions = sorted(
            r["data"]["signup"]["waitlist_position"]
            for r in ok  # type: ignore[index]
            if r["data"]["signup"]["status"] == "waitlisted"
        )  # type: ignore[index]
        detail = (await organiser.get(f"/api/activities/{act['id']}")).json()["activity"]
        await asyncio.gather(*[s.close() for s in socks])
        await organiser.aclose()
        result: dict[str, object] = {
            "users": users,
            "capacity": capacity,
            "processes": processes,
            "members_before": not strangers,
            "register_and_setup_s": round(setup_s, 2),
            "all_answered_s": round(all_answered_s, 3),
            "ack_p50_ms": round(statistics.median(latencies) * 1000, 1),
            "ack_p99_ms": round(pct(latencies, 99) * 1000, 1),
            "errors": len(replies) - len(ok),
            "error_samples": sorted(
                {json.dumps(r.get("error")) for r in replies if not r.get("ok")}
            )[:3],
            "confirmed": statuses.count("confirmed"),
            "waitlisted": statuses.count("waitlisted"),
            "positions_dense": positions == list(range(1, users - capacity + 1)),
            "activity_counts": [
                detail["confirmed_count"],
                detail["held_count"],
                detail["waitlist_count"],
            ],
        }
        result["invariants_hold"] = (
            result["errors"] == 0
            and result["confirmed"] == capacity
            and result["waitlisted"] == users - capacity
            and bool(result["positions_dense"])
            and result["activity_counts"] == [capacity, 0, users - capacity]
        )
        return result
    finally:
        for s in servers:
            s.stop()
        redis.stop()
        ferret.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--capacity", type=int, default=100)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument(
        "--profile", type=int, default=0, metavar="SECONDS", help="py-spy the first process"
    )
    parser.add_argument(
        "--strangers",
        action="store_true",
        help="users are not members yet: each sign-up joins the public circle on the way",
    )
    args = parser.parse_args()
    result = asyncio.run(
        run(args.users, args.capacity, args.processes, args.profile, args.strangers)
    )
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"signups-{int(time.time())}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
