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
    (a job that must keep up with its input, such as indexing, never falls behind for resting).

    With ``pieces``, the number of rests the job expects to take, the budget is shared out over
    them: no rest takes more than what is left of it divided by the rests still to come. Without
    that, a job with more work than its budget covers at ``ratio`` spent the budget on its first
    pieces and ran the rest back to back: in the chat benchmark every search indexing round of
    5,000 messages ended in about a second of inserts without a rest, and the sends of that
    second waited behind them (docs/performance.md, "Search rounds without a burst")."""

    def __init__(
        self,
        sleep: Callable[[float], Awaitable[None]],
        ratio: float = REST_PER_WORK,
        cap: float = MAX_REST_SECONDS,
        budget: float = math.inf,
        clock: Callable[[], float] = time.monotonic,
        pieces: int = 0,
    ) -> None:
        self._sleep = sleep
        self._clock = clock
        self._ratio = ratio
        self._cap = cap
        self._left = budget
        self._pieces = pieces
        self._since = self._clock()

    async def rest(self) -> None:
        took = self._clock() - self._since
        share = self._left / self._pieces if self._pieces > 1 else self._left
        self._pieces = max(0, self._pieces - 1)
        seconds = min(self._cap, took * self._ratio, share)
        if seconds > 0:
            self._left -= seconds
            await self._sleep(seconds)
        else:
            await asyncio.sleep(0)
        self._since = self._clock()
