"""A send is not held up by Redis.

python-socketio's ``emit`` awaited its publish to Redis, and the message writer emits each batch
it stores before it acknowledges the batch and takes the next: every batch waited a Redis round
trip that only the other processes need, since this process's own sockets were written before
the publish. Publishes now go out from a queue of their own, in the order they were made.

Driven through an in-process server with Redis, whose publishes are made slow here: before the
change the sender's ack waited for them."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from redis.asyncio import Redis

from tests.support.chat import circle_with, say
from tests.support.security_infra import InProcess, People

SLOW = 0.8  # seconds each publish (or pipeline of publishes) takes to reach Redis here


class SlowRedis:
    """The manager's Redis client, taking ``SLOW`` seconds longer for each publish."""

    def __init__(self, real: Any) -> None:
        self.real = real

    async def publish(self, channel: str, raw: Any) -> Any:
        await asyncio.sleep(SLOW)
        return await self.real.publish(channel, raw)

    def pipeline(self, transaction: bool = True) -> Any:
        pipe = self.real.pipeline(transaction=transaction)
        execute = pipe.execute

        async def slow_execute(*args: Any, **kwargs: Any) -> Any:
            await asyncio.sleep(SLOW)
            return await execute(*args, **kwargs)

        pipe.execute = slow_execute
        return pipe

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


async def test_acks_do_not_wait_for_redis_and_publishes_keep_their_order(
    in_process: InProcess, stack: Any
) -> None:
    manager = in_process.container.sio.manager
    people = People(in_process.url)
    listener = Redis.from_url(stack.redis_url)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    try:
        alice, bob = await people.user("queued"), await people.user("queued")
        circle = await circle_with(alice, bob)
        conv = circle["conversation_id"]
        sa, sb = await people.sock(alice), await people.sock(bob)
        await say(sa, conv, "warm up")  # the conversation's first send reads what it needs
        await asyncio.sleep(0.2)  # its publish is out
        await pubsub.subscribe(manager.channel)
        assert manager.connected
        manager.redis = SlowRedis(manager.redis)

        started = time.monotonic()
        sent = [await say(sa, conv, f"not waiting {i}") for i in range(3)]
        acked_in = time.monotonic() - started
        for m in sent:
            await sb.wait_for("message:new", lambda e, m=m: e["message"]["id"] == m["id"])
        delivered_in = time.monotonic() - started
        # before: each ack came after its batch's publish, SLOW seconds each
        assert acked_in < SLOW, f"3 acks took {acked_in:.2f} s with Redis {SLOW} s slow"
        assert delivered_in < SLOW, f"delivered here in {delivered_in:.2f} s"

        # and every publish reached Redis, in the order of the messages
        published: list[int] = []
        deadline = time.monotonic() + 10 * SLOW
        while len(published) < 3 and time.monotonic() < deadline:
            got = await pubsub.get_message(timeout=0.2)
            if got is None:
                continue
            data = json.loads(got["data"])
            for item in data["data"][0].get("items", []):
                if item[0] == "message:new" and item[1]["message"]["conversation_id"] == conv:
                    published.append(item[1]["message"]["rev"])
        assert published == [m["rev"] for m in sent]
    finally:
        if isinstance(manager.redis, SlowRedis):
            manager.redis = manager.redis.real
        await pubsub.aclose()
        await listener.aclose()
        await people.aclose()
