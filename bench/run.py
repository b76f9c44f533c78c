"""Circles benchmark: Circles vs a bare python-socketio relay, same load, same run.

    .venv/bin/python -m bench.run [--scenario circles|fanout|all] [--quick] [--profile]

For each server (the bare relay of ``bench/relay.py``, then Circles started on FerretDB + Redis)
and each scenario, it connects the scenario's Socket.IO clients over websocket, measures server RSS
per idle connection, then climbs a ladder of fixed offered send rates (open loop) and reports per
step: delivered messages/s, completeness, p50/p95/p99 end-to-end latency (receiver clock minus
the intended send time carried in the message), ack latency and errors, server CPU per delivery
and the load generator's own CPU. From the ladder it takes *saturation* (highest delivered/s
with p99 <= 100 ms and >= 99.5% delivered) and *sustained* (same with p99 <= 1 s), runs one more
step at half of saturation, and prints Circles/relay ratios against the project's targets.
The full result goes to ``bench/results/<time>.json``. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from array import array
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from pymongo import AsyncMongoClient

from bench import procstat
from tests.support import infra

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SAT_P99_MS = 100.0
SUS_P99_MS = 1000.0
MIN_COMPLETE = 0.995


# --------------------------------------------------------------------------------------------
# scenarios


@dataclass(frozen=True)
class Scenario:
    name: str
    rooms: int
    members: int  # sockets (distinct users for Circles) per room
    senders_per_room: int
    start_rate: float  # total messages/s of the first ladder step
    factor: float  # ladder growth per step
    max_rate: float  # never offer more than this many messages/s

    @property
    def clients(self) -> int:
        return self.rooms * self.members

    @property
    def senders(self) -> int:
        return self.rooms * self.senders_per_room

    @property
    def fanout(self) -> int:
        """Deliveries per message (the sender's own echo is not counted)."""
        return self.members - 1


SCENARIOS = {
    "circles": Scenario(
        "circles",
        rooms=10,
        members=20,
        senders_per_room=2,
        start_rate=60,
        factor=1.5,
        max_rate=5000,
    ),
    "fanout": Scenario(
        "fanout", rooms=1, members=1000, senders_per_room=1, start_rate=1, factor=1.6, max_rate=200
    ),
}


# --------------------------------------------------------------------------------------------
# load-generator workers


class GenWorker:
    def __init__(self, n: int) -> None:
        self.n = n
        self.proc: asyncio.subprocess.Process | None = None
        self.futures: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.next_id = 0
        self.reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.loadgen",
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            limit=1 << 28,
        )
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc and self.proc.stdout
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                break
            msg = json.loads(line)
            fut = self.futures.pop(msg.pop("id"), None)
            if fut and not fut.done():
                fut.set_result(msg)
        for fut in self.futures.values():
            if not fut.done():
                fut.set_exception(RuntimeError(f"load generator {self.n} exited"))

    async def call(self, cmd: str, timeout: float = 300, **kw: Any) -> dict[str, Any]:
        assert self.proc and self.proc.stdin
        self.next_id += 1
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.futures[self.next_id] = fut
        self.proc.stdin.write((json.dumps({"cmd": cmd, "id": self.next_id, **kw}) + "\n").encode())
        await self.proc.stdin.drain()
        res = await asyncio.wait_for(fut, timeout)
        if "error" in res:
            raise RuntimeError(f"load generator {self.n}: {cmd}: {res['error']}")
        return res

    async def stop(self) -> None:
        if self.proc and self.proc.returncode is None:
            assert self.proc.stdin
            with contextlib.suppress(Exception):
                self.proc.stdin.write(b'{"cmd": "quit"}\n')
                await self.proc.stdin.drain()
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


class GenPool:
    def __init__(self, n: int) -> None:
        self.workers = [GenWorker(i) for i in range(n)]

    async def start(self) -> None:
        await asyncio.gather(*(w.start() for w in self.workers))

    async def stop(self) -> None:
        await asyncio.gather(*(w.stop() for w in self.workers))

    def worker_of(self, idx: int) -> GenWorker:
        return self.workers[idx % len(self.workers)]

    async def all(
        self, cmd: str, per_worker: list[dict[str, Any]] | None = None, **kw: Any
    ) -> list[dict[str, Any]]:
        return await asyncio.gather(
            *(
                w.call(cmd, **kw, **(per_worker[i] if per_worker else {}))
                for i, w in enumerate(self.workers)
            )
        )

    def pids(self) -> list[int]:
        return [w.proc.pid for w in self.workers if w.proc]


# --------------------------------------------------------------------------------------------
# servers under test


@dataclass
class Target:
    name: str  # "relay" or "circles"
    url: str
    pid: int
    join: bool  # clients must emit `join` (the relay) or are placed in rooms by the server
    config: dict[str, Any]
    # per scenario: one token per client (None for the relay) and the room of each room index
    tokens: dict[str, list[str | None]] = field(default_factory=dict)
    rooms: dict[str, list[str]] = field(default_factory=dict)
    infra_pids: dict[str, int] = field(default_factory=dict)

    def pids(self) -> list[int]:
        return procstat.descendants(self.pid)


def start_relay(log_dir: Path, ws: str, deflate: bool) -> tuple[subprocess.Popen[bytes], Target]:
    port = infra.free_port()
    argv = [sys.executable, "-m", "bench.relay", "--port", str(port), "--ws", ws]
    if deflate:
        argv.append("--deflate")
    log = open(log_dir / "relay.log", "wb")
    popen = subprocess.Popen(
        argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    infra.wait_port(port, proc=popen)
    boost(popen.pid)
    t = Target(
        "relay",
        f"http://127.0.0.1:{port}",
        popen.pid,
        join=True,
        config={
            "ws": ws,
            "permessage_deflate": deflate,
            "loop": "uvloop",
            "http": "httptools",
            "python_socketio": _version("python-socketio"),
        },
    )
    for sc in SCENARIOS.values():
        t.tokens[sc.name] = [None] * sc.clients
        t.rooms[sc.name] = [f"{sc.name}-{r}" for r in range(sc.rooms)]
    return popen, t


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


async def _api(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    body: Any = None,
    token: str | None = None,
    ok: tuple[int, ...] = (200, 201),
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for attempt in range(8):
        async with session.request(method, url, json=body, headers=headers) as resp:
            text = await resp.text()
            if resp.status in ok:
                return json.loads(text) if text else None
            if resp.status in (429, 503) and attempt < 7:
                retry = 1.0
                with contextlib.suppress(Exception):
                    retry = float(json.loads(text)["error"]["details"]["retry_after"])
                await asyncio.sleep(min(max(retry, 0.2), 10))
                continue
            raise RuntimeError(f"{method} {url} -> {resp.status}: {text[:300]}")
    raise AssertionError("unreachable")


async def provision_circles(url: str, scenarios: list[Scenario], log: Any) -> dict[str, Any]:
    """Register users, create one public circle per room, join everybody; returns tokens/rooms.

    Scenarios share users (user i is client i of every scenario) because registration hashes
    each password with argon2: the fan-out's 1,000 users are reused by the circles scenario. The
    runner waits out the presence grace period between scenarios so that one scenario's
    presence traffic never lands in the other's measurement.
    """
    t0 = time.monotonic()
    out: dict[str, Any] = {"tokens": {}, "rooms": {}}
    sem = asyncio.Semaphore(8)
    n_users = max(sc.clients for sc in scenarios)
    async with aiohttp.ClientSession(base_url=url, connector=aiohttp.TCPConnector(limit=16)) as s:

        async def register(i: int) -> str:
            async with sem:
                body = {
                    "handle": f"bench_{i:05d}",
                    "password": "bench-password-1",
                    "display_name": f"Bench user {i}",
                }
                return str((await _api(s, "POST", "/api/auth/register", body))["token"])

        async def join(cid: str, token: str) -> None:
            async with sem:
                await _api(s, "POST", f"/api/circles/{cid}/join", {}, token=token)

        tokens = await asyncio.gather(*(register(i) for i in range(n_users)))
        log(f"  registered {n_users} users ({time.monotonic() - t0:.1f}s)")
        for sc in scenarios:
            rooms, circle_ids = [], []
            for r in range(sc.rooms):
                body = {
                    "name": f"Bench {sc.name} {r}",
                    "category": "bench",
                    "visibility": "public",
                    "description": "benchmark room",
                }
                owner = tokens[r * sc.members]
                circle = (await _api(s, "POST", "/api/circles", body, token=owner))["circle"]
                rooms.append(circle["conversation_id"])
                circle_ids.append(circle["id"])
            await asyncio.gather(
                *(
                    join(circle_ids[i // sc.members], tokens[i])
                    for i in range(sc.clients)
                    if i % sc.members
                )
            )
            out["tokens"][sc.name] = list(tokens[: sc.clients])
            out["rooms"][sc.name] = rooms
            log(
                f"  {sc.name}: {sc.rooms} circle(s) of {sc.members} members "
                f"({time.monotonic() - t0:.1f}s)"
            )
    return out


# --------------------------------------------------------------------------------------------
# measuring


def _pct(sorted_vals: list[int] | array, q: float) -> float | None:
    if not sorted_vals:
        return None
    n = len(sorted_vals)
    return sorted_vals[min(n - 1, max(0, math.ceil(q * n) - 1))] / 1000


def _decode(b64: str) -> array:
    a = array("q")
    a.frombytes(base64.b64decode(b64))
    return a


@dataclass
class StepResult:
    step: int
    label: str
    offered_msgs_s: float
    offered_deliveries_s: float
    duration_s: float
    sent: int
    expected: int
    delivered: int
    completeness: float
    delivered_s: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    ack_ok: int
    ack_err: int
    ack_errors: dict[str, int]
    ack_p50_ms: float | None
    ack_p99_ms: float | None
    send_lag_p99_ms: float | None
    echo: int
    drain_s: float
    server_cpu_pct: float
    server_cpu_us_per_delivery: float | None
    infra_cpu_pct: dict[str, float]
    other_cpu_pct: float  # the rest of the machine: anything not ours competing for the cores
    gen_cpu_pct: float
    gen_cpu_us_per_delivery: float | None
    server_rss_mb: float
    disconnects: int

    @property
    def saturated_ok(self) -> bool:
        return (
            self.p99_ms is not None
            and self.p99_ms <= SAT_P99_MS
            and self.completeness >= MIN_COMPLETE
        )

    @property
    def sustained_ok(self) -> bool:
        return (
            self.p99_ms is not None
            and self.p99_ms <= SUS_P99_MS
            and self.completeness >= MIN_COMPLETE
        )


def _fmt(v: float | None, spec: str = ".1f") -> str:
    return "-" if v is None else format(v, spec)


STEP_HEADER = (
    f"{'step':>8} {'offer msg/s':>11} {'offer del/s':>11} {'deliv/s':>9} {'compl%':>7} "
    f"{'p50':>7} {'p95':>7} {'p99':>8} {'ack p99':>8} {'ack err':>7} {'srv cpu%':>8} "
    f"{'µs/del':>7} {'db cpu%':>7} {'gen cpu%':>8} {'other%':>6} {'ok':>4}"
)


def step_line(r: StepResult) -> str:
    ok = "sat" if r.saturated_ok else ("sus" if r.sustained_ok else "FAIL")
    return (
        f"{r.label:>8} {r.offered_msgs_s:>11.1f} {r.offered_deliveries_s:>11.0f} "
        f"{r.delivered_s:>9.0f} {100 * r.completeness:>7.2f} {_fmt(r.p50_ms):>7} "
        f"{_fmt(r.p95_ms):>7} {_fmt(r.p99_ms):>8} {_fmt(r.ack_p99_ms):>8} {r.ack_err:>7} "
        f"{r.server_cpu_pct:>8.0f} {_fmt(r.server_cpu_us_per_delivery, '.0f'):>7} "
        f"{sum(r.infra_cpu_pct.values()):>7.0f} {r.gen_cpu_pct:>8.0f} {r.other_cpu_pct:>6.0f} "
        f"{ok:>4}"
    )


class Runner:
    def __init__(self, pool: GenPool, opts: argparse.Namespace, log: Any) -> None:
        self.pool = pool
        self.opts = opts
        self.log = log
        self.step_id = 0
        self.room_members: dict[str, int] = {}  # connected members per room
        self.measured: set[str] = set()  # servers whose RSS per connection was measured fresh

    async def run_step(
        self,
        target: Target,
        sc: Scenario,
        rate: float,
        duration: float,
        label: str,
        during: Any = None,
    ) -> StepResult:
        self.step_id += 1
        step = self.step_id
        per_sender = rate / sc.senders
        sender_idx = [
            r * sc.members + k for r in range(sc.rooms) for k in range(sc.senders_per_room)
        ]
        per_worker: list[dict[str, Any]] = [{"senders": []} for _ in self.pool.workers]
        for idx in sender_idx:
            per_worker[idx % len(self.pool.workers)]["senders"].append(
                {"idx": idx, "rate": per_sender}
            )
        srv_pids = target.pids()
        gen_pids = [*self.pool.pids(), os.getpid()]
        start_ns = time.monotonic_ns() + 300_000_000
        await asyncio.sleep(0.25)
        cpu0 = (
            procstat.cpu_seconds(srv_pids),
            procstat.cpu_seconds(gen_pids),
            {
                k: procstat.cpu_seconds(procstat.descendants(p))
                for k, p in target.infra_pids.items()
            },
            procstat.machine_busy_seconds(),
        )
        t0 = time.monotonic()
        side = asyncio.create_task(during()) if during else None
        rss_peak = 0
        sending = asyncio.ensure_future(
            self.pool.all("step", per_worker, step=step, start_ns=start_ns, duration=duration)
        )
        while not sending.done():
            rss_peak = max(rss_peak, procstat.rss_kb(srv_pids))
            await asyncio.wait([sending], timeout=0.5)
        sent_res = sending.result()
        t_send = time.monotonic()
        cpu_send = (
            procstat.cpu_seconds(srv_pids),
            procstat.cpu_seconds(gen_pids),
            {
                k: procstat.cpu_seconds(procstat.descendants(p))
                for k, p in target.infra_pids.items()
            },
            procstat.machine_busy_seconds(),
        )
        sent_by_room: dict[str, int] = {}
        for res in sent_res:
            for room, n in res["sent_by_room"].items():
                sent_by_room[room] = sent_by_room.get(room, 0) + n
        expected = sum(n * (self.room_members[room] - 1) for room, n in sent_by_room.items())
        # drain: wait for the deliveries still in flight, until complete or no progress for a while
        last, last_change, d0 = -1, time.monotonic(), time.monotonic()
        while True:
            stats = await self.pool.all("stats", step=step)
            recv = sum(s.get("recv", 0) for s in stats)
            pending = sum(s["pending_acks"] for s in stats)
            now = time.monotonic()
            if recv >= expected and pending == 0:
                break
            if recv != last:
                last, last_change = recv, now
            if now - last_change > self.opts.stall or now - d0 > self.opts.max_drain:
                break
            await asyncio.sleep(0.1)
        drain = time.monotonic() - d0
        if side:
            await side
        cpu1 = procstat.cpu_seconds(srv_pids)
        res = await self.pool.all("collect", step=step)
        lat: list[int] = sorted(v for r in res for v in _decode(r["lat"]))
        ack_lat: list[int] = sorted(v for r in res for v in _decode(r["ack_lat"]))
        lag: list[int] = sorted(v for r in res for v in _decode(r["send_lag"]))
        delivered = sum(r["recv"] for r in res)
        sent = sum(r["sent"] for r in res)
        errors: dict[str, int] = {}
        for r in res:
            for k, v in r["ack_errors"].items():
                errors[k] = errors.get(k, 0) + v
        window = t_send - t0
        srv_cpu_send = cpu_send[0] - cpu0[0]
        gen_cpu = cpu_send[1] - cpu0[1]
        infra_cpu = {k: cpu_send[2][k] - cpu0[2][k] for k in cpu0[2]}
        other_cpu = (cpu_send[3] - cpu0[3]) - srv_cpu_send - gen_cpu - sum(infra_cpu.values())
        return StepResult(
            step=step,
            label=label,
            offered_msgs_s=rate,
            offered_deliveries_s=rate * sc.fanout,
            duration_s=duration,
            sent=sent,
            expected=expected,
            delivered=delivered,
            completeness=delivered / expected if expected else 1.0,
            delivered_s=delivered / duration,
            p50_ms=_pct(lat, 0.50),
            p95_ms=_pct(lat, 0.95),
            p99_ms=_pct(lat, 0.99),
            max_ms=lat[-1] / 1000 if lat else None,
            ack_ok=sum(r["acks_ok"] for r in res),
            ack_err=sum(r["ack_err"] for r in res),
            ack_errors=errors,
            ack_p50_ms=_pct(ack_lat, 0.5),
            ack_p99_ms=_pct(ack_lat, 0.99),
            send_lag_p99_ms=_pct(lag, 0.99),
            echo=sum(r["echo"] for r in res),
            drain_s=drain,
            server_cpu_pct=100 * srv_cpu_send / window,
            server_cpu_us_per_delivery=1e6 * (cpu1 - cpu0[0]) / delivered if delivered else None,
            infra_cpu_pct={k: 100 * v / window for k, v in infra_cpu.items()},
            other_cpu_pct=max(0.0, 100 * other_cpu / window),
            gen_cpu_pct=100 * gen_cpu / window,
            gen_cpu_us_per_delivery=1e6 * gen_cpu / delivered if delivered else None,
            server_rss_mb=rss_peak / 1024,
            disconnects=sum(r["disconnects"] for r in res),
        )

    async def wait_quiet(self, limit: float | None = None) -> None:
        """Wait (up to ``--quiet-wait`` s) until the machine is idle apart from us."""
        limit = self.opts.quiet_wait if limit is None else limit
        t0 = time.monotonic()
        quiet = 0
        while time.monotonic() - t0 < limit:
            b0 = procstat.machine_busy_seconds()
            await asyncio.sleep(1.0)
            busy = 100 * (procstat.machine_busy_seconds() - b0)
            quiet = quiet + 1 if busy < self.opts.max_other else 0
            if quiet >= 2:
                break
        waited = time.monotonic() - t0
        if waited > 2.5:
            self.log(f"  (machine busy with other work: waited {waited:.0f}s for it to be quiet)")

    async def connect(self, target: Target, sc: Scenario) -> dict[str, Any]:
        tokens, rooms = target.tokens[sc.name], target.rooms[sc.name]
        per_worker: list[dict[str, Any]] = [{"clients": []} for _ in self.pool.workers]
        for i in range(sc.clients):
            per_worker[i % len(self.pool.workers)]["clients"].append(
                {"idx": i, "token": tokens[i], "room": rooms[i // sc.members], "join": target.join}
            )
        pids = target.pids()
        await asyncio.sleep(1.0)
        rss0 = procstat.rss_kb(pids)
        t0 = time.monotonic()
        res = await self.pool.all(
            "connect",
            per_worker,
            url=target.url,
            concurrency=self.opts.connect_concurrency,
            timeout=1800,
        )
        failed = {i for r in res for i in r["failed"]}
        errs = [e for r in res for e in r["errors"]]
        if failed:  # a second, gentler pass for the ones the server refused
            self.log(f"  {len(failed)} client(s) failed to connect ({errs[:2]}); retrying them")
            await asyncio.sleep(5)
            retry: list[dict[str, Any]] = [
                {"clients": [c for c in w["clients"] if c["idx"] in failed]} for w in per_worker
            ]
            res = await self.pool.all("connect", retry, url=target.url, concurrency=1, timeout=1800)
            failed = {i for r in res for i in r["failed"]}
            errs = [e for r in res for e in r["errors"]]
        connect_s = time.monotonic() - t0
        connected = sc.clients - len(failed)
        if connected < 0.98 * sc.clients:
            raise RuntimeError(
                f"{target.name}/{sc.name}: only {connected}/{sc.clients} clients "
                f"connected; first errors: {errs[:5]}"
            )
        # expected deliveries count the receivers actually connected
        for r, room in enumerate(rooms):
            members = range(r * sc.members, (r + 1) * sc.members)
            self.room_members[room] = sum(1 for i in members if i not in failed)
        await asyncio.sleep(self.opts.settle)  # let connect-time work (presence, caches) finish
        rss1 = procstat.rss_kb(target.pids())
        fresh = target.name not in self.measured
        self.measured.add(target.name)
        return {
            "fresh_process": fresh,
            "clients": connected,
            "failed_to_connect": len(failed),
            "connect_s": connect_s,
            "rss_before_kb": rss0,
            "rss_after_kb": rss1,
            "rss_per_conn_kb": (rss1 - rss0) / connected,
        }

    async def disconnect(self) -> None:
        await self.pool.all("close")

    async def latest_seqs(self, target: Target, sc: Scenario) -> list[int] | None:
        """Newest stored `seq` of each room's conversation, read from the database itself.

        Not through `history`: on FerretDB v1 the newest page is a scan and sort of every stored
        message (2.7 s at 23,000 messages), which outlasts the server's database timeout late in
        a run. The check is about what is stored, so it asks the store, with no time limit."""
        if target.name != "circles":
            return None
        env = target.config["env"]
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            env["MONGODB_URL"], socketTimeoutMS=300_000, serverSelectionTimeoutMS=10_000
        )
        try:
            messages = client[env.get("MONGODB_DB", "circles")]["messages"]
            out = []
            for conv in target.rooms[sc.name]:
                doc = await messages.find_one(
                    {"conversation_id": conv}, {"seq": 1}, sort=[("seq", -1)]
                )
                out.append(int(doc["seq"]) if doc else 0)
            return out
        finally:
            await client.close()

    async def guarded_scenario(self, target: Target, sc: Scenario) -> dict[str, Any]:
        """``scenario``, but a failure is recorded and the run goes on with the next one."""
        try:
            return await self.scenario(target, sc)
        except Exception as e:
            self.log(f"  !! {target.name}/{sc.name} failed: {type(e).__name__}: {e}")
            with contextlib.suppress(Exception):
                await self.disconnect()
            return {"error": f"{type(e).__name__}: {e}"}

    async def scenario(self, target: Target, sc: Scenario) -> dict[str, Any]:
        o = self.opts
        self.log(
            f"\n== {target.name} / {sc.name}: {sc.clients} clients in {sc.rooms} room(s) of "
            f"{sc.members}, {sc.senders} sender(s)"
        )
        await self.wait_quiet()
        conn = await self.connect(target, sc)
        self.log(
            f"  connected {conn['clients']} in {conn['connect_s']:.1f}s; server RSS "
            f"{conn['rss_before_kb'] / 1024:.1f} -> {conn['rss_after_kb'] / 1024:.1f} MB = "
            f"{conn['rss_per_conn_kb']:.1f} KB per idle connection"
        )
        seq0 = await self.latest_seqs(target, sc)
        steps: list[StepResult] = []
        discarded: list[StepResult] = []  # redone because the machine was busy with other work
        self.log(STEP_HEADER)

        async def go(
            rate: float, label: str, duration: float | None = None, during: Any = None
        ) -> StepResult:
            r = await self.run_step(target, sc, rate, duration or o.duration, label, during)
            self.log(step_line(r) + (f"  errors={r.ack_errors}" if r.ack_errors else ""))
            for _ in range(o.redo):
                if r.other_cpu_pct <= o.max_other or during is not None:
                    break
                # something else on the machine took CPU during the step: wait, then redo it
                discarded.append(r)
                await self.wait_quiet()
                r = await self.run_step(target, sc, rate, duration or o.duration, label + "*")
                self.log(step_line(r) + (f"  errors={r.ack_errors}" if r.ack_errors else ""))
            steps.append(r)
            if r.drain_s > 1.0 or not r.sustained_ok:
                await asyncio.sleep(min(3.0, 0.5 + r.drain_s))  # let a backlog clear
            if r.disconnects:
                healed = await self.pool.all("heal")
                n = sum(h["reopened"] for h in healed)
                self.log(
                    f"  {r.disconnects} client(s) were disconnected during the step; reopened {n}"
                )
            return r

        warm = await go(sc.start_rate / 2, "warmup", min(2.0, o.duration))
        del warm
        ladder: list[StepResult] = []
        if o.rates:
            for rate in o.rates:
                ladder.append(await go(rate, "fixed"))
        rate = sc.start_rate
        while rate <= sc.max_rate and not o.rates:
            r = await go(rate, "ladder")
            ladder.append(r)
            if not r.sustained_ok:
                break
            rate *= o.factor or sc.factor
        # refine the saturation edge between the best passing and the first failing rate
        for _ in range(o.refine):
            ok = [s for s in ladder if s.saturated_ok]
            bad = [
                s
                for s in ladder
                if not s.saturated_ok
                and (not ok or s.offered_msgs_s > max(x.offered_msgs_s for x in ok))
            ]
            if not ok or not bad:
                break
            lo = max(x.offered_msgs_s for x in ok)
            hi = min(x.offered_msgs_s for x in bad)
            if hi / lo < 1.12:
                break
            ladder.append(await go(math.sqrt(lo * hi), "refine"))
        if not any(s.saturated_ok for s in ladder):
            # no saturation: refine the sustained edge instead (fan-out)
            for _ in range(o.refine):
                ok = [s for s in ladder if s.sustained_ok]
                bad = [
                    s
                    for s in ladder
                    if not s.sustained_ok
                    and (not ok or s.offered_msgs_s > max(x.offered_msgs_s for x in ok))
                ]
                if not ok or not bad:
                    break
                lo = max(x.offered_msgs_s for x in ok)
                hi = min(x.offered_msgs_s for x in bad)
                if hi / lo < 1.12:
                    break
                ladder.append(await go(math.sqrt(lo * hi), "refine"))
        sat = max((s for s in ladder if s.saturated_ok), key=lambda s: s.delivered_s, default=None)
        sus = max((s for s in ladder if s.sustained_ok), key=lambda s: s.delivered_s, default=None)
        half = None
        if sat is not None:
            half = await go(sat.offered_msgs_s / 2, "half-sat")
        elif sus is not None:
            half = await go(sus.offered_msgs_s / 2, "half-sus")
        profile = None
        if o.profile and target.name == "circles":
            prof_step = sat or sus or ladder[0]
            profile = await self.profile_step(target, sc, prof_step.offered_msgs_s, go)
        seq1 = await self.latest_seqs(target, sc)
        persisted = None
        if seq0 is not None and seq1 is not None:
            persisted = {
                "acked": sum(s.ack_ok for s in steps + discarded),
                "stored": sum(b - a for a, b in zip(seq0, seq1, strict=True)),
            }
            verdict = "ok" if persisted["stored"] >= persisted["acked"] else "MISSING MESSAGES"
            self.log(
                f"  persistence: {persisted['acked']} messages acked, "
                f"{persisted['stored']} new seqs stored -> {verdict}"
            )
        await self.disconnect()
        await asyncio.sleep(1.0)
        return {
            "scenario": asdict(sc)
            | {"clients": sc.clients, "senders": sc.senders, "deliveries_per_message": sc.fanout},
            "connections": conn,
            "steps": [
                asdict(s) | {"saturated_ok": s.saturated_ok, "sustained_ok": s.sustained_ok}
                for s in steps
            ],
            "discarded_steps": [asdict(s) for s in discarded],
            "saturation": _summary(sat),
            "sustained": _summary(sus),
            "half": _summary(half),
            "persisted": persisted,
            "profile": profile,
            "gen_cpu_pct_max": max(s.gen_cpu_pct for s in steps),
        }

    async def profile_step(
        self, target: Target, sc: Scenario, rate: float, go: Any
    ) -> dict[str, Any] | None:
        from bench import profile as prof

        if not os.path.exists(prof.pyspy()):  # noqa: ASYNC240
            self.log("  (py-spy not installed: .venv/bin/pip install py-spy; no profile)")
            return None
        out = self.opts.out_dir / f"profile-{sc.name}.txt"
        duration = max(self.opts.duration, 6.0)
        holder: dict[str, Any] = {}

        async def record() -> None:
            p = await asyncio.create_subprocess_exec(
                *prof.record_argv(target.pid, int(duration), out, subprocesses=True),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            _, err = await p.communicate()
            holder["rc"] = p.returncode
            holder["err"] = err.decode(errors="replace")[-500:]

        self.log(f"  profiling Circles with py-spy at {rate:.1f} msgs/s -> {out}")
        await go(rate, "profile", duration, during=record)
        if holder.get("rc") != 0 or not out.exists():
            self.log(f"  py-spy failed: {holder.get('err')}")
            return None
        summary = prof.summarise(out)
        for line in prof.format_summary(summary, top=self.opts.profile_top):
            self.log("  " + line)
        return summary


def _summary(s: StepResult | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "delivered_s": s.delivered_s,
        "offered_msgs_s": s.offered_msgs_s,
        "p50_ms": s.p50_ms,
        "p99_ms": s.p99_ms,
        "completeness": s.completeness,
        "ack_err": s.ack_err,
        "server_cpu_us_per_delivery": s.server_cpu_us_per_delivery,
        "gen_cpu_pct": s.gen_cpu_pct,
    }


# --------------------------------------------------------------------------------------------
# report


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def compare(results: dict[str, dict[str, Any]], scenarios: list[str]) -> list[dict[str, Any]]:
    """Target checks (Circles vs relay) from the issue's "Done when"."""
    checks: list[dict[str, Any]] = []
    c, r = results.get("circles", {}), results.get("relay", {})

    def sat_or_sus(res: dict[str, Any]) -> tuple[str, float | None]:
        if res.get("saturation"):
            return "saturation", res["saturation"]["delivered_s"]
        if res.get("sustained"):
            return "sustained", res["sustained"]["delivered_s"]
        return "none", None

    for name in scenarios:
        cs, rs = c.get(name), r.get(name)
        if not cs or not rs or "error" in cs or "error" in rs:
            continue
        if name == "circles":
            cv = cs["saturation"]["delivered_s"] if cs["saturation"] else None
            rv = rs["saturation"]["delivered_s"] if rs["saturation"] else None
            ratio = _ratio(cv, rv)
            checks.append(
                {
                    "check": "circles: saturation Circles/relay >= 0.5",
                    "value": ratio,
                    "detail": f"{_fmt(cv, '.0f')} / {_fmt(rv, '.0f')} delivered/s",
                    "pass": ratio is not None and ratio >= 0.5,
                }
            )
            half = cs.get("half")
            p99 = half["p99_ms"] if half and cs["saturation"] else None
            checks.append(
                {
                    "check": "circles: Circles p99 < 100 ms at half its saturation",
                    "value": p99,
                    "detail": f"p99 {_fmt(p99)} ms at "
                    f"{_fmt(half['delivered_s'] if half else None, '.0f')} delivered/s",
                    "pass": p99 is not None and p99 < 100 and half["completeness"] >= MIN_COMPLETE,
                }
            )
        else:
            rk, rv = sat_or_sus(rs)
            if rk == "saturation" and cs.get("saturation"):
                cv = cs["saturation"]["delivered_s"]
                kind = "saturation"
            else:
                kind = "sustained" if rk != "saturation" else "saturation"
                if kind == "sustained":
                    rv = rs["sustained"]["delivered_s"] if rs.get("sustained") else None
                    cv = cs["sustained"]["delivered_s"] if cs.get("sustained") else None
                else:
                    cv = None
            ratio = _ratio(cv, rv)
            checks.append(
                {
                    "check": f"fanout: {kind} Circles/relay >= 0.8",
                    "value": ratio,
                    "detail": f"{_fmt(cv, '.0f')} / {_fmt(rv, '.0f')} delivered/s",
                    "pass": ratio is not None and ratio >= 0.8,
                }
            )
        if cs["connections"].get("fresh_process"):
            # only a fresh process shows what connections cost (later ones reuse freed memory)
            kb = cs["connections"]["rss_per_conn_kb"]
            n = cs["connections"]["clients"]
            checks.append(
                {
                    "check": "Circles RSS per idle connection <= 100 KB",
                    "value": kb,
                    "detail": f"{kb:.1f} KB with {n} clients on a fresh process (relay "
                    f"{rs['connections']['rss_per_conn_kb']:.1f} KB)",
                    "pass": kb <= 100,
                }
            )
        pers = cs.get("persisted")
        if pers:
            checks.append(
                {
                    "check": f"{name}: every acked Circles message stored",
                    "value": pers["stored"] - pers["acked"],
                    "detail": f"{pers['acked']} acked, {pers['stored']} stored",
                    "pass": pers["stored"] >= pers["acked"],
                }
            )
    return checks


def summary_table(results: dict[str, dict[str, Any]], scenarios: list[str]) -> list[str]:
    lines = [
        f"{'scenario':<8} {'server':<8} {'saturation del/s':>16} {'(msg/s, p99)':>16} "
        f"{'sustained del/s':>15} {'(msg/s, p99)':>16} {'p99 @half':>10} "
        f"{'KB/conn':>8} {'µs cpu/del':>10} {'gen cpu%':>8}"
    ]

    def cell(s: dict[str, Any] | None) -> tuple[str, str]:
        if not s:
            return "none", ""
        return f"{s['delivered_s']:.0f}", f"({s['offered_msgs_s']:.1f}, {s['p99_ms']:.0f} ms)"

    for name in scenarios:
        for server in ("relay", "circles"):
            res = results.get(server, {}).get(name)
            if not res:
                continue
            if "error" in res:
                lines.append(f"{name:<8} {server:<8} failed: {res['error'][:80]}")
                continue
            sa, sa2 = cell(res["saturation"])
            su, su2 = cell(res["sustained"])
            half = res.get("half")
            best = res["saturation"] or res["sustained"]
            lines.append(
                f"{name:<8} {server:<8} {sa:>16} {sa2:>16} {su:>15} {su2:>16} "
                f"{_fmt(half['p99_ms'] if half else None):>10} "
                f"{res['connections']['rss_per_conn_kb']:>7.1f}"
                f"{' ' if res['connections'].get('fresh_process') else '*'} "
                f"{_fmt(best['server_cpu_us_per_delivery'] if best else None, '.0f'):>10} "
                f"{res['gen_cpu_pct_max']:>8.0f}"
            )
        c = results.get("circles", {}).get(name)
        r = results.get("relay", {}).get(name)
        if c and r and "error" not in c and "error" not in r:

            def val(x: dict[str, Any], k: str) -> float | None:
                return x[k]["delivered_s"] if x.get(k) else None

            sat = _fmt(_ratio(val(c, "saturation"), val(r, "saturation")), ".2f")
            sus = _fmt(_ratio(val(c, "sustained"), val(r, "sustained")), ".2f")
            kb = _fmt(
                _ratio(c["connections"]["rss_per_conn_kb"], r["connections"]["rss_per_conn_kb"]),
                ".2f",
            )
            lines.append(
                f"{name:<8} {'ratio':<8} {sat:>16} {'':>16} {sus:>15} {'':>16} {'':>10} {kb:>8}"
            )
    return lines


# --------------------------------------------------------------------------------------------
# main


async def amain(opts: argparse.Namespace) -> int:
    names = ["fanout", "circles"] if opts.scenario == "all" else [opts.scenario]
    scenarios = [SCENARIOS[n] for n in names]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    opts.out_dir = RESULTS / stamp
    opts.out_dir.mkdir(parents=True, exist_ok=True)
    log_dir = opts.out_dir / "logs"
    log_dir.mkdir()
    log_file = open(opts.out_dir / "output.txt", "w")  # noqa: ASYNC230

    def log(msg: str) -> None:
        print(msg, flush=True)
        log_file.write(msg + "\n")
        log_file.flush()

    command = " ".join([".venv/bin/python -m bench.run", *sys.argv[1:]])
    log(f"Circles benchmark {stamp}: {command}")
    log(
        f"  machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, python-socketio {_version('python-socketio')}, "
        f"generator: {opts.procs} processes x asyncio/uvloop (raw websocket), steps "
        f"{opts.duration}s, priority {os.getpriority(os.PRIO_PROCESS, 0)}"
    )
    results: dict[str, dict[str, Any]] = {}
    meta: dict[str, Any] = {
        "command": command,
        "started": stamp,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "opts": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(opts).items()},
    }
    pool = GenPool(opts.procs)
    await pool.start()
    runner = Runner(pool, opts, log)
    cleanup: list[Any] = []
    try:
        if not opts.no_relay:
            popen, relay = start_relay(log_dir, opts.relay_ws, opts.relay_deflate)
            cleanup.append(popen)
            meta["relay"] = relay.config
            log(f"\n# relay: {relay.url} pid {relay.pid} {relay.config}")
            results["relay"] = {}
            for sc in scenarios:
                results["relay"][sc.name] = await runner.guarded_scenario(relay, sc)
            _stop_popen(popen)
        if not opts.no_circles:
            results["circles"] = {}
            try:
                circles = await start_circles(opts, log_dir, log, cleanup)
            except Exception as e:
                log(f"  !! Circles did not start: {type(e).__name__}: {e}")
                results["circles"] = {sc.name: {"error": f"start: {e}"} for sc in scenarios}
            else:
                meta["circles"] = circles.config
                for i, sc in enumerate(scenarios):
                    if i:  # users are shared: let the last scenario's "offline" presence go out
                        await asyncio.sleep(opts.presence_wait)
                    results["circles"][sc.name] = await runner.guarded_scenario(circles, sc)
    finally:
        await pool.stop()
        for p in reversed(cleanup):
            if isinstance(p, subprocess.Popen):
                _stop_popen(p)
            else:
                p.stop()
    log("\n# summary (delivered/s = messages received by other members per second)")
    for line in summary_table(results, names):
        log(line)
    log("  * KB/conn measured on a process that had already served a scenario: freed memory is")
    log("    reused, so only the unstarred figure (fresh process) is the cost of a connection")
    checks = compare(results, names)
    if checks:
        log("\n# targets")
        for c in checks:
            log(f"  [{'PASS' if c['pass'] else 'FAIL'}] {c['check']}: {c['detail']}")
    gen_max = max(
        (r["gen_cpu_pct_max"] for s in results.values() for r in s.values() if "error" not in r),
        default=0,
    )
    log(
        f"\n  load generator CPU: at most {gen_max:.0f}% of one core (all {opts.procs} workers "
        f"and the coordinator) during any step"
    )
    out = {"meta": meta, "results": results, "checks": checks}
    (opts.out_dir / "result.json").write_text(json.dumps(out, indent=2))
    (RESULTS / "latest.json").write_text(json.dumps(out, indent=2))
    log(f"  result: {opts.out_dir / 'result.json'}")
    log_file.close()
    return 0


PRIORITY = [0]


def boost(pid: int) -> None:
    """Raise the scheduling priority of ``pid`` (and of its session's autogroup) to ``--nice``.

    Every process of the run (servers, databases, generator) gets it, so that other work on a
    shared machine disturbs the measurement less. With autogroup scheduling (the default on
    Linux desktops and these machines) each session is one scheduling entity and a plain nice
    value only counts inside it, so the session's autogroup is reniced as well.
    """
    nice = PRIORITY[0]
    if not nice:
        return
    for tid in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else []:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, int(tid), nice)
    with contextlib.suppress(OSError), open(f"/proc/{pid}/autogroup", "w") as f:
        f.write(str(nice))


def _stop_popen(p: subprocess.Popen[bytes]) -> None:
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


def _provision_key() -> str:
    """Identifies a provisioned database: the server's storage code and the scenarios' shapes.

    Only the files that define what is stored (models, repositories, tokens) are hashed, so that
    ordinary server edits keep the cache; a cached database is also checked with one
    authenticated call before it is used.
    """
    h = hashlib.sha256(b"circles-bench-provision-v2")  # v2: FerretDB on PostgreSQL
    names = ("models.py", "repository.py", "mongo.py", "tokens.py", "passwords.py")
    for path in sorted(p for p in (ROOT / "server").rglob("*.py") if p.name in names):
        h.update(path.relative_to(ROOT).as_posix().encode())
        h.update(path.read_bytes())
    h.update(json.dumps([asdict(s) for s in SCENARIOS.values()]).encode())
    return h.hexdigest()[:16]


CACHE_MAX_AGE_S = 7 * 24 * 3600  # tokens live SESSION_TTL_DAYS (30) days


async def start_circles(
    opts: argparse.Namespace, log_dir: Path, log: Any, cleanup: list[Any]
) -> Target:
    """FerretDB + Redis + Circles, provisioned with every scenario's users and circles.

    Provisioning (argon2 registration and ~1,200 joins) is slow, so the provisioned FerretDB
    files are kept under bench/results/cache/<key>/, keyed by a hash of server/ and the scenario
    shapes, and copied for the next run (``--fresh`` ignores the cache).
    """
    data = opts.out_dir / "data"
    loop = asyncio.get_running_loop()
    key = _provision_key()
    cache = RESULTS / "cache" / key
    prov: dict[str, Any] | None = None
    if not opts.fresh and (cache / "provision.json").exists():
        cached = json.loads((cache / "provision.json").read_text())
        if time.time() - cached["created"] < CACHE_MAX_AGE_S:
            await loop.run_in_executor(None, shutil.copytree, cache / "ferretdb", data / "ferretdb")
            prov = cached
    ferret = await loop.run_in_executor(None, infra.start_ferretdb, data / "ferretdb", log_dir)
    cleanup.append(ferret)
    redis = await loop.run_in_executor(None, infra.start_redis, log_dir)
    cleanup.append(redis)
    env = {
        "MONGODB_URL": ferret.url,
        "FERRETDB_POSTGRESQL_URL": ferret.extra["postgres_url"],
        "REDIS_URL": redis.url,
        "DATA_DIR": str(data / "server"),
        "SEED_DEMO": "0",
        "RATE_LIMIT_MESSAGES_PER_MINUTE": "100000000",
        "RATE_LIMIT_AUTH_PER_MINUTE": "100000000",
        "MAX_CONNECTIONS_PER_USER": "100",
        "SECRET_KEY": "bench-secret-key-bench-secret-key",
    }
    for kv in opts.server_env:
        k, _, v = kv.partition("=")
        env[k] = v
    port = infra.free_port()
    t0 = time.monotonic()
    server = await loop.run_in_executor(None, lambda: infra.start_server(env, log_dir, port))
    cleanup.append(server)
    log(
        f"\n# circles: {server.url} pid {server.popen.pid} (FerretDB {ferret.url}, Redis "
        f"{redis.url}), healthy after {time.monotonic() - t0:.1f}s"
    )
    if prov is not None:
        try:  # the cache is only good if the server still accepts its tokens and circles
            async with aiohttp.ClientSession(base_url=server.url) as s:
                first = prov["tokens"]["circles"][0]
                await _api(s, "GET", "/api/me", token=first)
                await _api(s, "GET", "/api/circles?q=Bench", token=first)
            log(f"  users and circles from the provisioning cache {cache.relative_to(ROOT)}")
        except Exception as e:
            log(f"  provisioning cache unusable ({e}); provisioning anew")
            server.stop()
            cleanup.remove(server)
            ferret.stop()
            cleanup.remove(ferret)
            shutil.rmtree(data / "ferretdb")
            ferret = await loop.run_in_executor(
                None, infra.start_ferretdb, data / "ferretdb", log_dir
            )
            cleanup.append(ferret)
            env["MONGODB_URL"] = ferret.url
            env["FERRETDB_POSTGRESQL_URL"] = ferret.extra["postgres_url"]
            server = await loop.run_in_executor(
                None, lambda: infra.start_server(env, log_dir, port)
            )
            cleanup.append(server)
            prov = None
    if prov is None:
        log("  provisioning users and circles (cached for the next runs)...")
        prov = await provision_circles(server.url, list(SCENARIOS.values()), log)
        prov["created"] = time.time()
        # keep a copy of the provisioned database for the next runs
        server.stop()
        cleanup.remove(server)
        ferret.stop()
        cleanup.remove(ferret)
        if cache.parent.exists():
            for old in cache.parent.iterdir():
                shutil.rmtree(old, ignore_errors=True)
        tmp = cache.with_suffix(".tmp")
        await loop.run_in_executor(None, shutil.copytree, data / "ferretdb", tmp / "ferretdb")
        (tmp / "provision.json").write_text(json.dumps(prov))
        tmp.rename(cache)
        ferret = await loop.run_in_executor(None, infra.start_ferretdb, data / "ferretdb", log_dir)
        cleanup.append(ferret)
        env["MONGODB_URL"] = ferret.url
        env["FERRETDB_POSTGRESQL_URL"] = ferret.extra["postgres_url"]
        # measure on a fresh process: registration (argon2) leaves memory behind that would
        # blur the per-connection RSS figure
        server = await loop.run_in_executor(None, lambda: infra.start_server(env, log_dir, port))
        cleanup.append(server)
        log(f"  restarted Circles for measurement: pid {server.popen.pid}")
    for proc in (ferret, *ferret.companions, redis, server):
        boost(proc.popen.pid)
    env_shown = {k: v for k, v in env.items() if k != "SECRET_KEY"}
    return Target(
        "circles",
        server.url,
        server.popen.pid,
        join=False,
        config={"env": env_shown, "provision_key": key},
        tokens=prov["tokens"],
        rooms=prov["rooms"],
        infra_pids={  # PostgreSQL's work is done by its postmaster's children (descendants)
            "ferretdb": ferret.popen.pid,
            "postgres": ferret.companions[0].popen.pid,
            "redis": redis.popen.pid,
        },
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--scenario", choices=["circles", "fanout", "all"], default="all")
    p.add_argument(
        "--quick", action="store_true", help="short steps, coarser ladder (about 2 minutes in all)"
    )
    p.add_argument("--duration", type=float, help="seconds per ladder step (default 6, quick 3)")
    p.add_argument("--factor", type=float, help="ladder growth per step (default per scenario)")
    p.add_argument("--refine", type=int, help="extra bisection steps at the edge (default 2/1)")
    p.add_argument("--procs", type=int, default=2, help="load-generator processes (default 2)")
    p.add_argument(
        "--settle",
        type=float,
        default=2.0,
        help="seconds to wait after connecting before reading RSS",
    )
    p.add_argument(
        "--stall",
        type=float,
        default=1.5,
        help="drain: stop waiting for deliveries after this long without progress",
    )
    p.add_argument("--max-drain", type=float, default=10.0)
    p.add_argument(
        "--connect-concurrency",
        type=int,
        default=4,
        help="connection handshakes in flight per generator process while connecting",
    )
    p.add_argument(
        "--presence-wait",
        type=float,
        default=8.0,
        help="pause between Circles scenarios (> the server's PRESENCE_GRACE_SECONDS)",
    )
    p.add_argument(
        "--max-other",
        type=float,
        default=25.0,
        help="redo a step when other processes used more than this %% of a core",
    )
    p.add_argument(
        "--nice",
        type=int,
        default=-10,
        help="scheduling priority of every process of the run (root may go below 0; 0 = off)",
    )
    p.add_argument(
        "--redo", type=int, default=3, help="times a step disturbed by other work is redone"
    )
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=120.0,
        help="longest wait for the machine to become quiet before a scenario or redo",
    )
    p.add_argument(
        "--relay-ws",
        default="websockets-sansio",
        help="uvicorn ws implementation of the bare relay",
    )
    p.add_argument(
        "--relay-deflate",
        action="store_true",
        help="let the relay negotiate permessage-deflate (the generator never offers it)",
    )
    p.add_argument(
        "--fresh", action="store_true", help="provision Circles' users anew (ignore the cache)"
    )
    p.add_argument("--no-relay", action="store_true", help="skip the bare relay")
    p.add_argument("--no-circles", action="store_true", help="skip Circles (validate the bench)")
    p.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the Circles server",
    )
    p.add_argument(
        "--rates",
        type=lambda v: [float(x) for x in v.split(",")],
        help="fixed total messages/s per step instead of the ladder (e.g. 100,200)",
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="py-spy profile of Circles during one extra step per scenario",
    )
    p.add_argument("--profile-top", type=int, default=20)
    opts = p.parse_args(argv)
    if opts.duration is None:
        opts.duration = 3.0 if opts.quick else 6.0
    if opts.refine is None:
        opts.refine = 1 if opts.quick else 2
    if opts.quick and opts.factor is None:
        opts.factor = 2.0
    return opts


def main(argv: list[str] | None = None) -> None:
    opts = parse_args(argv)
    PRIORITY[0] = opts.nice
    boost(os.getpid())

    async def guarded() -> int:
        # SIGTERM/SIGINT cancel the run so that every process it started is stopped
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()

        stopping = []

        def stop() -> None:  # cancel once: a second signal must not interrupt the cleanup
            if not stopping:
                stopping.append(True)
                task.cancel()

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop)
        return await amain(opts)

    try:
        sys.exit(asyncio.run(guarded()))
    except asyncio.CancelledError:
        print("interrupted: stopped every process the benchmark started", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
