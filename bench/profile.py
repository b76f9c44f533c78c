"""Summarise a py-spy ``--format raw`` profile (collapsed stacks) of the Circles server."""

from __future__ import annotations

import re
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

# Where the time goes, by the innermost frame that belongs to one of these (first match wins,
# scanning from the leaf up).
CATEGORIES: list[tuple[str, re.Pattern[str]]] = [
    ("json", re.compile(r"[(/]json/|orjson")),
    ("pymongo / bson", re.compile(r"[(/](pymongo|bson)/")),
    ("redis", re.compile(r"[(/]redis/")),
    ("argon2 / passwords", re.compile(r"argon2|passwords\.py")),
    ("websocket protocol", re.compile(r"[(/](websockets|wsproto)/|uvicorn/protocols/websockets")),
    ("engine.io", re.compile(r"[(/]engineio/")),
    ("socket.io", re.compile(r"[(/]socketio/")),
    ("pydantic", re.compile(r"[(/]pydantic")),
    ("uvicorn / starlette", re.compile(r"[(/](uvicorn|starlette)/")),
    ("circles server", re.compile(r"[(/]server/")),
    ("asyncio / uvloop", re.compile(r"[(/]asyncio/|uvloop|<frozen|selectors\.py")),
]


def pyspy() -> str:
    """The py-spy executable: on PATH, else next to this Python (``pip install py-spy``)."""
    return shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")


def record_argv(pid: int, seconds: int, out: Path, subprocesses: bool = False) -> list[str]:
    """``py-spy record`` of ``pid`` for ``seconds``, as collapsed stacks (what ``summarise``
    reads), without pausing the process."""
    argv = [pyspy(), "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "97"]
    argv += ["--format", "raw", "--output", str(out), "--nonblocking"]
    return argv + (["--subprocesses"] if subprocesses else [])


SERVER_FRAME = re.compile(r"[(/]server/(?!__main__)")


def _parse(path: Path) -> Counter[str]:
    stacks: Counter[str] = Counter()
    for line in path.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if stack and n.isdigit():
            stacks[stack] += int(n)
    return stacks


def _short(frame: str) -> str:
    # "func (path/to/file.py:123)" -> "func (file.py)" grouped by file and function
    m = re.match(r"(.*) \((.*?):\d+\)$", frame.strip())
    if not m:
        return frame.strip()
    func, file = m.groups()
    parts = file.split("/")
    for anchor in ("site-packages", "python3.11", "main"):
        if anchor in parts:
            parts = parts[parts.index(anchor) + 1 :]
            break
    return f"{func} ({'/'.join(parts[-3:])})"


def summarise(path: Path) -> dict[str, Any]:
    stacks = _parse(path)
    total = sum(stacks.values()) or 1
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    cats: Counter[str] = Counter()
    server_inclusive: Counter[str] = Counter()
    for stack, n in stacks.items():
        frames = [f for f in stack.split(";") if f.strip()]
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        self_time[_short(frames[-1])] += n
        for f in {_short(f) for f in frames}:
            inclusive[f] += n
        for f in {_short(f) for f in frames if SERVER_FRAME.search(f)}:
            server_inclusive[f] += n
        for f in reversed(frames):
            cat = next((name for name, rx in CATEGORIES if rx.search(f)), None)
            if cat:
                cats[cat] += n
                break
        else:
            cats["other"] += n

    def top(c: Counter[str], k: int = 40) -> list[tuple[str, float]]:
        return [(name, round(100 * v / total, 1)) for name, v in c.most_common(k)]

    return {
        "file": str(path),
        "samples": total,
        "categories": top(cats),
        "self": top(self_time),
        "inclusive": top(inclusive),
        "server_inclusive": top(server_inclusive),
    }


def format_summary(s: dict[str, Any], top: int = 20) -> list[str]:
    lines = [
        f"py-spy: {s['samples']} samples ({s['file']})",
        "where the time goes (leaf-most "
        "matching frame): " + ", ".join(f"{k} {v}%" for k, v in s["categories"]),
    ]
    lines.append("top self time:")
    lines += [f"  {v:5.1f}%  {k}" for k, v in s["self"][:top]]
    lines.append("top inclusive time in server/ code:")
    lines += [f"  {v:5.1f}%  {k}" for k, v in s["server_inclusive"][:top]]
    return lines


if __name__ == "__main__":
    import sys

    for line in format_summary(
        summarise(Path(sys.argv[1])), top=int(sys.argv[2]) if len(sys.argv) > 2 else 25
    ):
        print(line)
