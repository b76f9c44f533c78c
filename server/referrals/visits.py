"""Share-page visits, counted without keeping anything about the visitor.

A visit to a share page that carries a ``ref`` is added to a HyperLogLog per (activity or
circle, channel) in Redis: the visitor is named by a keyed hash of their address and user agent,
which is fed to ``PFADD`` and never stored (a HyperLogLog keeps only registers from which no
member can be read back), so the same visitor opening the page again counts once, and nothing
but an approximate count (within about 1%) remains. The keys are bounded by the public
activities and circles times three channels: a refused page (private, missing) counts nothing,
and a ref is not part of the key, so made-up refs cannot grow Redis.

Without Redis (``REDIS_URL`` unset), visits are not counted and the counts are ``None``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from server.referrals.models import CHANNELS, Channel, Kind

log = logging.getLogger(__name__)


def visitor_key(secret_key: str) -> bytes:
    """The key of the visitor hash, derived from the server key so it is never the key itself."""
    return hmac.new(secret_key.encode(), b"circles.referrals.visits.v1", hashlib.sha256).digest()


class VisitCounter:
    def __init__(self, redis: Redis | None, namespace: str, key: bytes) -> None:
        self._redis = redis
        self._ns = namespace
        self._key = key

    def _name(self, kind: Kind, target_id: str, channel: Channel) -> str:
        return f"circles:{self._ns}:visits:{kind}:{target_id}:{channel}"

    async def visit(self, kind: Kind, target_id: str, channel: Channel, visitor: str) -> None:
        """Count one visitor (any string that tells visitors apart; hashed here, not kept).
        Best effort: a Redis failure loses the count, never the page."""
        if self._redis is None:
            return
        token = hmac.new(self._key, visitor.encode(), hashlib.sha256).hexdigest()[:32]
        try:
            await self._redis.pfadd(self._name(kind, target_id, channel), token)
        except RedisError:
            log.warning("share visit of %s %s not counted", kind, target_id)

    async def counts(self, kind: Kind, target_id: str) -> dict[Channel, int] | None:
        if self._redis is None:
            return None
        async with self._redis.pipeline(transaction=False) as pipe:
            for ch in CHANNELS:
                pipe.pfcount(self._name(kind, target_id, ch))
            found = await pipe.execute()
        return {ch: int(n) for ch, n in zip(CHANNELS, found, strict=True)}
