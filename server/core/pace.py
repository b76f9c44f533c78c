"""Background work that shares the process and the database with sends paces itself.

A piece of background work (a page of a report sweep, a search indexing batch) takes the event
loop and a database connection while it runs; run back to back, such pieces hold every send up
for as long as the whole job takes. ``Pace`` rests after each piece ``ratio`` times as long as
the piece took (at most ``cap`` seconds), so the job uses at most ``1 / (1 + ratio)`` of the
time it runs for and sends go between its pieces (docs/performance.md, "What is left above the
code before issue 11").
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable

# how a job that paces itself hands its rest to the code doing a piece of its work
Rest = Callable[[], Awaitable[None]]

REST_PER_WORK = 3.0
MAX_REST_SECONDS = 1.0


class Pace:
    """Rests ``ratio`` times as long as the work since the last rest took (at most ``cap``),
    until the rests add up to ``budget`` seconds; after that it only yields to the event loop
    (a job that must keep up with its input, such as indexing, never falls behind for resting)."""

    def __init__(
        self,
        sleep: Callable[[float], Awaitable[None]],
        ratio: float = REST_PER_WORK,
        cap: float = MAX_REST_SECONDS,
        budget: float = math.inf,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sleep = sleep
        self._clock = clock
        self._ratio = ratio
        self._cap = cap
        self._left = budget
        self._since = self._clock()

    async def rest(self) -> None:
        took = self._clock() - self._since
        seconds = min(self._cap, took * self._ratio, self._left)
        if seconds > 0:
            self._left -= seconds
            await self._sleep(seconds)
        else:
            await asyncio.sleep(0)
        self._since = self._clock()
