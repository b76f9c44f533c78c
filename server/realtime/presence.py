"""Presence: how many sockets each user has open, across processes when Redis is configured.

A user goes online with their first socket and offline a short grace period after their last one
closes (so a page reload does not flicker), well inside the 30 s the protocol allows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
# (user id, online, the user's channels when the caller knows them already)
Announce = Callable[[str, bool, list[str] | None], Awaitable[None]]


class Presence:
    def __init__(self, redis: Redis | None, grace_seconds: float, announce: Announce) -> None:
        self._redis = redis
        self._grace = grace_seconds
        self._announce = announce
        self._local: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def _count(self, user_id: str, delta: int) -> int:
        self._local[user_id] = self._local.get(user_id, 0) + delta
        if self._local[user_id] <= 0:
            self._local.pop(user_id, None)
        if self._redis is None:
            return self._local.get(user_id, 0)
        try:
            key = f"presence:{user_id}"
            count = int(await self._redis.incrby(key, delta))
            await self._redis.expire(key, 24 * 3600)
            return count
        except RedisError:
            log.warning("presence: Redis unavailable, using this process's count")
            return self._local.get(user_id, 0)

    async def connected(self, user_id: str, channels: list[str] | None = None) -> None:
        """Count a new socket; the first one announces the user online (to ``channels`` when
        given: the connect handler has just read them)."""
        if await self._count(user_id, 1) == 1:
            await self._announce(user_id, True, channels)

    async def disconnected(self, user_id: str) -> None:
        if await self._count(user_id, -1) <= 0:
            task = asyncio.create_task(self._offline_after_grace(user_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _offline_after_grace(self, user_id: str) -> None:
        await asyncio.sleep(self._grace)
        if await self.is_online(user_id):
            return
        await self._announce(user_id, False, None)

    async def is_online(self, user_id: str) -> bool:
        if self._redis is not None:
            try:
                return int(await self._redis.get(f"presence:{user_id}") or 0) > 0
            except RedisError:
                pass
        return self._local.get(user_id, 0) > 0

    async def online_many(self, user_ids: list[str]) -> dict[str, bool]:
        """Who of ``user_ids`` has a socket open anywhere (one MGET with Redis)."""
        if not user_ids:
            return {}
        if self._redis is not None:
            try:
                counts = await self._redis.mget([f"presence:{u}" for u in user_ids])
                return {u: int(c or 0) > 0 for u, c in zip(user_ids, counts, strict=True)}
            except RedisError:
                pass
        return {u: self._local.get(u, 0) > 0 for u in user_ids}

    def open_sockets(self, user_id: str) -> int:
        return self._local.get(user_id, 0)
