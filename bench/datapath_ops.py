"""What ``bench.datapath`` checks and times on a running server: the read-back check of the
stored history, the operations (one at a time, closed loop) and the connection storm."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench import procstat
from bench import profile as prof
from bench.datapath_world import Conv, Log, World, close_all, connect_all, ok_call
from bench.loadgen import Worker, open_client
from bench.run import GenPool

OPS = (
    "history newest (cold)",
    "history newest",
    "history deep",
    "sync recent",
    "history newest, circles",
    "sync recent, circles",
    "conversations (cold)",
    "conversations",
    "handshake",
    "join circle",
    "open DM",
    "activity GET",
)


@dataclass
class Pids:
    server: int
    db: list[int]  # FerretDB first, the postmaster (its backends are its descendants), Redis

    def cpu(self) -> tuple[float, float, float]:
        """CPU seconds so far: the server, the database (all of ``db``), FerretDB alone."""
        db = [p for root in self.db for p in procstat.descendants(root)]
        return (
            procstat.cpu_seconds(procstat.descendants(self.server)),
            procstat.cpu_seconds(db),
            procstat.cpu_seconds(procstat.descendants(self.db[0])),
        )


@dataclass
class OpResult:
    ms: list[float] = field(default_factory=list)
    srv_cpu_ms: float = 0.0  # per call
    db_cpu_ms: float = 0.0
    fdb_cpu_ms: float = 0.0  # of which FerretDB
    docs: list[int] = field(default_factory=list)  # messages per call, where the call returns some

    def pct(self, p: float) -> float:
        s = sorted(self.ms)
        return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))] if s else float("nan")

    def summary(self) -> dict[str, float | None]:
        return {
            "n": len(self.ms),
            "p50_ms": round(self.pct(50), 2),
            "p99_ms": round(self.pct(99), 2),
            "max_ms": round(max(self.ms), 2) if self.ms else float("nan"),
            "srv_cpu_ms": round(self.srv_cpu_ms, 2),
            "db_cpu_ms": round(self.db_cpu_ms, 2),
            "fdb_cpu_ms": round(self.fdb_cpu_ms, 2),
            "docs_per_call": round(sum(self.docs) / len(self.docs), 1) if self.docs else None,
        }


def measure_set(world: World) -> list[int]:
    """Every tenth user: together they are members of every circle."""
    return list(range(0, world.users, 10))


def sample_convs(world: World) -> list[tuple[Conv, int]]:
    """The 20 largest circles and 20 DMs, each with a reader from the measure set."""
    readers = set(measure_set(world))
    out = []
    for conv in world.convs[:20]:
        out.append((conv, next(u for u in conv.members if u in readers)))
    dms = [c for c in world.convs if c.kind == "dm" and c.members[0] in readers]
    for conv in random.Random(3).sample(dms, min(20, len(dms))):
        out.append((conv, conv.members[0]))
    return out


def _check_page(world: World, conv: Conv, msgs: list[dict[str, Any]], seqs: list[int]) -> None:
    got = [m["seq"] for m in msgs]
    if got != seqs:
        raise AssertionError(f"{conv.id}: seqs {got[:5]}..{got[-5:]} != {seqs[:5]}..{seqs[-5:]}")
    members = {world.user_ids[u] for u in conv.members}
    for m in msgs:
        kind, text = world.expected_text(conv, m["seq"])
        if kind is not None and (m["kind"], m["text"]) != (kind, text):
            raise AssertionError(f"{conv.id} seq {m['seq']}: {m['text']!r} != {text!r}")
        if kind is not None and m["sender_id"] not in members:
            raise AssertionError(f"{conv.id} seq {m['seq']}: sender {m['sender_id']} not a member")


async def verify(url: str, world: World, log: Log) -> int:
    """Read back through the server, for a sample of conversations, the newest, the oldest and a
    middle page of history and a sync window: seqs dense and in order, texts as written,
    and ``conversations`` reporting every stored seq. Returns the messages checked."""
    pairs = sample_convs(world)
    w = await connect_all(url, world, sorted({u for _, u in pairs}))
    checked = 0
    rng = random.Random(11)
    try:
        for conv, u in pairs:
            c = w.conns[u]
            top = conv.seq_top
            listed = await ok_call(c, "conversations", {})
            mine = {x["id"]: x for x in listed["conversations"]}
            if mine[conv.id]["seq"] != top or mine[conv.id]["rev"] != conv.rev_top:
                raise AssertionError(f"{conv.id}: conversations says {mine[conv.id]}, stored {top}")
            befores = {None, min(top + 1, 51), rng.randint(1, top) + 1}
            for before in befores:
                data: dict[str, Any] = {"conversation_id": conv.id, "limit": 50}
                if before is not None:
                    data["before_seq"] = before
                page = await ok_call(c, "history", data)
                high = top if before is None else before - 1
                seqs = list(range(max(1, high - 49), high + 1))
                _check_page(world, conv, page["messages"], seqs)
                checked += len(seqs)
            since = max(0, conv.rev_top - 100)
            synced = await ok_call(c, "sync", {"conversation_id": conv.id, "since_rev": since})
            revs = [m["rev"] for m in synced["messages"]]
            if revs != sorted(revs) or (revs and (revs[0] <= since or revs[-1] > conv.rev_top)):
                raise AssertionError(f"{conv.id}: sync revs {revs[:5]}.. from {since}")
            for m in synced["messages"]:
                _check_page(world, conv, [m], [m["seq"]])
            checked += len(revs)
    finally:
        close_all(w)
    log(f"  read back {checked:,} messages of {len(pairs)} conversations through the server: ok")
    return checked


async def _timed(res: OpResult, pids: Pids, calls: list[Callable[[], Awaitable[Any]]]) -> OpResult:
    cpu0 = pids.cpu()
    for call in calls:
        t0 = time.perf_counter()
        got = await call()
        res.ms.append((time.perf_counter() - t0) * 1000)
        if isinstance(got, dict) and isinstance(got.get("messages"), list):
            res.docs.append(len(got["messages"]))
    cpu1 = pids.cpu()
    if calls:
        res.srv_cpu_ms = (cpu1[0] - cpu0[0]) * 1000 / len(calls)
        res.db_cpu_ms = (cpu1[1] - cpu0[1]) * 1000 / len(calls)
        res.fdb_cpu_ms = (cpu1[2] - cpu0[2]) * 1000 / len(calls)
    return res


async def measure(
    url: str, world: World, pids: Pids, stage: int, samples: int
) -> dict[str, OpResult]:
    """Each operation ``samples`` times (about), one call at a time, on a fresh server."""
    out = {op: OpResult() for op in OPS}
    rng = random.Random(100 + stage)
    pairs = sample_convs(world)
    w = await connect_all(url, world, measure_set(world))
    try:

        def call(u: int, event: str, data: dict[str, Any]) -> Callable[[], Awaitable[Any]]:
            return lambda: ok_call(w.conns[u], event, data)

        def rounds(items: list[Any]) -> list[Any]:
            return [items[i % len(items)] for i in range(max(samples, len(items)))] if items else []

        # the first read of each conversation on this process (it walks up to the top claim)
        await _timed(
            out["history newest (cold)"],
            pids,
            [call(u, "history", {"conversation_id": c.id, "limit": 50}) for c, u in pairs],
        )

        def newest(sample: list[tuple[Conv, int]]) -> list[Callable[[], Awaitable[Any]]]:
            return [
                call(u, "history", {"conversation_id": c.id, "limit": 50})
                for c, u in rounds(sample)
            ]

        def recent(sample: list[tuple[Conv, int]]) -> list[Callable[[], Awaitable[Any]]]:
            return [
                call(u, "sync", {"conversation_id": c.id, "since_rev": max(0, c.rev_top - 20)})
                for c, u in rounds(sample)
            ]

        await _timed(out["history newest"], pids, newest(pairs))
        deep = [(c, u) for c, u in pairs if c.seq_top >= 150]
        await _timed(
            out["history deep"],
            pids,
            [
                call(
                    u,
                    "history",
                    {
                        "conversation_id": c.id,
                        "limit": 50,
                        "before_seq": rng.randint(51, c.seq_top // 2),
                    },
                )
                for c, u in rounds(deep)
            ],
        )
        await _timed(out["sync recent"], pids, recent(pairs))
        # The same two reads on the 20 largest circles only: their pages are full at every size
        # (the smallest of them holds about 70 messages at 10,000), so these rows compare calls
        # that return as many messages at each size; the sampled DMs hold a few messages at
        # 10,000 and full pages at 1,000,000.
        circles = [(c, u) for c, u in pairs if c.kind != "dm"]
        await _timed(out["history newest, circles"], pids, newest(circles))
        await _timed(out["sync recent, circles"], pids, recent(circles))
        # each user's first call reads the tops of conversations the process has not read yet
        users = measure_set(world)
        await _timed(
            out["conversations (cold)"], pids, [call(u, "conversations", {}) for u in users]
        )
        await _timed(
            out["conversations"], pids, [call(u, "conversations", {}) for u in rounds(users)]
        )
        await _open_dms(w, world, pids, out["open DM"], rng, samples // 2)
        async with aiohttp.ClientSession(base_url=url) as s:
            await _activity_reads(s, world, pids, out["activity GET"], samples)
            await _joins(s, world, pids, out["join circle"], rng, samples // 2)
        await _handshakes(url, world, pids, out["handshake"], samples)
    finally:
        close_all(w)
    return out


async def _open_dms(
    w: Worker, world: World, pids: Pids, res: OpResult, rng: random.Random, n: int
) -> None:
    """New DMs between a measured user and someone of their first circle (no DM yet)."""
    todo = []
    for u in rng.sample(measure_set(world), len(measure_set(world))):
        peers = [(u + d) % world.users for d in range(2, world.circle_size)]
        peer = next((p for p in peers if (u, p) not in world.dms), None)
        if peer is not None:
            world.dms.add((u, peer))
            todo.append(call_dm(w, world, u, peer))
        if len(todo) >= n:
            break
    await _timed(res, pids, todo)


def call_dm(w: Worker, world: World, u: int, peer: int) -> Callable[[], Awaitable[Any]]:
    return lambda: ok_call(w.conns[u], "dm:open", {"user_id": world.user_ids[peer]})


async def _activity_reads(
    s: aiohttp.ClientSession, world: World, pids: Pids, res: OpResult, n: int
) -> None:
    def get(aid: str, u: int) -> Callable[[], Awaitable[Any]]:
        async def go() -> None:
            headers = {"Authorization": f"Bearer {world.tokens[u]}"}
            async with s.get(f"/api/activities/{aid}", headers=headers) as resp:
                body = await resp.json()
                if resp.status != 200 or body["activity"]["id"] != aid:
                    raise RuntimeError(f"GET activity {aid}: {resp.status} {body}")

        return go

    items = [
        (aid, world.circle_members(c)[4 + i % 10]) for i, (aid, c) in enumerate(world.activity_ids)
    ]
    await _timed(res, pids, [get(*items[i % len(items)]) for i in range(n)])


async def _joins(
    s: aiohttp.ClientSession, world: World, pids: Pids, res: OpResult, rng: random.Random, n: int
) -> None:
    """Users join a random public circle they are not in yet."""

    def join(u: int, c: int) -> Callable[[], Awaitable[Any]]:
        async def go() -> None:
            headers = {"Authorization": f"Bearer {world.tokens[u]}"}
            async with s.post(
                f"/api/circles/{world.circle_ids[c]}/join", json={}, headers=headers
            ) as resp:
                if resp.status != 200:
                    raise RuntimeError(f"join {c} as {u}: {resp.status} {await resp.text()}")

        return go

    todo = []
    while len(todo) < n:
        u, c = rng.randrange(world.users), rng.randrange(world.circles)
        if (u, c) not in world.joined:
            world.joined.add((u, c))
            todo.append(join(u, c))
    await _timed(res, pids, todo)


async def _handshakes(url: str, world: World, pids: Pids, res: OpResult, n: int) -> None:
    """One socket at a time, from the TCP connect until the Socket.IO connect ack."""
    users = [u for u in range(world.users) if u % 10][:n]
    w = Worker()

    def one(u: int) -> Callable[[], Awaitable[Any]]:
        async def go() -> None:
            conn = await open_client(w, url, {"idx": u, "token": world.tokens[u], "room": ""})
            conn.close()

        return go

    await _timed(res, pids, [one(u) for u in users])


async def storm(
    url: str, world: World, pids: Pids, log: Log, profile: Path | None = None, procs: int = 2
) -> dict[str, Any]:
    """Every user connects at once (``procs`` load-generator processes, no concurrency limit);
    the time until the last connect ack. With ``profile``, py-spy records the server meanwhile."""
    pool = GenPool(procs)
    await pool.start()
    spy = None
    if profile is not None:
        argv = prof.record_argv(pids.server, 15, profile)
        spy = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        await asyncio.sleep(1.0)  # py-spy attaches
    try:
        per_worker: list[dict[str, Any]] = [{"clients": []} for _ in pool.workers]
        for u in range(world.users):
            spec = {"idx": u, "token": world.tokens[u], "room": "", "join": False}
            per_worker[u % procs]["clients"].append(spec)
        cpu0 = pids.cpu()
        t0 = time.monotonic()
        got = await pool.all("connect", per_worker, url=url, concurrency=world.users, timeout=600)
        wall = time.monotonic() - t0
        cpu1 = pids.cpu()
        out = {
            "clients": world.users,
            "connected": sum(r["connected"] for r in got),
            "seconds": round(wall, 2),
            "errors": sum(r["n_errors"] for r in got),  # after the generator's retries
            "error_samples": [e for r in got for e in r["errors"]][:3],
            "srv_cpu_s": round(cpu1[0] - cpu0[0], 2),
            "db_cpu_s": round(cpu1[1] - cpu0[1], 2),
        }
        await pool.all("close")
        if spy is not None and profile is not None:
            await spy.wait()
            for line in prof.format_summary(prof.summarise(profile), top=15):
                log("    " + line)
    finally:
        await pool.stop()
    log(
        f"  storm: {out['connected']}/{out['clients']} connected in {out['seconds']} s "
        f"({out['errors']} failed after retries; server CPU {out['srv_cpu_s']} s, "
        f"database CPU {out['db_cpu_s']} s)"
    )
    return out
