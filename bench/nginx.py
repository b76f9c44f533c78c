"""Circles behind nginx: one process direct, then 1, 2 and 4 processes behind nginx, same run.

    .venv/bin/python -m bench.nginx [--processes 1,2,4] [--no-direct] [bench.run options...]

Reuses bench/run.py whole: its provisioning (``start_circles``: FerretDB on PostgreSQL, Redis,
the cached users and circles), its load generator pool, and its ``Runner`` (ladder, drain,
latency, CPU). What this adds is the serving tier: further ``python -m server`` processes with
exactly the environment of the first one (same database, Redis and secret), and nginx in front,
configured by deploy/nginx_conf.py through tests/support/nginx.py as the test suite runs it.
The load generator's clients are websocket-only (one connection per session), so they need no
affinity cookie; nginx balances them over the processes (least connections).

Configurations run in order of process count, and a process only exists once a configuration
needs it: an idle extra process would still decode every Redis publish and take CPU from the
measured one. "srv cpu%" and "µs/del" sum every Circles process; nginx's CPU is counted with the
infrastructure ("db cpu%" column) and shown separately in the summary. Everything goes to
``bench/results/nginx-<UTC time>/`` (output.txt, result.json, logs/). See docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import procstat
from bench import run as bench
from tests.support import infra
from tests.support.nginx import Nginx, nginx_binary, start_nginx

START_TIMEOUT = 180.0  # a process starting while the others are busy (the deploy tests' figure)


@dataclass
class Tier(bench.Target):
    """Several Circles processes measured as one server (CPU and RSS summed over them)."""

    server_pids: list[int] = field(default_factory=list)

    def pids(self) -> list[int]:
        return [p for pid in self.server_pids for p in procstat.descendants(pid)]


def _server_env(pid: int) -> dict[str, str]:
    """The first process's own environment (database, Redis, secret, limits), minus its
    address: every further process runs with the same settings, as docs/deploy.md says."""
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    env = dict(kv.decode().partition("=")[::2] for kv in raw if b"=" in kv)
    return {k: v for k, v in env.items() if k not in ("HOST", "PORT")}


def _configs(processes: list[int], direct: bool) -> list[tuple[int, bool]]:
    out = [(1, False)] if direct else []
    return out + [(n, True) for n in sorted(set(processes))]


def _sat_step(res: dict[str, Any]) -> dict[str, Any] | None:
    """The step that made the figure: saturation, else sustained."""
    for ok in ("saturated_ok", "sustained_ok"):
        steps = [s for s in res["steps"] if s[ok]]
        if steps:
            return max(steps, key=lambda s: s["delivered_s"])
    return None


def summary(results: dict[str, dict[str, Any]], names: list[str]) -> list[str]:
    """One line per scenario and configuration; ratios against the first configuration (1
    process direct) for the same kind of figure (saturation, else sustained)."""
    lines = [
        f"{'scenario':<8} {'config':<10} {'kind':<10} {'del/s':>8} {'msg/s':>7} {'p99':>7} "
        f"{'ratio':>6} {'sus del/s':>9} {'sus ratio':>9} {'srv cpu%':>8} {'µs/del':>7} "
        f"{'nginx%':>6} {'db+redis%':>9} {'other%':>6} {'p99 @half':>9}"
    ]
    for name in names:
        base: dict[str, float] = {}  # the first configuration's figures (1 process direct)
        for config, by_sc in results.items():
            res = by_sc.get(name)
            if not res or "error" in res:
                lines.append(f"{name:<8} {config:<10} failed: {res['error'][:80] if res else '-'}")
                continue
            kind = "saturation" if res["saturation"] else "sustained"
            best = res["saturation"] or res["sustained"]
            step = _sat_step(res)
            if best is None or step is None:
                lines.append(f"{name:<8} {config:<10} none")
                continue
            sus = res["sustained"]["delivered_s"] if res["sustained"] else None
            if not base:
                base = {k: res[k]["delivered_s"] for k in ("saturation", "sustained") if res[k]}
            infra_cpu = step["infra_cpu_pct"]
            ngx = infra_cpu.get("nginx", 0.0)
            half = res.get("half")
            lines.append(
                f"{name:<8} {config:<10} {kind:<10} {best['delivered_s']:>8.0f} "
                f"{best['offered_msgs_s']:>7.1f} {best['p99_ms']:>7.1f} "
                f"{bench._fmt(bench._ratio(best['delivered_s'], base.get(kind)), '.2f'):>6} "
                f"{bench._fmt(sus, '.0f'):>9} "
                f"{bench._fmt(bench._ratio(sus, base.get('sustained')), '.2f'):>9} "
                f"{step['server_cpu_pct']:>8.0f} "
                f"{bench._fmt(step['server_cpu_us_per_delivery'], '.0f'):>7} {ngx:>6.0f} "
                f"{sum(infra_cpu.values()) - ngx:>9.0f} {step['other_cpu_pct']:>6.0f} "
                f"{bench._fmt(half['p99_ms'] if half else None):>9}"
            )
    return lines


async def amain(opts: argparse.Namespace, configs: list[tuple[int, bool]]) -> int:
    names = ["fanout", "circles"] if opts.scenario == "all" else [opts.scenario]
    scenarios = [bench.SCENARIOS[n] for n in names]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    opts.out_dir = bench.RESULTS / f"nginx-{stamp}"
    log_dir = opts.out_dir / "logs"
    log_dir.mkdir(parents=True)
    log_file = open(opts.out_dir / "output.txt", "w")  # noqa: ASYNC230

    def log(msg: str) -> None:
        print(msg, flush=True)
        log_file.write(msg + "\n")
        log_file.flush()

    def load() -> str:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())

    command = " ".join([".venv/bin/python -m bench.nginx", *sys.argv[1:]])
    log(f"Circles behind nginx {stamp}: {command}")
    log(
        f"  machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{opts.nginx_version}, "
        f"generator {opts.procs} processes, steps {opts.duration}s, load average {load()}"
    )
    meta: dict[str, Any] = {
        "command": command,
        "started": stamp,
        "cores": os.cpu_count(),
        "load_start": os.getloadavg(),
        "configs": [],
        "opts": {k: str(v) for k, v in vars(opts).items()},
    }
    results: dict[str, dict[str, Any]] = {}
    pool = bench.GenPool(opts.procs)
    await pool.start()
    runner = bench.Runner(pool, opts, log)
    cleanup: list[Any] = []
    nginx: Nginx | None = None
    loop = asyncio.get_running_loop()
    try:
        first = await bench.start_circles(opts, log_dir, log, cleanup)
        procs = [p for p in cleanup if isinstance(p, infra.Proc) and p.popen.pid == first.pid]
        env = _server_env(first.pid)
        for i, (n, via) in enumerate(configs):
            while len(procs) < n:
                proc = await loop.run_in_executor(
                    None, lambda: infra.start_server(env, log_dir, timeout=START_TIMEOUT)
                )
                cleanup.append(proc)
                bench.boost(proc.popen.pid)
                procs.append(proc)
            infra_pids = dict(first.infra_pids)
            url = first.url
            if via:
                nginx = await loop.run_in_executor(None, start_nginx, procs[:n], log_dir)
                bench.boost(nginx.proc.popen.pid)
                infra_pids["nginx"] = nginx.proc.popen.pid
                url = nginx.url
            config = f"{n}p {'nginx' if via else 'direct'}"
            target = Tier(
                "circles",
                url,
                first.pid,
                join=False,
                config=first.config,
                tokens=first.tokens,
                rooms=first.rooms,
                infra_pids=infra_pids,
                server_pids=[p.popen.pid for p in procs[:n]],
            )
            log(f"\n#### {config}: {url} -> {[p.url for p in procs[:n]]}; load average {load()}")
            meta["configs"].append({"config": config, "url": url, "load": os.getloadavg()})
            results[config] = {}
            for j, sc in enumerate(scenarios):
                if i or j:  # users are shared: let the last scenario's "offline" presence go out
                    await asyncio.sleep(opts.presence_wait)
                results[config][sc.name] = await runner.guarded_scenario(target, sc)
            if nginx is not None:
                nginx.stop()
                nginx = None
    finally:
        await pool.stop()
        if nginx is not None:
            nginx.stop()
        for p in reversed(cleanup):
            p.stop()
    meta["load_end"] = os.getloadavg()
    log(f"\n# summary (load average at the end {load()})")
    log("  ratio: against 1 process direct, same scenario and kind (saturation / sustained)")
    for line in summary(results, names):
        log("  " + line)
    out = {"meta": meta, "results": results}
    (opts.out_dir / "result.json").write_text(json.dumps(out, indent=2))
    log(f"  result: {opts.out_dir / 'result.json'}")
    log_file.close()
    return 0


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m bench.nginx",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Every other option is bench.run's (python -m bench.run --help).",
    )
    p.add_argument(
        "--processes",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[1, 2, 4],
        help="process counts measured behind nginx (default 1,2,4)",
    )
    p.add_argument("--no-direct", action="store_true", help="skip 1 process without nginx")
    own, rest = p.parse_known_args(argv)
    opts = bench.parse_args(rest)
    version = subprocess.run([nginx_binary(), "-v"], capture_output=True, text=True)
    opts.nginx_version = version.stderr.strip()
    bench.PRIORITY[0] = opts.nice
    bench.boost(os.getpid())

    async def guarded() -> int:
        task = asyncio.current_task()
        assert task is not None
        stopping: list[bool] = []

        def stop() -> None:  # cancel once: a second signal must not interrupt the cleanup
            if not stopping:
                stopping.append(True)
                task.cancel()

        for sig in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(sig, stop)
        return await amain(opts, _configs(own.processes, not own.no_direct))

    with contextlib.suppress(asyncio.CancelledError):
        sys.exit(asyncio.run(guarded()))
    print("interrupted: stopped every process the benchmark started", file=sys.stderr)
    sys.exit(130)


if __name__ == "__main__":
    main()
