"""What a chat rollup of a busy circle costs: a sweep by the process that swept it last (it
knows the circle's recent days, reports/rollups.py ``_Known``) against one that must read them
(after a restart, or when another process swept last), in the same run.

    .venv/bin/python -m bench.rollup_sweep [--messages 5000] [--rounds 10] [--batch 50]

Starts FerretDB on PostgreSQL and Redis (``tests/support/infra.py``) and one Circles app in this
process (its own sweeper stopped: the script sweeps), makes a circle with a second member, and
sends ``--messages`` messages through the server (a busy day so far), swept. Then ``--rounds``
times: ``--batch`` more messages, one sweep that knows the days, ``--batch`` more, one sweep
that has forgotten them. Prints, per kind of sweep, the median and worst wall time and the CPU
seconds FerretDB and PostgreSQL spent during it, and their ratio. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

from bench import procstat
from tests.support import infra
from tests.support.chat import circle_with, say
from tests.support.security_infra import People, in_process_server


async def amain(opts: argparse.Namespace) -> None:
    tmp = infra.temp_dir("bench-rollup-")
    logs = tmp / "logs"
    loop = asyncio.get_running_loop()
    ferret = await loop.run_in_executor(None, infra.start_ferretdb, tmp / "ferretdb", logs)
    redis = await loop.run_in_executor(None, infra.start_redis, logs)
    try:
        async with in_process_server(ferret.url, redis.url, Path(tmp / "data")) as running:
            await measure(running, ferret, opts)
    finally:
        redis.stop()
        ferret.stop()


async def measure(running: Any, ferret: infra.Proc, opts: argparse.Namespace) -> None:
    keeper = running.container.rollups
    await keeper.stop()
    keeper._chat_every = 0.0  # every sweep takes the chat's news
    database = [ferret.popen.pid, *(c.popen.pid for c in ferret.companions)]
    people = People(running.url)
    try:
        owner, member = await people.user("sweep"), await people.user("sweep")
        so, sm = await people.sock(owner), await people.sock(member)
        conv = (await circle_with(owner, member))["conversation_id"]
        await keeper.sweep()

        async def send(n: int) -> None:
            for i in range(n):
                await say(so if i % 2 else sm, conv, f"{uuid.uuid4().hex[:8]} {i}?")
            await keeper._tops.drain()

        started = time.monotonic()
        await send(opts.messages)
        await keeper.sweep()
        print(
            f"circle with {opts.messages:,} messages today, swept"
            f" ({time.monotonic() - started:.0f} s)"
        )
        runs: dict[str, list[tuple[float, float]]] = {"knows the days": [], "reads the days": []}
        for _ in range(opts.rounds):
            for kind in runs:
                await send(opts.batch)
                if kind == "reads the days":
                    keeper._known.clear()
                cpu = procstat.cpu_seconds(p for pid in database for p in procstat.descendants(pid))
                t0 = time.monotonic()
                await keeper.sweep()
                wall = time.monotonic() - t0
                after = procstat.cpu_seconds(
                    p for pid in database for p in procstat.descendants(pid)
                )
                runs[kind].append((wall, after - cpu))
        print(f"{opts.rounds} sweeps each, {opts.batch} new messages before each")
        print(f"{'sweep':>16} {'wall p50 ms':>12} {'wall max ms':>12} {'DB CPU p50 ms':>14}")
        med: dict[str, tuple[float, float]] = {}
        for kind, xs in runs.items():
            walls = [w * 1000 for w, _ in xs]
            cpus = [c * 1000 for _, c in xs]
            med[kind] = (statistics.median(walls), statistics.median(cpus))
            print(f"{kind:>16} {med[kind][0]:12.1f} {max(walls):12.1f} {med[kind][1]:14.1f}")
        a, b = med["knows the days"], med["reads the days"]
        print(f"ratio (knows / reads): wall {a[0] / b[0]:.2f}, DB CPU {a[1] / max(b[1], 1e-9):.2f}")
    finally:
        await people.aclose()


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.rollup_sweep", description=__doc__)
    p.add_argument("--messages", type=int, default=5000, help="messages today before measuring")
    p.add_argument("--rounds", type=int, default=10, help="sweeps of each kind")
    p.add_argument("--batch", type=int, default=50, help="new messages before each sweep")
    asyncio.run(amain(p.parse_args()))


if __name__ == "__main__":
    main()
