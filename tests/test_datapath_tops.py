"""A process that has not read a conversation yet finds its top claim from the hint other
processes share in Redis (messages/tops.py) in one round trip of two lookups, instead of walking
up from rev 1 (about 2·log2(revs) lookups); a stale, wrong or missing hint still gives the right
top, and so do reads through a fresh server process.

The repository tests count the lookups with a command listener on a real FerretDB and Redis;
the last test goes through two server processes the way a client does.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import monitoring
from redis.asyncio import Redis

from server.core.ids import new_id
from server.core.mongo import ensure_indexes, make_client
from server.core.redis import make_redis
from server.messages.repository import INDEXES, Claims, MessageRepository
from server.messages.tops import SharedTops
from tests.support import infra
from tests.support.client import Sock, register

REVS = 300


class Lookups(monitoring.CommandListener):
    def __init__(self) -> None:
        self.finds = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.finds += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


class Db:
    def __init__(self, stack: Any) -> None:
        self.lookups = Lookups()
        self.client = make_client(stack.mongo_url, 5000, [self.lookups], pool_size=4)
        self.db = self.client[f"t_{uuid.uuid4().hex[:12]}"]
        self.redis: Redis = make_redis(stack.redis_url, 4)
        self.namespace = self.db.name

    def hints(self) -> SharedTops:
        return SharedTops(self.redis, self.namespace)

    def fresh(self, hints: SharedTops | None) -> MessageRepository:
        """The repository of a process that has read nothing yet."""
        return MessageRepository(self.db, hints)

    async def top_counted(self, repo: MessageRepository, conv: str) -> tuple[tuple[int, int], int]:
        before = self.lookups.finds
        found = await repo.top(conv)
        return found, self.lookups.finds - before


@pytest.fixture
async def db(stack: Any) -> AsyncIterator[Db]:
    d = Db(stack)
    await ensure_indexes(d.db, INDEXES)
    yield d
    await d.redis.aclose()
    await d.client.close()


async def _claimed(db: Db, revs: int = REVS) -> str:
    """A conversation with ``revs`` claims made by a writer process (new messages: seq = rev),
    its hints written."""
    conv = new_id()
    writer_hints = db.hints()
    writer = db.fresh(writer_hints)
    for _ in range(revs // 100):
        await writer.claim_many({conv: [new_id() for _ in range(100)]}, True, Claims())
    await writer_hints.drain()
    return conv


async def test_a_fresh_process_finds_the_top_from_the_shared_hint_in_two_lookups(db: Db) -> None:
    conv = await _claimed(db)
    assert await db.redis.hget(f"tops:{db.namespace}", conv) == str(REVS).encode()

    found, lookups = await db.top_counted(db.fresh(db.hints()), conv)
    assert found == (REVS, REVS)
    assert lookups == 2  # the hinted claim and the rev above it, in one round trip

    found, lookups = await db.top_counted(db.fresh(None), conv)  # without the hint
    assert found == (REVS, REVS)
    assert lookups >= 14  # doubling from rev 1 past 300, then halving back


async def test_a_stale_hint_walks_up_from_it(db: Db) -> None:
    conv = await _claimed(db)
    await db.hints().publish({conv: REVS - 20})

    found, lookups = await db.top_counted(db.fresh(db.hints()), conv)
    assert found == (REVS, REVS)
    assert 2 < lookups <= 12
    # what the walk learned is shared: the next fresh process needs two lookups again
    assert await db.redis.hget(f"tops:{db.namespace}", conv) is not None
    await _settled(db, conv)
    found, lookups = await db.top_counted(db.fresh(db.hints()), conv)
    assert (found, lookups) == ((REVS, REVS), 2)


async def _settled(db: Db, conv: str) -> None:
    for _ in range(100):
        if await db.redis.hget(f"tops:{db.namespace}", conv) == str(REVS).encode():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the learned top was not shared")


@pytest.mark.parametrize("hint", [REVS + 1, 10**9, 0])
async def test_a_hint_that_names_no_claim_is_passed_over(db: Db, hint: int) -> None:
    """A value above the top (a Redis kept from another database with the same name, or a
    conversation reset) names no claim: the walk starts from rev 1 instead."""
    conv = await _claimed(db)
    await db.hints().publish({conv: hint})

    found, _ = await db.top_counted(db.fresh(db.hints()), conv)
    assert found == (REVS, REVS)


async def test_a_conversation_without_claims_has_top_zero_whatever_the_hint(db: Db) -> None:
    conv = new_id()
    await db.hints().publish({conv: 12})
    assert await db.fresh(db.hints()).top(conv) == (0, 0)


async def test_without_redis_reads_walk_from_rev_1(db: Db) -> None:
    """Redis down (nothing listens on its port): the reads are right and do not wait for it."""
    conv = await _claimed(db)
    dead = make_redis(f"redis://127.0.0.1:{infra.free_port()}/0", 2)
    try:
        hints = SharedTops(dead, db.namespace)
        repo = db.fresh(hints)
        found, lookups = await db.top_counted(repo, conv)
        assert found == (REVS, REVS)
        assert lookups >= 14
        # the writer path still claims (its hint is dropped)
        claims = Claims()
        await repo.claim_many({conv: [new_id()]}, True, claims)
        assert claims.made[conv] == [(REVS + 1, REVS + 1)]
        await hints.drain()
        assert (await repo.tops([conv]))[conv] == (REVS + 1, REVS + 1)
    finally:
        await dead.aclose()


async def test_a_fresh_server_process_reads_right_through_a_wrong_hint(
    stack: Any, server_pair: Any
) -> None:
    """Messages sent through one process; every shared hint of the conversation is then made
    wrong (too high); the other process, which has not read it, still answers history and
    conversations with the true top."""
    a, b = server_pair
    alice = await register(a.url, "alice")
    sock_a = await Sock(a.url, alice.token).connect()
    redis = make_redis(stack.redis_url, 2)
    try:
        conv = (await alice.create_circle("Tops"))["conversation_id"]
        for i in range(7):
            await sock_a.ok(
                "message:send", {"conversation_id": conv, "client_id": new_id(), "text": f"m{i}"}
            )
        for key in await redis.keys("tops:*"):
            if await redis.hexists(key, conv):
                await redis.hset(key, conv, 5000)
        sock_b = await Sock(b.url, alice.token).connect()
        try:
            page = await sock_b.ok("history", {"conversation_id": conv, "limit": 50})
            assert [m["text"] for m in page["messages"]] == [f"m{i}" for i in range(7)]
            listed = await sock_b.ok("conversations", {})
            mine = {c["id"]: c for c in listed["conversations"]}
            assert mine[conv]["seq"] == 7
        finally:
            await sock_b.close()
    finally:
        await redis.aclose()
        await sock_a.close()
        await alice.aclose()


async def test_sync_reads_claims_only_for_revs_no_message_explains(db: Db) -> None:
    """``sync`` reads the messages of a rev window first and then only the claims of revs no
    message explains: a few by ``_id`` (usually none), many by their stored pages."""
    conv = await _claimed(db)
    repo = db.fresh(None)
    before = db.lookups.finds
    few = await repo.claims_between(conv, 281, 300, explained=set(range(281, 299)))
    assert sorted(few) == [299, 300] and db.lookups.finds - before == 2
    assert few[300].rev == 300 and few[300].new and few[300].seq_top == 300 and not few[300].void

    before = db.lookups.finds
    many = await repo.claims_between(conv, 281, 300)
    assert sorted(many) == list(range(281, 301))
    assert db.lookups.finds - before == 2  # the claim pages of revs 250-299 and 300-349

    before = db.lookups.finds
    assert await repo.claims_between(conv, 281, 300, explained=set(range(281, 301))) == {}
    assert db.lookups.finds == before


async def test_hints_noted_during_a_busy_second_share_few_writes(db: Db) -> None:
    """A busy process notes a top with every batch of claims; the hints go to Redis in one
    ``HSET`` per quarter second (tops.FLUSH_SECONDS), not one per note, and the last value of
    each conversation is what is stored once drained."""
    writes: list[dict[str, int]] = []

    class Counted(SharedTops):
        async def publish(self, tops: dict[str, int]) -> None:
            writes.append(dict(tops))
            await super().publish(tops)

    hints = Counted(db.redis, db.namespace)
    convs = [new_id() for _ in range(4)]
    for rev in range(1, 41):  # 40 batches over about 0.2 s, each after the last write ended
        hints.note(convs[rev % 4], rev)
        await asyncio.sleep(0.005)
    await hints.drain()
    assert 1 <= len(writes) <= 3, writes
    stored = await db.redis.hmget(f"tops:{db.namespace}", convs)
    assert [int(v) for v in stored] == [40, 37, 38, 39]
