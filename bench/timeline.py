"""When a run's slow sends happened: per second of the run, the sends the server handled, their
median and how many took longer than a threshold, read from the server's per-event log.

    .venv/bin/python -m bench.timeline                       # the newest run in bench/results
    .venv/bin/python -m bench.timeline bench/results/<run>   # or a run, or a server log file
    .venv/bin/python -m bench.timeline --over 30 --only-slow

A p99 says how slow the slowest sends were, not when: spread evenly over a run they point at the
server's CPU (queueing), gathered in a few seconds at a background job that ran then (a search
indexing round, a report sweep; docs/performance.md, "Search rounds without a burst"). The
``ms`` of a ``message:send`` line is the server's time from the event to its ack, which includes
the writer's insert: a busy database shows here too. Seconds count from the run's first send;
a run whose server was restarted (after provisioning) is read from its last server log.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from datetime import datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def server_log(target: Path | None) -> Path:
    """The server log of ``target`` (a log file, or a run's directory), else the newest run's."""
    if target is not None and target.is_file():
        return target
    run = target
    if run is None:
        runs = sorted(p for p in RESULTS.iterdir() if p.is_dir() and p.name[:1].isdigit())
        if not runs:
            raise SystemExit(f"no run in {RESULTS}")
        run = runs[-1]
    logs = sorted((run / "logs").glob("server-*.log"), key=lambda p: p.stat().st_mtime)
    if not logs:
        raise SystemExit(f"no server log in {run / 'logs'}")
    return logs[-1]


def seconds(path: Path) -> dict[int, list[float]]:
    """Send durations (ms) by second since the first send."""
    by_second: dict[int, list[float]] = defaultdict(list)
    first: float | None = None
    with path.open() as fh:
        for line in fh:
            if '"message:send"' not in line:
                continue
            try:
                record = json.loads(line)
                at = datetime.fromisoformat(record["ts"]).timestamp()
                ms = float(record["ms"])
            except (ValueError, KeyError, TypeError):
                continue
            if first is None:
                first = at
            by_second[int(at - first)].append(ms)
    return by_second


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("target", nargs="?", type=Path, help="a run's directory or a server log")
    p.add_argument("--over", type=float, default=30.0, help="a slow send, in ms (default 30)")
    p.add_argument("--only-slow", action="store_true", help="print only seconds with slow sends")
    o = p.parse_args(argv)
    path = server_log(o.target)
    by_second = seconds(path)
    if not by_second:
        print(f"{path}: no message:send lines (LOG_LEVEL above info?)", file=sys.stderr)
        return 1
    every = sorted(ms for values in by_second.values() for ms in values)
    slow_total = sum(1 for ms in every if ms > o.over)
    print(f"{path}")
    print(
        f"{len(every)} sends, p50 {every[len(every) // 2]:.1f} ms, "
        f"p99 {every[min(len(every) - 1, int(len(every) * 0.99))]:.1f} ms; "
        f"{slow_total} over {o.over:g} ms"
    )
    print(f"{'second':>6} {'sends':>6} {'p50 ms':>7} {'max ms':>7} {'over':>6}")
    for second in range(max(by_second) + 1):
        values = by_second.get(second, [])
        slow = sum(1 for ms in values if ms > o.over)
        if o.only_slow and not slow:
            continue
        p50 = statistics.median(values) if values else 0.0
        top = max(values, default=0.0)
        bar = "#" * min(60, round(60 * slow / max(1, len(values))))
        print(f"{second:>6} {len(values):>6} {p50:>7.1f} {top:>7.1f} {slow:>6} {bar}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
