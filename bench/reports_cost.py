"""What keeping the circle report's rollups current costs the send path (issue 13, item 6).

    .venv/bin/python -m bench.reports_cost [--rounds 1] [-- extra bench.run options]

Runs the chat benchmark's *circles* scenario (``bench.run --scenario circles --no-relay``: 200
clients in 10 circles of 20, 20 senders, the open-loop ladder) against Circles twice per round,
back to back on the same provisioned database: once with the rollup sweeper effectively off
(``REPORT_ROLLUP_SECONDS=3600``: the one sweep a process makes when it starts, before its clients
have connected, and none during the ladder) and once at its default period (30 s). Prints each
run's saturation and sustained send rates and the ratio on/off (target: at most 10% lost).
Writes ``bench/results/reports-cost-<UTC time>/result.json``; each ``bench.run`` keeps its own
output directory too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.run import RESULTS, ROOT

OFF = "3600"  # the setting's maximum: one sweep at process start, none during a ladder
DEFAULT = "30"  # server/settings.py report_rollup_seconds


def run_once(period: str, extra: list[str], log: Any) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "bench.run",
        "--scenario",
        "circles",
        "--no-relay",
        "--quiet-wait",
        "0",
        "--redo",
        "0",
        "--server-env",
        f"REPORT_ROLLUP_SECONDS={period}",
        *extra,
    ]
    for _attempt in range(3):  # a server that did not start in time on a busy machine
        log(f"$ {' '.join(cmd[1:])}   (load average before: {os.getloadavg()})")
        t0 = time.monotonic()
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        out = done.stdout
        found = re.findall(r"result: (\S+result\.json)", out)
        if done.returncode not in (0, 1) or not found:
            log(out[-3000:] + done.stderr[-3000:])
            raise RuntimeError(f"bench.run failed ({done.returncode})")
        res = json.loads(Path(found[-1]).read_text())["results"]["circles"]["circles"]
        if "error" not in res:
            break
        log(f"  failed: {str(res['error'])[:200]}")
    else:
        raise RuntimeError("bench.run failed three times")
    summary = {
        "period_s": float(period),
        "dir": str(Path(found[-1]).parent),
        "seconds": round(time.monotonic() - t0),
        "saturation": res["saturation"],
        "sustained": res["sustained"],
        "half": res["half"],
        "persisted": res["persisted"],
        "loadavg_after": os.getloadavg(),
        "steps": [
            {k: s.get(k) for k in ("offered_msgs_s", "delivered_s", "p99_ms", "other_pct")}
            for s in res["steps"]
        ],
    }
    log(
        f"  REPORT_ROLLUP_SECONDS={period}: saturation {_fig(res['saturation'])}; sustained "
        f"{_fig(res['sustained'])}  ({summary['dir']})"
    )
    return summary


def _fig(x: dict[str, Any] | None) -> str:
    if not x:
        return "none"
    return (
        f"{x['offered_msgs_s']:.1f} msg/s ({x['delivered_s']:.0f} del/s, p99 {x['p99_ms']:.0f} ms)"
    )


def _rate(x: dict[str, Any] | None) -> float:
    return float(x["offered_msgs_s"]) if x else 0.0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.reports_cost", description=__doc__)
    p.add_argument("--rounds", type=int, default=1, help="off/on pairs")
    p.add_argument("extra", nargs="*", help="options passed to bench.run (after --)")
    opts = p.parse_args(argv)
    started = datetime.now(UTC)
    out_dir = RESULTS / f"reports-cost-{started:%Y%m%dT%H%M%SZ}"
    out_dir.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []

    def log(msg: str) -> None:
        print(msg, flush=True)
        lines.append(msg)
        (out_dir / "output.txt").write_text("\n".join(lines) + "\n")

    log(f"bench.reports_cost {started:%Y-%m-%d %H:%M} UTC; load average {os.getloadavg()}")
    runs: list[dict[str, Any]] = []
    for _ in range(opts.rounds):
        for period in (OFF, DEFAULT):
            runs.append(run_once(period, opts.extra, log))
            (out_dir / "result.json").write_text(json.dumps({"runs": runs}, indent=1))
    off = [r for r in runs if r["period_s"] == float(OFF)]
    on = [r for r in runs if r["period_s"] == float(DEFAULT)]
    log("\n== rollup sweeper off vs on (circles scenario, msg/s offered at the step)")
    for what in ("saturation", "sustained"):
        a = sum(_rate(r[what]) for r in off) / len(off)
        b = sum(_rate(r[what]) for r in on) / len(on)
        ratio = b / a if a else float("nan")
        verdict = "PASS" if ratio >= 0.9 else "FAIL"
        log(
            f"  {what:<11} off {a:8.1f}  on {b:8.1f}  on/off {ratio:.2f}  "
            f"(target >= 0.90: {verdict})"
        )
    log(f"load average after: {os.getloadavg()}")
    (out_dir / "result.json").write_text(json.dumps({"runs": runs}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
