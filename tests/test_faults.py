"""Faults: real dependencies stopped mid-run (TESTING.md, Faults, items 6-9).

These tests stop and pause their own FerretDB and Redis (the ``rig`` below), never the session's
shared ones, and check the history of every operation against the database afterwards
(tests/support/history.py).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import socket
import struct
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import infra
from tests.support.client import Api, Sock
from tests.support.history import (
    History,
    Replica,
    SendOp,
    Store,
    check_dense,
    check_m1,
    check_m2,
    check_m3,
    check_m4,
    client_id,
)

pytestmark = pytest.mark.slow  # fault tests: real dependencies stopped mid-run
LOGS = infra.ROOT / "test-artifacts" / "logs"
DB_TIMEOUT_S = 2.0  # DB_TIMEOUT_MS in the test environment (tests/conftest.py)


class Rig:
    """A FerretDB and a Redis of this module's own, so stopping them breaks no other test."""

    def __init__(self, tmp: Path, stack: Any) -> None:
        self.tmp = tmp
        self.ferret = stack.ferretdb()
        self.redis = infra.start_redis(LOGS)
        self.db = "faults"
        self.base_env = {
            **stack.server_env(redis=False),
            "MONGODB_URL": self.ferret.url,
            "FERRETDB_POSTGRESQL_URL": self.ferret.extra["postgres_url"],
            "MONGODB_DB": self.db,
            "REDIS_URL": self.redis.url,
        }
        self.store = Store(self.ferret.url, self.db)
        self.procs: list[infra.Proc] = []

    def start(self, **extra: str) -> infra.Proc:
        env = {**self.base_env, "DATA_DIR": str(self.tmp / f"data_{uuid.uuid4().hex[:8]}")}
        proc = infra.start_server({**env, **extra}, LOGS)
        self.procs.append(proc)
        return proc

    def restart_redis(self) -> None:
        """A fresh Redis on the port the servers know (nothing survives: --save "")."""
        self.redis = infra.start_redis(LOGS, port=self.redis.port)

    async def close(self) -> None:
        for proc in self.procs:
            proc.resume()
            proc.stop()
        await self.store.close()
        for dep in (self.redis, self.ferret):
            dep.resume()
            dep.stop()


@pytest.fixture(scope="module")
async def rig(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Rig]:
    r = Rig(tmp_path_factory.mktemp("faults"), stack)
    yield r
    await r.close()


@pytest.fixture(scope="module")
def pair(rig: Rig) -> tuple[infra.Proc, infra.Proc]:
    """Two processes on the rig, sharing its database and Redis."""
    return rig.start(), rig.start()


async def healthy(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            return (await http.get(url + "/healthz")).status_code == 200
    except httpx.HTTPError:
        return False


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout: float, what: str, step: float = 0.2
) -> float:
    """Wait until ``check()`` is true; returns how long it took."""
    start = time.monotonic()
    while not await check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what}: not within {timeout}s")
        await asyncio.sleep(step)
    return time.monotonic() - start


async def circle_of(owner: Api, *members: Api) -> str:
    circle = await owner.create_circle(f"Faults {client_id()[:6]}")
    await asyncio.gather(*[m.join(circle["id"]) for m in members])
    return str(circle["conversation_id"])


def sent_between(history: History, start: float, end: float) -> list[SendOp]:
    return [op for op in history.sends if start <= op.started <= end]


async def cross_process_delivery_works(
    sender: Sock, sender_id: str, receiver: Sock, conv: str
) -> bool:
    """One fresh message from ``sender`` reaches ``receiver`` (on the other process) live."""
    marker = f"probe {client_id()[:8]}"
    ack = await sender.call(
        "message:send", {"conversation_id": conv, "client_id": client_id(), "text": marker}
    )
    if ack.get("ok") is not True:
        return False
    try:
        await receiver.wait_for(
            "message:new", lambda e: e["message"]["text"] == marker, timeout=1.5
        )
    except TimeoutError:
        return False
    return True


async def test_redis_outage_during_a_broadcast_loses_nothing_and_recovers(
    rig, pair, make_user, make_sock
):
    a, b = pair
    owner = await make_user("owner", base_url=a.url)
    senders = [await make_user(f"sender{i}", base_url=a.url) for i in range(4)]
    watchers = [await make_user(f"watcher{i}", base_url=a.url) for i in range(2)]
    # Two conversations, each written through one process and watched from both (two processes
    # writing one conversation is test_delivery's total-order subject).
    convs = [await circle_of(owner, *senders, *watchers) for _ in range(2)]
    history = History()
    sender_socks = [await make_sock(s, (a, b)[i % 2].url) for i, s in enumerate(senders)]
    watcher_socks = {
        f"watcher@{n}": history.watch(f"watcher@{n}", await make_sock(w, p.url))
        for w, p, n in ((watchers[0], a, "a"), (watchers[1], b, "b"))
    }
    stop = asyncio.Event()

    async def traffic(i: int) -> None:
        k = 0
        while not stop.is_set():
            await history.send(
                sender_socks[i], senders[i].id, convs[i % 2], f"s{i} m{k}", timeout=20
            )
            k += 1
            await asyncio.sleep(0.05)

    tasks = [asyncio.create_task(traffic(i)) for i in range(len(senders))]
    await asyncio.sleep(1.5)
    down = time.monotonic()
    rig.redis.stop()
    await asyncio.sleep(3)
    rig.restart_redis()
    up = time.monotonic()
    await asyncio.sleep(1.5)
    stop.set()
    await asyncio.gather(*tasks)

    # Every send was answered: stored and acked, or refused as unavailable. Never silence.
    outcomes = history.outcomes()
    assert set(outcomes) <= {"ok", "error:unavailable"}, outcomes
    assert sent_between(history, down + 0.2, up), "no send was made during the outage"
    for conv in convs:
        stored = await rig.store.messages(conv)
        check_m1(history.acked(conv), stored)
        check_m2(stored)
        check_dense(stored)
    check_m3(history)

    # The processes recover by themselves: health, then live delivery both ways across them.
    for proc in pair:
        await eventually(lambda p=proc: healthy(p.url), 15, f"{proc.url} healthy again")
    s_a, s_b = sender_socks[0], sender_socks[1]
    await eventually(
        lambda: cross_process_delivery_works(
            s_a, senders[0].id, watcher_socks["watcher@b"], convs[0]
        ),
        20,
        "live delivery a -> b after the outage",
    )
    await eventually(
        lambda: cross_process_delivery_works(
            s_b, senders[1].id, watcher_socks["watcher@a"], convs[1]
        ),
        20,
        "live delivery b -> a after the outage",
    )
    assert all(p.popen.poll() is None for p in pair), "a process died"

    # Clients converge: a client whose socket was dropped reconnects; every client then syncs
    # from the highest rev it has seen, as the protocol tells it to.
    for (name, sock), user in zip(watcher_socks.items(), watchers, strict=True):
        replica = Replica()
        replica.apply_events(sock.log)
        if sock.disconnected.is_set():
            sock = await make_sock(user, sock.base_url)
        for conv in convs:
            await replica.sync(sock, conv)
            try:
                check_m4(replica, conv, await rig.store.messages(conv))
            except AssertionError as exc:
                raise AssertionError(f"{name}: {exc}") from None


async def test_database_paused_refuses_sends_promptly_and_retries_store_once(
    rig, make_user, make_sock
):
    proc = rig.start()
    alice, bob = [await make_user(n, base_url=proc.url) for n in ("alice", "bob")]
    conv = await circle_of(alice, bob)
    sa, sb = await make_sock(alice, proc.url), await make_sock(bob, proc.url)
    history = History()
    for k in range(3):
        assert (await history.send(sa, alice.id, conv, f"before {k}")).outcome == "ok"

    rig.ferret.pause()  # SIGSTOP: connections stay open and simply get no answer
    paused = time.monotonic()
    try:
        during = await asyncio.gather(
            *[
                history.send((sa, sb)[k % 2], (alice, bob)[k % 2].id, conv, f"during {k}")
                for k in range(6)
            ]
        )
        # Later waves land while the failed writes are being retried in the background: each
        # is still answered within about one timeout, not one timeout per attempt ahead of it.
        for wave, pause in enumerate((1.0, 2.5)):
            await asyncio.sleep(pause)
            during.extend(
                await asyncio.gather(
                    *[
                        history.send(sa, alice.id, conv, f"during, wave {wave} #{k}")
                        for k in range(3)
                    ]
                )
            )
        resumed_after = time.monotonic() - paused
    finally:
        rig.ferret.resume()

    assert proc.popen.poll() is None, "the server died with its database"
    latencies = [round(op.latency or -1, 1) for op in during]
    for op in during:
        assert op.outcome == "error" and op.error and op.error["code"] == "unavailable", op
        assert op.latency is not None and op.latency <= 2 * DB_TIMEOUT_S + 1, (
            f"answered after {op.latency:.1f}s with the database down "
            f"(DB_TIMEOUT_MS={DB_TIMEOUT_S * 1000:.0f}); all latencies: {latencies}"
        )
    assert resumed_after < 30

    # After recovery, retrying each refused send with its client id stores it exactly once.
    await eventually(lambda: healthy(proc.url), 15, "healthy after the database came back")
    for op in during:
        sock = sa if op.sender == alice.id else sb
        again = await history.send(sock, op.sender, conv, op.text, cid=op.client_id)
        assert again.outcome == "ok", again
        twice = await history.send(sock, op.sender, conv, op.text, cid=op.client_id)
        assert twice.message == again.message
    stored = await rig.store.messages(conv)
    check_m1(history.acked(conv), stored)
    check_m2(stored)
    check_dense(stored)
    assert len([d for d in stored if d["kind"] == "text"]) == 3 + len(during)


async def refuses_connections(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=1) as http:
            await http.get(url + "/healthz")
    except httpx.HTTPError:
        return True
    return False


async def test_sigterm_during_traffic_stops_accepting_commits_or_refuses_and_exits_in_grace(
    rig, make_user, make_sock
):
    grace = 3.0
    proc = rig.start(SHUTDOWN_GRACE_SECONDS=str(grace))
    owner = await make_user("owner", base_url=proc.url)
    senders = [await make_user(f"sender{i}", base_url=proc.url) for i in range(6)]
    conv = await circle_of(owner, *senders)
    socks = [await make_sock(s, proc.url) for s in senders]
    history = History()
    stop = asyncio.Event()

    async def traffic(i: int) -> None:
        k = 0
        while not stop.is_set() and not socks[i].disconnected.is_set():
            # three sends in flight per sender, so the signal lands in the middle of some
            await asyncio.gather(
                *[
                    history.send(socks[i], senders[i].id, conv, f"s{i} m{k + j}", timeout=5)
                    for j in range(3)
                ]
            )
            k += 3

    tasks = [asyncio.create_task(traffic(i)) for i in range(len(senders))]
    await asyncio.sleep(1.5)
    assert len(history.acked()) > 0, history.outcomes()
    proc.popen.send_signal(signal.SIGTERM)
    term = time.monotonic()
    await asyncio.sleep(0.3)
    refused = await refuses_connections(proc.url)  # checked while it may still be draining
    try:
        exited = await asyncio.to_thread(proc.popen.wait, grace + 10)
    except subprocess.TimeoutExpired:
        # Say what the server was doing (it was seen once, on a loaded machine, still running
        # 13 s after the signal): its log's tail names the step of shutdown it was in.
        tail = proc.log()[-4000:]
        raise AssertionError(f"still running {grace + 10}s after SIGTERM:\n{tail}") from None
    took = time.monotonic() - term
    stop.set()
    await asyncio.gather(*tasks)

    assert refused, "still accepting new connections 0.3s after SIGTERM"
    assert took <= grace + 2, f"exited {took:.1f}s after SIGTERM, grace {grace}s"
    # uvicorn re-raises the captured signal once its graceful shutdown is done
    assert exited in (0, -signal.SIGTERM), exited
    assert "Traceback" not in proc.log(), proc.log()[-3000:]
    stored = await rig.store.messages(conv)
    check_m1(history.acked(conv), stored)
    check_m2(stored)
    check_dense(stored)
    # A send refused with an error changed nothing; one stored without an ok ack must have been
    # in flight (unanswered) when the process went away.
    by_cid = {op.client_id: op for op in history.sends}
    for doc in stored:
        assert by_cid[doc["client_id"]].outcome in ("ok", "no_answer"), (
            by_cid[doc["client_id"]],
            doc,
        )
    assert set(history.outcomes()) <= {"ok", "no_answer", "error:unavailable"}, history.outcomes()


# --- clients that stop reading ------------------------------------------------------------------


class SilentClient:
    """A raw websocket client speaking Engine.IO v4 / Socket.IO v5 by hand. After the handshake
    it never reads again (its receive buffer is made tiny), though it may keep writing."""

    def __init__(self, port: int, token: str) -> None:
        self.server_port = port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert b" 101 " in head.split(b"\r\n")[0], head
        assert self._frame().startswith("0{")  # Engine.IO open
        self.write("40" + json.dumps({"token": token}))
        while not self._frame().startswith("40{"):  # events may come first (presence)
            pass  # from the Socket.IO connect on: silence
        self.port = self.sock.getsockname()[1]

    def _frame(self) -> str:
        def exact(n: int) -> bytes:
            data = b""
            while len(data) < n:
                chunk = self.sock.recv(n - len(data))
                if not chunk:
                    raise EOFError
                data += chunk
            return data

        head = exact(2)
        size = head[1] & 0x7F
        if size == 126:
            size = struct.unpack("!H", exact(2))[0]
        elif size == 127:
            size = struct.unpack("!Q", exact(8))[0]
        return exact(size).decode()

    def write(self, text: str) -> None:
        data, mask = text.encode(), os.urandom(4)
        n = len(data)
        head = bytes([0x81]) + (
            bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n)
        )
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def server_side_open(self) -> bool:
        """Whether the server still holds its end of this connection open (ESTABLISHED)."""
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, state = fields[1], fields[2], fields[3]
            if (
                int(local.split(":")[1], 16) == self.server_port
                and int(remote.split(":")[1], 16) == self.port
            ):
                return state == "01"
        return False

    def close(self) -> None:
        self.sock.close()


def rss_mb(proc: infra.Proc) -> float:
    for line in Path(f"/proc/{proc.popen.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def until_closed(silent: SilentClient, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not silent.server_side_open():
            return True
        await asyncio.sleep(0.25)
    return False


async def test_client_that_stops_reading_a_broadcast_is_dropped_while_others_keep_up(
    rig, make_user, make_sock
):
    proc = rig.start(MONGODB_DB=f"slow_{uuid.uuid4().hex[:8]}")
    owner, slow, normal = [await make_user(n, base_url=proc.url) for n in ("owner", "slow", "ok")]
    conv = await circle_of(owner, slow, normal)
    silent = await asyncio.to_thread(SilentClient, proc.port, slow.token)
    reader = await make_sock(normal, proc.url)
    talkers = [await make_sock(owner, proc.url) for _ in range(8)]
    rss_before = rss_mb(proc)
    started = time.monotonic()
    try:
        # Large messages first: they fill the kernel's and the transport's buffers toward the
        # silent client, so what follows can only pile up in the server's own queue for it.
        # 4000 characters, 16 KB on the wire (UTF-8: the server's JSON does not escape them):
        # 360 of them, about 5.8 MB
        big = "\U0001f600" * 4000
        sent = await asyncio.gather(
            *[
                talkers[k % 8].ok(
                    "message:send", {"conversation_id": conv, "client_id": client_id(), "text": big}
                )
                for k in range(360)
            ]
        )
        # Then many small events, more than the server queues for one socket (~2000 packets).
        for _ in range(300):
            await asyncio.gather(*[t.ok("typing", {"conversation_id": conv}) for t in talkers])
        flood_took = time.monotonic() - started
        rss_after = rss_mb(proc)
        closed = await until_closed(silent, 10)
    finally:
        silent.close()

    # The client that keeps reading got everything, in order.
    await reader.wait_for("message:new", lambda e: e["message"]["id"] == sent[-1]["message"]["id"])
    assert {m["id"] for m in reader.messages(conv)} == {s["message"]["id"] for s in sent}
    await reader.wait_for("typing", lambda _: len(reader.events["typing"]) >= 2400, timeout=20)
    assert rss_after - rss_before < 100, f"RSS grew {rss_after - rss_before:.0f} MB"
    assert "stopped reading" in proc.log(), "the silent client was never found out"
    assert closed, (
        f"the server still holds the silent client's connection open {flood_took:.0f}s into the "
        "flood and 10s after giving up on it"
    )
    assert proc.popen.poll() is None


async def test_client_that_never_reads_its_own_replies_cannot_grow_server_memory(
    rig, make_user, make_sock
):
    """The same silent client, but the backlog is made of replies to its own requests (a history
    page is ~100x larger than the request for it), which no broadcast path ever counts."""
    proc = rig.start(MONGODB_DB=f"slow_{uuid.uuid4().hex[:8]}")
    owner, slow = [await make_user(n, base_url=proc.url) for n in ("owner", "slow")]
    conv = await circle_of(owner, slow)
    talker = await make_sock(owner, proc.url)
    page = "x" * 4000
    await asyncio.gather(
        *[
            talker.ok(
                "message:send", {"conversation_id": conv, "client_id": client_id(), "text": page}
            )
            for _ in range(60)
        ]
    )
    silent = await asyncio.to_thread(SilentClient, proc.port, slow.token)
    rss_before = rss_mb(proc)
    request = json.dumps(["history", {"conversation_id": conv, "limit": 100}])
    peak, asked = rss_before, 0
    try:
        for batch in range(16):  # up to 400 pages of ~250 KB: ~100 MB if nothing stops it
            try:
                await asyncio.to_thread(
                    lambda b=batch: [silent.write(f"42{b * 25 + i}{request}") for i in range(25)]
                )
            except OSError:
                break  # the server hung up on it: that is the point
            asked += 25
            await asyncio.sleep(0.8)
            peak = max(peak, rss_mb(proc))
            if not silent.server_side_open() or peak - rss_before >= 64:
                break
        closed = await until_closed(silent, 10)
        peak = max(peak, rss_mb(proc))
    finally:
        silent.close()
    assert peak - rss_before < 64, (
        f"RSS grew {peak - rss_before:.0f} MB after {asked} unread history pages"
    )
    assert closed, f"still connected after {asked} unread history pages"
    assert proc.popen.poll() is None
