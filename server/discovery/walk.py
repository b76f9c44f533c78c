"""Walking buckets in time order: each stream reads one family's buckets, oldest first, and a
merge interleaves streams by (start, id) until a page is full.

A stream learns which buckets of its family hold cards from the marks (one equality read), so
empty weeks cost nothing; the time family is two-level (weeks, then their two-hour slots). A
circle's stream over a few months reads its monthly buckets without the marks.
Buckets of a family partition time, so reading them in order yields cards in order.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Callable
from datetime import datetime

from server.discovery import keys
from server.discovery.models import Card
from server.discovery.repository import DiscoveryRepository

Order = tuple[datetime, str]
DIRECT_MONTHS = 4  # a circle's stream over at most this many months skips its marks (90 days)
Keep = Callable[[Card], bool]


class Stream:
    """One family's cards from ``start`` to ``end``, in (start, id) order.

    Marks are read a part at a time (a month of a daily family, a year of a weekly one:
    ``keys.mark_part``), as the walk reaches it, so a page that fills within its first weeks
    reads no marks of the months after."""

    def __init__(
        self, repo: DiscoveryRepository, family: str, start: datetime, end: datetime
    ) -> None:
        self._repo = repo
        self.family = family
        self._start = start
        self._end = end
        self._buckets: list[str] | None = None
        self._parts: list[str] = []  # parts of the marks not read yet, in time order
        self._span: set[str] = set()
        self._weeks: list[str] | None = None  # the time family only

    def _span_of(self) -> list[str]:
        if self.family.startswith("c:"):
            return keys.months_between(self._start, self._end)
        if keys.daily(self.family):
            return keys.days_between(self._start, self._end)
        return keys.weeks_between(self._start, self._end)

    async def prepare(self) -> None:
        self._buckets = []
        span = keys.weeks_between(self._start, self._end) if self.family == "t" else self._span_of()
        self._span = set(span)
        if self.family.startswith("c:") and len(span) <= DIRECT_MONTHS:
            # a circle's few months: read them, not first the marks that say which hold cards
            # (most do; a cold "for you" or "following" walks ten circles at once)
            self._buckets = span
            return
        self._parts = keys.mark_parts(self.family, span)
        if self.family == "t":
            self._weeks = []

    async def _next_marks(self) -> list[str]:
        """The buckets of the next part of the marks that has any in the span."""
        while self._parts:
            found = await self._repo.part(self._parts.pop(0))
            inside = sorted(b for b in found if b in self._span)
            if inside:
                return inside
        return []

    async def next_bucket(self) -> list[Card] | None:
        """The next bucket's cards, sorted; None when the stream is done."""
        assert self._buckets is not None, "prepare() first"
        if self.family == "t":
            while not self._buckets and (self._weeks or self._parts):
                if not self._weeks:
                    self._weeks = await self._next_marks()
                    continue
                wk = self._weeks.pop(0)
                first, last = keys.slot(self._start), keys.slot(self._end)
                self._buckets = sorted(
                    f"{wk}@{b}" for b in await self._repo.marks(f"t:{wk}") if first <= b <= last
                )
        elif not self._buckets:
            self._buckets = await self._next_marks()
        if not self._buckets:
            return None
        bucket = self._buckets.pop(0)
        if self.family == "t":
            wk, slot = bucket.split("@", 1)
            found = await self._repo.bucket(keys.key(f"t:{wk}", slot))
        else:
            found = await self._repo.bucket(keys.key(self.family, bucket))
        return sorted(found, key=lambda c: (c.starts_at, c.id))


async def merge(streams: list[Stream], after: Order | None, keep: Keep, limit: int) -> list[Card]:
    """The first ``limit`` cards of all streams after ``after`` that ``keep`` accepts, in
    (start, id) order, each once (a card can be in several streams)."""
    await asyncio.gather(*(s.prepare() for s in streams))
    firsts = await asyncio.gather(*(s.next_bucket() for s in streams))
    heap: list[tuple[datetime, str, int, int]] = []
    buffers: list[list[Card]] = []
    for i, cards in enumerate(firsts):
        buffers.append(cards or [])
        if cards:
            heapq.heappush(heap, (cards[0].starts_at, cards[0].id, i, 0))
    out: list[Card] = []
    seen: set[str] = set()
    while heap and len(out) < limit:
        _, _, i, pos = heapq.heappop(heap)
        card = buffers[i][pos]
        if card.id not in seen and (after is None or (card.starts_at, card.id) > after):
            seen.add(card.id)
            if keep(card):
                out.append(card)
        if pos + 1 < len(buffers[i]):
            nxt = buffers[i][pos + 1]
            heapq.heappush(heap, (nxt.starts_at, nxt.id, i, pos + 1))
            continue
        if len(out) >= limit:
            break  # full: the stream's next bucket (and marks) would be read for nothing
        more = await streams[i].next_bucket()
        while more is not None and not more:
            more = await streams[i].next_bucket()
        if more:
            buffers[i] = more
            heapq.heappush(heap, (more[0].starts_at, more[0].id, i, 0))
    return out
