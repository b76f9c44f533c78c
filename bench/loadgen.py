"""Load-generator worker: one process, one asyncio (uvloop) loop, many Socket.IO clients.

The benchmark coordinator (``bench.run``) starts several of these and drives them with JSON
commands, one a line on stdin, each answered by one JSON line on stdout:

- ``{"cmd": "connect", "url", "clients": [{"idx", "token", "room", "join"}], "concurrency"}``
  opens one websocket per client and speaks Engine.IO v4 / Socket.IO v5 on it directly (no
  polling upgrade, no permessage-deflate); ``token`` goes in the connect packet's ``auth``, and
  ``join`` makes the client emit ``join {conversation_id: room}`` (the bare relay needs it; Circles
  puts sockets in their conversations itself).
- ``{"cmd": "step", "step", "start_ns", "duration", "senders": [{"idx", "rate"}]}`` sends, open
  loop, from each listed sender ``rate`` messages/s on a fixed schedule that starts at
  ``start_ns`` (``time.monotonic_ns()``, which is one clock for every process on Linux) whatever
  the server does. Each text is ``bench|<step>|<sender idx>|<n>|<intended send ns>|`` so that a
  receiver computes the end-to-end latency from the *intended* send time (a generator that falls
  behind its schedule shows up as latency, not as a lower rate: no coordinated omission).
- ``{"cmd": "stats", "step"}``: counts so far; ``{"cmd": "collect", "step"}``: counts plus the
  latency samples (µs, base64 of int64 arrays), then forgets the step.
- ``{"cmd": "heal"}`` reopens the clients whose connection was closed (by the server, say).
- ``{"cmd": "call", "idx", "event", "data"}`` emits one event from one client, returns its ack.
- ``{"cmd": "close"}`` closes every client; ``{"cmd": "quit"}`` exits.

Each client is a minimal websocket client written as an asyncio Protocol (see ``Conn``): frames
are parsed and handled inline in ``data_received`` and receivers parse only what they need out of
each frame (a ``bytes.find`` for the ``bench|`` marker), so that the generator costs a fraction of
what the server spends on the same deliveries.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import heapq
import json
import random
import sys
import time
from array import array
from typing import Any

monotonic_ns = time.monotonic_ns


class StepStats:
    __slots__ = (
        "ack_err",
        "ack_errors",
        "ack_lat",
        "acks_ok",
        "echo",
        "lat",
        "recv",
        "send_lag",
        "sent",
        "sent_by_room",
    )

    def __init__(self) -> None:
        self.sent = 0
        self.sent_by_room: dict[str, int] = {}
        self.recv = 0
        self.echo = 0
        self.lat = array("q")
        self.ack_lat = array("q")
        self.acks_ok = 0
        self.ack_err = 0
        self.ack_errors: dict[str, int] = {}
        self.send_lag = array("q")

    def counts(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "sent_by_room": self.sent_by_room,
            "recv": self.recv,
            "echo": self.echo,
            "acks_ok": self.acks_ok,
            "ack_err": self.ack_err,
            "ack_errors": self.ack_errors,
        }


def _b64(a: array) -> str:
    return base64.b64encode(a.tobytes()).decode()


class Worker:
    def __init__(self) -> None:
        self.conns: dict[int, Conn] = {}
        self.specs: dict[int, dict[str, Any]] = {}
        self.url = ""
        self.steps: dict[int, StepStats] = {}
        self.stale = 0
        self.other_events = 0
        self.disconnects = 0

    def pending_acks(self, step: int) -> int:
        n = 0
        for c in self.conns.values():
            for v in c.pending.values():
                if isinstance(v, tuple) and v[0] == step:
                    n += 1
        return n

    def expire_acks(self, step: int) -> int:
        n = 0
        for c in self.conns.values():
            for k in [k for k, v in c.pending.items() if isinstance(v, tuple) and v[0] == step]:
                del c.pending[k]
                n += 1
        return n


class Conn(asyncio.Protocol):
    """One Socket.IO client on a raw websocket: a minimal RFC 6455 client as an asyncio Protocol.

    Frames are parsed in ``data_received`` and handled inline: no task, future or message
    object per delivery, which makes a receiver several times cheaper than a websocket library's
    ``receive()`` loop. Outgoing frames carry an all-zero masking key (valid: the server unmasks
    with it; this client is not a browser, so there is no cache-poisoning concern).
    """

    def __init__(self, worker: Worker, idx: int, room: str, host: str, path: str) -> None:
        self.worker = worker
        self.idx = idx
        self.idx_s = str(idx).encode()
        self.room = room
        self.room_json = json.dumps(room)
        self.host = host
        self.path = path
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.upgraded = False
        self.closed = False
        self.next_ack = 0
        # ack id -> (step, intended send ns) for messages, or a Future for control calls
        self.pending: dict[int, Any] = {}
        self.inbox: asyncio.Queue[bytes] | None = asyncio.Queue()  # until the handshake is done
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    # -- transport ------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        key = base64.b64encode(random.randbytes(16)).decode()
        transport.write(
            (
                f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed:
            self.closed = True
            self.worker.disconnects += 1
        if not self.lost.done():
            self.lost.set_result(None)
        if self.inbox is not None:
            self.inbox.put_nowait(b"")

    def send_text(self, s: str) -> None:
        data = s.encode()
        n = len(data)
        if n < 126:
            head = bytes((0x81, 0x80 | n))
        elif n < 65536:
            head = bytes((0x81, 0xFE)) + n.to_bytes(2, "big")
        else:
            head = bytes((0x81, 0xFF)) + n.to_bytes(8, "big")
        assert self.transport is not None
        self.transport.write(head + b"\0\0\0\0" + data)

    def close(self) -> None:
        if self.transport and not self.closed:
            self.closed = True
            self.transport.write(b"\x88\x82\0\0\0\0\x03\xe8")  # close 1000
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buf[:end]).split(b"\r\n", 1)[0]
            if b" 101 " not in status + b" ":
                if self.inbox is not None:
                    self.inbox.put_nowait(b"!" + status)
                self.close()
                return
            self.upgraded = True
            del buf[: end + 4]
        off, n = 0, len(buf)
        while n - off >= 2:
            b0, b1 = buf[off], buf[off + 1]
            length = b1 & 0x7F
            p = off + 2
            if length == 126:
                if n - p < 2:
                    break
                length = int.from_bytes(buf[p : p + 2], "big")
                p += 2
            elif length == 127:
                if n - p < 8:
                    break
                length = int.from_bytes(buf[p : p + 8], "big")
                p += 8
            masked = b1 & 0x80
            if masked:
                p += 4
            if n - p < length:
                break
            payload = bytes(buf[p : p + length])
            if masked:  # servers never mask, but be correct
                mask = buf[p - 4 : p]
                payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
            off = p + length
            op = b0 & 0x0F
            if op == 1 or op == 0:
                self.on_packet(payload)
            elif op == 9:
                self.transport.write(bytes((0x8A, 0x80 | len(payload))) + b"\0\0\0\0" + payload)
            elif op == 8:
                self.close()
                break
        del buf[:off]

    # -- Engine.IO / Socket.IO --------------------------------------------------------------
    def on_packet(self, s: bytes) -> None:
        head = s[:2]
        if head == b"42":
            now = monotonic_ns()
            i = s.find(b"bench|")
            if i < 0:
                self.worker.other_events += 1
                return
            parts = s[i + 6 : i + 96].split(b"|", 4)
            st = self.worker.steps.get(int(parts[0]))
            if st is None:
                self.worker.stale += 1
            elif parts[1] == self.idx_s:
                st.echo += 1
            else:
                st.recv += 1
                st.lat.append((now - int(parts[3])) // 1000)
        elif head == b"43":
            now = monotonic_ns()
            j = s.find(b"[", 2)
            entry = self.pending.pop(int(s[2:j]), None)
            if entry is None:
                return
            if isinstance(entry, tuple):
                st = self.worker.steps.get(entry[0])
                if st is None:
                    return
                k = s.find(b'"ok":', j)
                if k >= 0 and s.startswith(b"true", k + 5):
                    st.acks_ok += 1
                    st.ack_lat.append((now - entry[1]) // 1000)
                else:
                    st.ack_err += 1
                    c = s.find(b'"code":', j)
                    code = (
                        s[c + 7 : s.find(b",", c)].decode().strip('"}')
                        if c >= 0
                        else s[j : j + 60].decode(errors="replace")
                    )
                    st.ack_errors[code] = st.ack_errors.get(code, 0) + 1
            elif not entry.done():
                entry.set_result(json.loads(s[j:])[0])
        elif s == b"2":
            self.send_text("3")
        elif self.inbox is not None:
            self.inbox.put_nowait(s)

    async def call(self, event: str, data: Any, timeout: float = 15.0) -> Any:
        ack = self.next_ack
        self.next_ack += 1
        fut = asyncio.get_running_loop().create_future()
        self.pending[ack] = fut
        self.send_text(f"42{ack}" + json.dumps([event, data], separators=(",", ":")))
        try:
            return await asyncio.wait_for(fut, timeout)
        finally:
            self.pending.pop(ack, None)


async def open_client(w: Worker, url: str, spec: dict[str, Any]) -> Conn:
    hostport = url.split("://", 1)[1].rstrip("/")
    host, _, port = hostport.partition(":")
    loop = asyncio.get_running_loop()
    conn = Conn(w, spec["idx"], spec["room"], hostport, "/socket.io/?EIO=4&transport=websocket")
    await loop.create_connection(lambda: conn, host, int(port or 80))
    try:
        assert conn.inbox is not None
        first = await asyncio.wait_for(conn.inbox.get(), 15)
        if not first.startswith(b"0{"):
            raise RuntimeError(f"unexpected open packet: {first[:200]!r}")
        auth = {"token": spec["token"]} if spec.get("token") else None
        conn.send_text("40" + (json.dumps(auth) if auth else ""))
        while True:
            pkt = await asyncio.wait_for(conn.inbox.get(), 15)
            if pkt.startswith(b"40"):
                break
            if pkt.startswith(b"44"):
                raise RuntimeError(f"connect refused: {pkt[2:200].decode(errors='replace')}")
            if not pkt or pkt.startswith(b"!"):
                raise RuntimeError(f"connection failed: {pkt[1:200]!r}")
        conn.inbox = None
        if spec.get("join"):
            ack = await conn.call("join", {"conversation_id": spec["room"]})
            if not (isinstance(ack, dict) and ack.get("ok")):
                raise RuntimeError(f"join refused: {ack!r}")
    except BaseException:
        conn.close()
        raise
    return conn


async def _open_all(
    w: Worker, specs: list[dict[str, Any]], concurrency: int
) -> tuple[int, list[str]]:
    sem = asyncio.Semaphore(concurrency)
    errors: list[str] = []
    failed: list[int] = []
    opened = 0

    async def one(spec: dict[str, Any]) -> None:
        nonlocal opened
        async with sem:
            for attempt in range(5):
                try:
                    w.conns[spec["idx"]] = await open_client(w, w.url, spec)
                    opened += 1
                    return
                except Exception as e:
                    if attempt == 4:
                        errors.append(f"client {spec['idx']}: {type(e).__name__}: {e}")
                        failed.append(spec["idx"])
                    await asyncio.sleep(0.5 * (attempt + 1))

    await asyncio.gather(*(one(s) for s in specs))
    return opened, errors, failed


async def cmd_connect(w: Worker, msg: dict[str, Any]) -> dict[str, Any]:
    w.url = msg["url"]
    for spec in msg["clients"]:
        w.specs[spec["idx"]] = spec
    t0 = time.monotonic()
    _, errors, failed = await _open_all(w, msg["clients"], int(msg.get("concurrency", 32)))
    return {
        "failed": failed,
        "connected": len(w.conns),
        "errors": errors[:10],
        "n_errors": len(errors),
        "seconds": time.monotonic() - t0,
    }


async def cmd_heal(w: Worker, msg: dict[str, Any]) -> dict[str, Any]:
    """Reopen the clients whose connection closed (e.g. the server dropped a slow reader)."""
    dead = [w.specs[i] for i, c in w.conns.items() if c.closed]
    opened, errors, _ = await _open_all(w, dead, 4)
    w.disconnects = 0
    return {"reopened": opened, "errors": errors[:5], "n_errors": len(errors)}


async def cmd_step(w: Worker, msg: dict[str, Any]) -> dict[str, Any]:
    step = int(msg["step"])
    st = w.steps.setdefault(step, StepStats())
    start = int(msg["start_ns"])
    end = start + int(float(msg["duration"]) * 1e9)
    heap: list[tuple[int, int, int, int]] = []  # (intended ns, n, conn idx, period ns)
    for s in msg["senders"]:
        period = int(1e9 / float(s["rate"]))
        first = start + int(random.random() * period)
        if first < end:
            heap.append((first, 0, int(s["idx"]), period))
    heapq.heapify(heap)
    conns = w.conns
    sleep = asyncio.sleep
    while heap:
        t, n, idx, period = heap[0]
        now = monotonic_ns()
        if t > now:
            await sleep((t - now) / 1e9)
            continue
        if t + period < end:
            heapq.heapreplace(heap, (t + period, n + 1, idx, period))
        else:
            heapq.heappop(heap)
        c = conns.get(idx)
        if c is None or c.closed:
            st.ack_err += 1
            st.ack_errors["not_connected"] = st.ack_errors.get("not_connected", 0) + 1
            continue
        ack = c.next_ack
        c.next_ack += 1
        c.pending[ack] = (step, t)
        text = f"bench|{step}|{idx}|{n}|{t}|"
        frame = (
            f'42{ack}["message:send",{{"conversation_id":{c.room_json},'
            f'"client_id":"b{step}-{idx}-{n}","text":"{text}"}}]'
        )
        st.sent += 1
        st.sent_by_room[c.room] = st.sent_by_room.get(c.room, 0) + 1
        st.send_lag.append((monotonic_ns() - t) // 1000)
        c.send_text(frame)
    return st.counts()


async def cmd_stats(w: Worker, msg: dict[str, Any]) -> dict[str, Any]:
    step = int(msg["step"])
    st = w.steps.get(step)
    out = st.counts() if st else {}
    out["pending_acks"] = w.pending_acks(step)
    out["disconnects"] = w.disconnects
    return out


async def cmd_collect(w: Worker, msg: dict[str, Any]) -> dict[str, Any]:
    step = int(msg["step"])
    st = w.steps.pop(step, None) or StepStats()
    lost_acks = w.expire_acks(step)
    out = st.counts()
    out["ack_err"] += lost_acks
    if lost_acks:
        out["ack_errors"]["no_ack"] = out["ack_errors"].get("no_ack", 0) + lost_acks
    out.update(
        lat=_b64(st.lat),
        ack_lat=_b64(st.ack_lat),
        send_lag=_b64(st.send_lag),
        stale=w.stale,
        other_events=w.other_events,
        disconnects=w.disconnects,
    )
    return out


async def cmd_close(w: Worker, msg: dict[str, Any]) -> dict[str, Any]:
    conns = list(w.conns.values())
    w.conns.clear()
    for c in conns:
        c.close()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(c.lost for c in conns)), 10)
    w.specs.clear()
    w.disconnects = 0
    return {"closed": len(conns)}


async def cmd_call(w: Worker, msg: dict[str, Any]) -> dict[str, Any]:
    c = w.conns[int(msg["idx"])]
    return {"ack": await c.call(msg["event"], msg.get("data", {}))}


COMMANDS = {
    "call": cmd_call,
    "heal": cmd_heal,
    "connect": cmd_connect,
    "step": cmd_step,
    "stats": cmd_stats,
    "collect": cmd_collect,
    "close": cmd_close,
}


async def amain() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 26)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    out = sys.stdout
    w = Worker()
    lock = asyncio.Lock()

    def reply(req_id: Any, payload: dict[str, Any]) -> None:
        payload["id"] = req_id
        out.write(json.dumps(payload) + "\n")
        out.flush()

    async def handle(req: dict[str, Any]) -> None:
        try:
            res = await COMMANDS[req["cmd"]](w, req)
        except Exception as e:
            res = {"error": f"{type(e).__name__}: {e}"}
        async with lock:
            reply(req.get("id"), res)

    tasks: set[asyncio.Task[None]] = set()
    while True:
        line = await reader.readline()
        if not line:
            break
        req = json.loads(line)
        if req["cmd"] == "quit":
            break
        t = asyncio.create_task(handle(req))
        tasks.add(t)
        t.add_done_callback(tasks.discard)
    if w.conns:
        await cmd_close(w, {})


def main() -> None:
    try:
        import uvloop

        uvloop.run(amain())
    except ImportError:
        asyncio.run(amain())


if __name__ == "__main__":
    main()
