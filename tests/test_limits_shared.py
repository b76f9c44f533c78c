"""The budgets' decisions in Redis (core/ratelimit.py ``_Shared``): those asked in one turn of the
event loop go to Redis as one pipeline, and each is decided as if asked alone, in order.

Against the suite's real Redis. A client that counts its round trips shows the batching: before
it, each decision was a round trip of its own.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from server.core.errors import RateLimited
from server.core.ratelimit import Budget, Limits

BURST = 5
BUDGET = Budget("shared_test", per_minute=0.001, burst=BURST)  # refills after about a month


class CountingRedis(Redis):
    """Counts round trips: single commands and pipelines."""

    commands = 0
    pipelines = 0

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        if args and str(args[0]).upper() in ("EVALSHA", "EVAL"):
            type(self).commands += 1
        return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Pipeline:
        type(self).pipelines += 1
        return super().pipeline(transaction, shard_hint)


@pytest.fixture
async def redis(stack: Any) -> AsyncIterator[CountingRedis]:
    client = CountingRedis.from_url(stack.redis_url)
    CountingRedis.commands = CountingRedis.pipelines = 0
    yield client
    await client.aclose()


async def _charges(limits: Limits, subjects: list[str]) -> list[bool]:
    """Charge each subject once, all in the same turn of the loop: True where allowed."""

    async def one(subject: str) -> bool:
        try:
            await limits.charge(BUDGET, subject)
        except RateLimited:
            return False
        return True

    return list(await asyncio.gather(*(one(s) for s in subjects)))


async def test_decisions_asked_together_take_one_round_trip(redis: CountingRedis) -> None:
    limits = Limits(redis, f"t{uuid.uuid4().hex[:8]}")
    assert await _charges(limits, ["first"]) == [True]  # Redis learns the script
    CountingRedis.commands = CountingRedis.pipelines = 0
    users = [f"u{i}" for i in range(12)]
    assert await _charges(limits, users) == [True] * 12
    assert (CountingRedis.pipelines, CountingRedis.commands) == (1, 0)


async def test_one_subject_asked_many_times_at_once_gets_its_burst_and_no_more(
    redis: CountingRedis,
) -> None:
    namespace = f"t{uuid.uuid4().hex[:8]}"
    limits = Limits(redis, namespace)
    allowed = await _charges(limits, ["same"] * (BURST + 4))
    # in the order asked: the first BURST are allowed, the rest refused
    assert allowed == [True] * BURST + [False] * 4
    # the budget is Redis's, shared: another process's limits see it spent
    other = Limits(redis, namespace)
    assert await _charges(other, ["same"]) == [False]
    assert await _charges(other, ["someone else"]) == [True]


async def test_a_lone_decision_is_a_plain_call(redis: CountingRedis) -> None:
    limits = Limits(redis, f"t{uuid.uuid4().hex[:8]}")
    assert await _charges(limits, ["alone"]) == [True]
    assert (CountingRedis.pipelines, CountingRedis.commands) == (0, 1)


async def test_scripts_flushed_from_redis_are_loaded_again(redis: CountingRedis) -> None:
    limits = Limits(redis, f"t{uuid.uuid4().hex[:8]}")
    assert await _charges(limits, ["a", "b"]) == [True, True]
    await redis.script_flush()
    CountingRedis.pipelines = 0
    assert await _charges(limits, ["a", "b", "c"]) == [True, True, True]
    assert CountingRedis.pipelines == 2  # refused for the missing script, then again
    assert await _charges(limits, ["a"] * BURST) == [True] * (BURST - 2) + [False] * 2


async def test_without_redis_the_batch_is_decided_locally() -> None:
    dead = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.5)
    try:
        limits = Limits(dead, "local")
        allowed = await _charges(limits, ["same"] * (BURST + 2) + ["other"])
        assert allowed == [True] * BURST + [False, False, True]
    finally:
        await dead.aclose()
