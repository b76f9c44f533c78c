"""One read for a burst of callers: a caller that asks for ``key`` while a read of it is under
way waits for that read instead of starting its own (a card tapped by a thousand people at
once, the sections of one "discover" that all need the same user's circles)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


async def shared_read(
    reads: dict[K, asyncio.Future[T]], key: K, read: Callable[[], Awaitable[T]]
) -> T:
    """``read()``, or the one under way for ``key`` in ``reads``. Dropping ``reads[key]``
    (the data changed) makes later callers start a read of their own; the callers already
    waiting get the one they waited for. A caller cancelled while waiting leaves the read
    running for the others."""
    under_way = reads.get(key)
    if under_way is None:
        under_way = asyncio.ensure_future(read())
        reads[key] = under_way
        under_way.add_done_callback(lambda done: reads.pop(key) if reads.get(key) is done else None)
    return await asyncio.shield(under_way)
