"""The Redis client factory: one bounded pool per process."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from server.core.errors import DomainError, Unavailable, register_translator
from server.core.metrics import TimedRedis


def make_redis(url: str, max_connections: int) -> Redis:
    """A client on a capped, blocking pool: under overload callers queue instead of opening
    thousands of connections (PERFORMANCE.md, point 2)."""
    pool = BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=5, socket_timeout=5, socket_connect_timeout=3
    )
    return TimedRedis(connection_pool=pool)  # each command timed (core/metrics.py)


def _translate(exc: BaseException) -> DomainError | None:
    if isinstance(exc, RedisConnectionError | RedisTimeoutError):
        return Unavailable("a dependency (Redis) is unavailable")
    return None


register_translator(_translate)
