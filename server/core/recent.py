"""Values read by id, kept a short while: for data that no permission rests on (a circle's name
and tags, a person's display name), where a burst of callers asks for the same few ids and each
read is a round trip of its own (``core/mongo.find_by_ids``). A change shows within ``seconds``."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Generic, TypeVar

V = TypeVar("V")


class Recent(Generic[V]):
    def __init__(self, seconds: float, limit: int = 50_000) -> None:
        self._seconds = seconds
        self._limit = limit
        self._kept: dict[str, tuple[float, V]] = {}

    async def get(
        self, ids: Iterable[str], read: Callable[[list[str]], Awaitable[dict[str, V]]]
    ) -> dict[str, V]:
        """The values of ``ids``: those kept less than ``seconds``, and the others from one call
        of ``read`` (an id it does not answer is asked again next time)."""
        now = time.monotonic()
        out: dict[str, V] = {}
        missing: list[str] = []
        for i in dict.fromkeys(ids):
            hit = self._kept.get(i)
            if hit is not None and now - hit[0] < self._seconds:
                out[i] = hit[1]
            else:
                missing.append(i)
        if missing:
            found = await read(missing)
            if len(self._kept) + len(found) > self._limit:
                self._kept.clear()
            for i, value in found.items():
                self._kept[i] = (now, value)
                out[i] = value
        return out
