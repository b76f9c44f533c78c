"""The budgets' decisions in Redis (core/ratelimit.py ``_Shared``): those asked in one turn of the
event loop go to Redis as one pipeline, and each is decided as if asked alone, in order. They go
over a connection of their own, a batch at a time: what is asked while a batch is on its way
goes together in the next.

Against the suite's real Redis. A connection class that counts its writes shows the batching:
before it, each decision was a round trip of its own, and later each turn's decisions were.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Connection, ConnectionPool, Redis

from server.core import ratelimit
from server.core.errors import RateLimited
from server.core.ratelimit import Budget, Limits

BURST = 5
BUDGET = Budget("shared_test", per_minute=0.001, burst=BURST)  # refills after about a month


class CountingConnection(Connection):
    """Counts writes (one per round trip: a batch of decisions is one write) and can be made to
    wait before each reply, as a slow or distant Redis would."""

    writes = 0
    reply_delay = 0.0

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        type(self).writes += 1
        await super().send_packed_command(command, check_health)

    async def read_response(self, *args: Any, **kwargs: Any) -> Any:
        if type(self).reply_delay:
            await asyncio.sleep(type(self).reply_delay)
        return await super().read_response(*args, **kwargs)


def _reset() -> None:
    CountingConnection.writes = 0
    CountingConnection.reply_delay = 0.0


@pytest.fixture
async def redis(stack: Any) -> AsyncIterator[Redis]:
    pool = ConnectionPool.from_url(stack.redis_url, connection_class=CountingConnection)
    client = Redis(connection_pool=pool)
    _reset()
    yield client
    _reset()
    await client.aclose()


@pytest.fixture
async def limits(redis: Redis) -> AsyncIterator[Limits]:
    made = Limits(redis, f"t{uuid.uuid4().hex[:8]}")
    yield made
    await made.aclose()


async def _charges(limits: Limits, subjects: list[str]) -> list[bool]:
    """Charge each subject once, all in the same turn of the loop: True where allowed."""

    async def one(subject: str) -> bool:
        try:
            await limits.charge(BUDGET, subject)
        except RateLimited:
            return False
        return True

    return list(await asyncio.gather(*(one(s) for s in subjects)))


async def test_decisions_asked_together_take_one_round_trip(limits: Limits) -> None:
    assert await _charges(limits, ["first"]) == [True]  # Redis learns the script
    CountingConnection.writes = 0
    users = [f"u{i}" for i in range(12)]
    assert await _charges(limits, users) == [True] * 12
    assert CountingConnection.writes == 1


async def test_decisions_asked_while_a_batch_is_on_its_way_go_together_in_the_next(
    limits: Limits,
) -> None:
    assert await _charges(limits, ["first"]) == [True]
    CountingConnection.writes = 0
    CountingConnection.reply_delay = 0.05
    first = asyncio.ensure_future(_charges(limits, ["a"]))
    later = []
    for i in range(5):  # five more turns of the loop while "a" waits for its reply
        await asyncio.sleep(0.002)
        later.append(asyncio.ensure_future(_charges(limits, [f"b{i}", f"c{i}"])))
    assert await first == [True]
    assert [await t for t in later] == [[True, True]] * 5
    # "a", then the ten asked meanwhile in one batch (each turn's batch was a write of its own)
    assert CountingConnection.writes == 2


async def test_one_subject_asked_many_times_at_once_gets_its_burst_and_no_more(
    redis: Redis, limits: Limits
) -> None:
    allowed = await _charges(limits, ["same"] * (BURST + 4))
    # in the order asked: the first BURST are allowed, the rest refused
    assert allowed == [True] * BURST + [False] * 4
    # the budget is Redis's, shared: another process's limits see it spent
    other = Limits(redis, limits._namespace)
    try:
        assert await _charges(other, ["same"]) == [False]
        assert await _charges(other, ["someone else"]) == [True]
    finally:
        await other.aclose()


async def test_scripts_flushed_from_redis_are_loaded_again(redis: Redis, limits: Limits) -> None:
    assert await _charges(limits, ["a", "b"]) == [True, True]
    await redis.script_flush()
    CountingConnection.writes = 0
    assert await _charges(limits, ["a", "b", "c"]) == [True, True, True]
    # refused for the missing script, the script loaded, then again
    assert CountingConnection.writes == 3
    assert await _charges(limits, ["a"] * BURST) == [True] * (BURST - 2) + [False] * 2


async def test_a_connection_redis_dropped_is_opened_again(
    redis: Redis, limits: Limits, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "REDIS_PAUSE_SECONDS", 0.0)
    assert await _charges(limits, ["x"] * BURST) == [True] * BURST
    before = limits._shared._conn
    # Redis drops the budgets' connection (only it: the suite's servers share this Redis)
    assert before is not None and before._writer is not None
    host, port = before._writer.get_extra_info("sockname")[:2]
    assert await redis.client_kill_filter(addr=f"{host}:{port}") == 1
    await _charges(limits, ["y"])  # may fail on the dead connection: decided locally
    # decided by Redis again, the connection opened anew: "x" is spent there (locally, where
    # it was never charged, it would be allowed)
    assert await _charges(limits, ["x"]) == [False]
    assert await _charges(limits, ["z"]) == [True]
    assert await redis.exists(f"rl:{limits._namespace}:{BUDGET.name}:z") == 1
    assert limits._shared._conn is before is not None and before.is_connected


async def test_closing_closes_the_connection_and_answers_whoever_waits(redis: Redis) -> None:
    limits = Limits(redis, f"t{uuid.uuid4().hex[:8]}")
    assert await _charges(limits, ["a"]) == [True]
    CountingConnection.reply_delay = 0.2
    waiting = asyncio.ensure_future(_charges(limits, ["b"]))
    await asyncio.sleep(0.05)
    await limits.aclose()
    assert await waiting == [True]  # decided locally: the process is stopping
    conn = limits._shared._conn
    assert conn is not None and not conn.is_connected


async def test_without_redis_the_batch_is_decided_locally() -> None:
    dead = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.5)
    try:
        limits = Limits(dead, "local")
        allowed = await _charges(limits, ["same"] * (BURST + 2) + ["other"])
        assert allowed == [True] * BURST + [False, False, True]
    finally:
        await dead.aclose()
