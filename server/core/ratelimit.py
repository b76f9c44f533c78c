"""Per-user budgets and login backoff, shared by every process through Redis when it is
configured (each decision is one Lua script, so concurrent processes never double-spend), with
this process's own counts as the fallback while Redis is unreachable.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import NoScriptError, RedisError, ResponseError

from server.core.errors import RateLimited
from server.core.metrics import RATE_LIMITED, REDIS_SECONDS, labelled

log = logging.getLogger(__name__)
# a decision waiting for Redis: its key, its script's arguments, and where its answer goes
Asked = tuple[str, tuple[int, ...], asyncio.Future[int | None]]

# A Redis that failed is not asked again for this long: meanwhile every request is decided
# locally at once, instead of each waiting for its own connection error or timeout.
REDIS_PAUSE_SECONDS = 2.0
DEFAULT_TIMEOUT_SECONDS = 5.0  # a batch's longest wait for Redis, if the pool sets none
LOCAL_KEYS_MAX = 100_000


@dataclass(frozen=True)
class Budget:
    """A bucket of ``burst`` requests that refills at ``per_minute`` (a token bucket, kept as
    its "theoretical arrival time", GCRA). Declared beside the event or route it guards; budgets
    with the same name share one bucket per user. RATE_LIMIT_SCALE multiplies both numbers
    unless ``scalable`` is False (budgets sized by a setting of their own)."""

    name: str
    per_minute: float
    burst: int
    scalable: bool = True

    def scaled(self, scale: float) -> Budget:
        if not self.scalable:
            return self
        return Budget(self.name, self.per_minute * scale, max(1, math.ceil(self.burst * scale)))


# Authenticated HTTP routes that declare no budget of their own.
HTTP_WRITE = Budget("http_write", per_minute=120, burst=30)
HTTP_READ = Budget("http_read", per_minute=1200, burst=300)


def http_default(method: str) -> Budget:
    return HTTP_READ if method in ("GET", "HEAD") else HTTP_WRITE


# KEYS[1]: the bucket; ARGV: interval and tolerance in ms. Returns the ms to wait (0: allowed).
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait > 0 then return wait end
local new = tat + interval
redis.call('SET', KEYS[1], string.format('%d', new), 'PX', string.format('%d', new - now + 1000))
return 0
"""

# KEYS[1]: the failures of one key; ARGV: free attempts, longest wait and memory (ms).
# Returns the ms to wait (0: the attempt is allowed and counted).
_BACKOFF = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('HMGET', KEYS[1], 'n', 'last')
local n = tonumber(v[1]) or 0
local last = tonumber(v[2]) or 0
local free = tonumber(ARGV[1])
if n >= free then
  local wait = math.min(tonumber(ARGV[2]), 1000 * 2 ^ (n - free))
  if now < last + wait then return math.ceil(last + wait - now) end
end
redis.call('HSET', KEYS[1], 'n', n + 1, 'last', string.format('%d', now))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 0
"""


def _refuse(wait_ms: float) -> None:
    # Rounded up: a client that waits retry_after seconds is then let through.
    raise RateLimited(math.ceil(wait_ms / 1000))


class _Shared:
    """Runs a script on Redis, or says to decide locally (no Redis, or it failed lately).

    The decisions asked for in one turn of the event loop go to Redis together, as one pipeline
    of ``EVALSHA``s in the order they were asked: each is still one atomic script, but a busy
    process pays one round trip for all of them. They go over a connection of their own, one
    batch at a time; what is asked while a batch is on its way goes together in the next.

    Through the client's pool a lone decision cost this process 143 µs of CPU: the pool's lock
    and bookkeeping, the retry wrapper and the write timeout (a task per command). On a
    connection of its own, written without a timeout and read under one timer per batch, 58 µs
    (docs/performance.md, "The budgets' decisions and the packets' JSON"). A write cannot block
    for long: nothing is written until the batch before has been read. The connection is closed
    by ``aclose`` and opened again after any failure."""

    def __init__(self, redis: Redis | None, script: str, what: str) -> None:
        self._redis = redis
        self._script = redis.register_script(script) if redis is not None else None
        self._what = what
        self._paused_until = 0.0
        self._asked: list[Asked] = []
        self._sender: asyncio.Task[None] | None = None
        self._conn: AbstractConnection | None = None
        # the longest a batch may take, from the pool's settings (make_redis: 5 s)
        kwargs = redis.connection_pool.connection_kwargs if redis is not None else {}
        self._timeout = float(kwargs.get("socket_timeout") or DEFAULT_TIMEOUT_SECONDS)

    async def run(self, key: str, *args: int) -> int | None:
        if self._script is None or time.monotonic() < self._paused_until:
            return None
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[int | None] = loop.create_future()
        self._asked.append((key, args, answer))
        if self._sender is None:
            # runs in the next turn of the loop, when this turn's decisions are all asked
            self._sender = loop.create_task(self._send_all())
        return await answer

    async def _send_all(self) -> None:
        asked: list[Asked] = []
        try:
            while self._asked:
                asked, self._asked = self._asked, []
                try:
                    answers = await self._decide(asked)
                except Exception as exc:
                    log.warning(
                        "%s: Redis unavailable, deciding locally for a while",
                        self._what,
                        exc_info=not isinstance(exc, RedisError | TimeoutError),
                    )
                    self._paused_until = time.monotonic() + REDIS_PAUSE_SECONDS
                    answers = [None] * len(asked)
                for (_, _, answer), value in zip(asked, answers, strict=True):
                    if not answer.done():  # its asker may have been cancelled meanwhile
                        answer.set_result(value)
        finally:
            self._sender = None
            # cancelled (the process is stopping): whoever still waits decides locally
            for _, _, answer in [*asked, *self._asked]:
                if not answer.done():
                    answer.set_result(None)
            self._asked = []

    async def _decide(self, asked: list[Asked]) -> list[int | None]:
        assert self._script is not None
        started = time.perf_counter()
        conn = self._connection()
        try:
            async with asyncio.timeout(self._timeout):
                results = await self._evalsha(conn, [(key, args) for key, args, _ in asked])
                missing = [i for i, r in enumerate(results) if isinstance(r, NoScriptError)]
                if missing:  # not loaded yet (first use, Redis restarted, scripts flushed)
                    await conn.send_command("SCRIPT", "LOAD", self._script.script)
                    await conn.read_response()
                    again = await self._evalsha(conn, [(asked[i][0], asked[i][1]) for i in missing])
                    for i, result in zip(missing, again, strict=True):
                        results[i] = result
        except BaseException:
            await conn.disconnect(nowait=True)  # a reply may be half read: a new one next time
            raise
        finally:
            labelled(REDIS_SECONDS, "evalsha").observe(time.perf_counter() - started)
        answers: list[int | None] = []
        for result in results:
            if isinstance(result, Exception):
                raise result
            answers.append(int(result))
        return answers

    async def _evalsha(
        self, conn: AbstractConnection, calls: list[tuple[str, tuple[int, ...]]]
    ) -> list[Any]:
        """One write of every call, then their replies in order (an error reply in its place)."""
        assert self._script is not None
        sha = self._script.sha
        commands: list[tuple[str | int, ...]] = [
            ("EVALSHA", sha, 1, key, *args) for key, args in calls
        ]
        await conn.send_packed_command(conn.pack_commands(commands), check_health=False)
        results: list[Any] = []
        for _ in calls:
            try:
                results.append(await conn.read_response())
            except ResponseError as exc:  # read whole: the next reply is intact
                results.append(exc)
        return results

    def _connection(self) -> AbstractConnection:
        """The connection of this script's decisions, made like the pool's but without a
        socket timeout (``_decide`` times the whole batch); it connects when first written."""
        if self._conn is None:
            assert self._redis is not None
            pool = self._redis.connection_pool
            conn: AbstractConnection = pool.connection_class(
                **{**pool.connection_kwargs, "socket_timeout": None}
            )
            self._conn = conn
        return self._conn

    async def aclose(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
            await asyncio.gather(self._sender, return_exceptions=True)
        if self._conn is not None:
            await self._conn.disconnect()


def _trim(local: dict[str, Any], expired: Any) -> None:
    if len(local) > LOCAL_KEYS_MAX:
        for key in [k for k, v in local.items() if expired(v)]:
            del local[key]
        if len(local) > LOCAL_KEYS_MAX:
            local.clear()


class Limits:
    """Charges per-subject budgets: ``charge(budget, user_id)`` spends one request or raises
    ``rate_limited`` with ``retry_after`` (and spends nothing)."""

    def __init__(self, redis: Redis | None, namespace: str, scale: float = 1.0) -> None:
        self._shared = _Shared(redis, _GCRA, "rate limits")
        self._namespace = namespace
        self._scale = scale
        self._local: dict[str, float] = {}

    async def charge(self, budget: Budget, subject: str) -> None:
        b = budget.scaled(self._scale)
        interval = max(1, round(60_000 / b.per_minute)) if b.per_minute > 0 else 1
        tolerance = interval * (b.burst - 1)
        key = f"rl:{self._namespace}:{b.name}:{subject}"
        shared = await self._shared.run(key, interval, tolerance)
        wait = self._local_charge(key, interval, tolerance) if shared is None else shared
        if wait > 0:
            RATE_LIMITED.labels(budget.name).inc()
            _refuse(wait)

    async def aclose(self) -> None:
        await self._shared.aclose()

    def _local_charge(self, key: str, interval: int, tolerance: int) -> float:
        now = time.monotonic() * 1000
        tat = max(self._local.get(key, now), now)
        wait = tat - tolerance - now
        if wait > 0:
            return wait
        self._local[key] = tat + interval
        _trim(self._local, lambda v: v < now)
        return 0


class Backoff:
    """Failures per key with exponential backoff: ``free`` attempts, then each attempt must wait
    1, 2, 4 … seconds (at most ``max_seconds``) after the one before. An attempt is counted
    when it starts, so concurrent guesses cannot all slip through one gap; ``succeeded`` forgets
    the key. Failures are forgotten after ``forget_seconds`` without an attempt."""

    def __init__(
        self,
        redis: Redis | None,
        namespace: str,
        free: int,
        max_seconds: int,
        forget_seconds: int = 3600,
    ) -> None:
        self._shared = _Shared(redis, _BACKOFF, "login backoff")
        self._redis = redis
        self._namespace = namespace
        self._free = free
        self._max_ms = max_seconds * 1000
        self._forget_ms = max(forget_seconds, 2 * max_seconds) * 1000
        self._local: dict[str, tuple[int, float]] = {}

    def _key(self, key: str) -> str:
        return f"bo:{self._namespace}:{key}"

    async def aclose(self) -> None:
        await self._shared.aclose()

    async def attempt(self, key: str) -> None:
        name = self._key(key)
        shared = await self._shared.run(name, self._free, self._max_ms, self._forget_ms)
        wait = self._local_attempt(name) if shared is None else shared
        if wait > 0:
            _refuse(wait)

    async def succeeded(self, key: str) -> None:
        name = self._key(key)
        self._local.pop(name, None)
        if self._redis is not None:
            try:
                await self._redis.delete(name)
            except RedisError:
                log.warning("login backoff: Redis unavailable, failures kept")

    def _wait_ms(self, failures: int) -> float:
        if failures < self._free:
            return 0
        return min(self._max_ms, 1000 * 2.0 ** min(failures - self._free, 40))

    def _local_attempt(self, name: str) -> float:
        now = time.monotonic() * 1000
        failures, last = self._local.get(name, (0, 0.0))
        if now - last > self._forget_ms:
            failures = 0
        wait = last + self._wait_ms(failures) - now
        if failures >= self._free and wait > 0:
            return wait
        self._local[name] = (failures + 1, now)
        _trim(self._local, lambda v: now - v[1] > self._forget_ms)
        return 0
