"""Fixed-window rate limits, shared across processes through Redis when it is configured."""

from __future__ import annotations

import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from server.core.errors import RateLimited

log = logging.getLogger(__name__)


class RateLimiter:
    """``hit(key)`` counts one action in the current window and refuses past ``limit``.

    With Redis the count is shared by every process (INCR on one key per window, EXPIRE on the
    window's first hit). If Redis is down the limiter falls back to this process's own counts
    rather than refusing all traffic.
    """

    def __init__(self, redis: Redis | None, limit: int, window_seconds: int) -> None:
        self._redis = redis
        self._limit = limit
        self._window = window_seconds
        self._local: dict[str, tuple[int, int]] = {}

    async def hit(self, key: str) -> None:
        window = int(time.time()) // self._window
        retry_after = (window + 1) * self._window - time.time()
        count = None
        if self._redis is not None:
            try:
                name = f"rl:{key}:{window}"
                count = int(await self._redis.incr(name))
                if count == 1:  # the window's first hit sets its expiry (one round trip after)
                    await self._redis.expire(name, self._window + 1)
            except RedisError:
                log.warning("rate limiter: Redis unavailable, counting locally")
        if count is None:
            start, seen = self._local.get(key, (window, 0))
            seen = seen + 1 if start == window else 1
            self._local[key] = (window, seen)
            if len(self._local) > 100_000:
                self._local.clear()
            count = seen
        if count > self._limit:
            raise RateLimited(retry_after)
