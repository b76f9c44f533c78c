"""The last known top claim of each conversation, shared by every process through Redis.

A process that has not read a conversation yet finds its top by walking up the claims by
``_id`` (``MessageRepository._walk_up``): from rev 1 that is about 2·log2(revs) sequential
lookups (34 at 130,000 revs), from a claimed rev a little below the top about two. This hint is
that starting point: one Redis hash per database, conversation id -> the highest rev some
process claimed or read. It is only ever a place to start walking, never an answer: a stale
value (a slower process wrote a lower one, or writes since were not published yet) only makes
the walk longer, and a value that names no claim (Redis kept from another database) is ignored
by the walk. So a missing, slow or failed Redis costs reads, not correctness: reads then walk
from rev 1, as without Redis.

Publishing is off the request path: ``note`` records the rev, and one background task per
process writes what has accumulated with one ``HSET``, then waits ``FLUSH_SECONDS`` before the
next: under load one write per process every quarter second, not one per batch of claims (that
was about 120 a second at 463 messages a second, each a Redis round trip and its timing). A
hint a quarter second behind only starts a walk a few claims lower.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# A hint is worth at most a walk from rev 1 (tens of ms); a Redis slower than this is skipped.
READ_TIMEOUT_SECONDS = 0.25
# After a failure Redis is not asked again for this long: reads walk from rev 1 meanwhile.
PAUSE_SECONDS = 2.0
# Between two writes of the hints noted meanwhile (``drain`` does not wait for it).
FLUSH_SECONDS = 0.25


class SharedTops:
    def __init__(self, redis: Redis | None, namespace: str) -> None:
        self._redis = redis
        self._key = f"tops:{namespace}"
        self._pending: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None
        self._paused_until = 0.0
        self._hurry = asyncio.Event()  # set by ``drain``: write what is noted without the wait

    def _available(self) -> bool:
        return self._redis is not None and time.monotonic() >= self._paused_until

    def _failed(self, what: str) -> None:
        log.warning("conversation tops: Redis %s failed; walking from rev 1 meanwhile", what)
        self._paused_until = time.monotonic() + PAUSE_SECONDS

    async def get_many(self, conversation_ids: list[str]) -> dict[str, int]:
        """The hinted top rev of each conversation that has one (one ``HMGET``); empty when
        Redis is missing, slow or failing."""
        if not conversation_ids or self._redis is None or not self._available():
            return {}
        try:
            found = await asyncio.wait_for(
                self._redis.hmget(self._key, conversation_ids), READ_TIMEOUT_SECONDS
            )
        except (RedisError, OSError, TimeoutError):
            self._failed("read")
            return {}
        return {c: int(v) for c, v in zip(conversation_ids, found, strict=True) if v is not None}

    def note(self, conversation_id: str, rev: int) -> None:
        """Publish ``rev`` as a claimed rev of the conversation, soon and in the background."""
        if self._redis is None:
            return
        if rev > self._pending.get(conversation_id, 0):
            self._pending[conversation_id] = rev
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._flush())

    async def publish(self, tops: dict[str, int]) -> None:
        """Write hints now (one ``HSET``). A lower value than the stored one may win a race
        with another process: harmless, the walk only starts lower."""
        if not tops or self._redis is None or not self._available():
            return
        try:
            await self._redis.hset(self._key, mapping=tops)  # type: ignore[arg-type]
        except (RedisError, OSError):
            self._failed("write")

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, {}
            try:
                await self.publish(batch)
            except Exception as exc:  # best effort: e.g. the client closed at shutdown
                log.warning("conversation tops: not shared (%r)", exc)
                return
            if not self._hurry.is_set():  # notes made meanwhile go together in the next write
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._hurry.wait(), FLUSH_SECONDS)

    async def drain(self) -> None:
        """Wait for the hints noted so far to be written (tests, shutdown)."""
        self._hurry.set()
        try:
            while self._task is not None and not self._task.done():
                await asyncio.wait([self._task])
        finally:
            self._hurry.clear()
