"""Per-conversation delivery in rev order, on each process.

Every ``message:new`` and ``message:updated`` carries the ``rev`` of its change. Revs are claimed
before their changes are written and published, so a process can receive rev 8 after rev 9, or
never receive rev 8 at all (Redis was down when it was published). If it passed rev 9 on, a
client could sync from 9 and never get 8. So each process delivers a conversation's changes in
rev order with no gap: a change that arrives ahead of a gap waits; a gap that lasts is filled by
asking the database what the missing revs stand for (a written change to deliver, or nothing,
see ``messages/order.py``).

Where a conversation's stream starts is not known: the first change a process sees of it may be
rev 2 while rev 1, claimed by another process a moment earlier, is still on its way. So a stream
that opens above rev 1 holds what arrives for ``min_age`` (the gap wait) and then starts from the
lowest rev it holds; only what arrives later than that from below its start is delivered out of
order ("late rather than never").

Pure bookkeeping, no I/O: the manager feeds it events and database answers.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

MAX_SKIPPED = 1000
MAX_GAP = 500  # revs asked about at once


@dataclass
class _Stream:
    base: int  # the first rev this process saw: lower ones are older history
    next_rev: int
    held: dict[int, Any] = field(default_factory=dict)
    since: float = 0.0  # when the wait on the current gap began
    skipped: set[int] = field(default_factory=set)  # passed over without delivery
    opening: bool = False  # holding its first changes until lower revs in flight arrive


class RevOrder:
    def __init__(self, max_streams: int = 50_000) -> None:
        self._streams: OrderedDict[str, _Stream] = OrderedDict()
        self._max_streams = max_streams
        self._waiting: set[str] = set()  # streams holding items behind a gap

    def push(self, key: str, rev: int, item: Any) -> list[Any]:
        """Items ready for delivery, in rev order, after ``item`` arrived."""
        stream = self._streams.get(key)
        if stream is None:
            stream = self._streams[key] = _Stream(base=rev, next_rev=rev, opening=rev > 1)
            if len(self._streams) > self._max_streams:
                old, _ = self._streams.popitem(last=False)
                self._waiting.discard(old)
            if stream.opening:
                stream.since = time.monotonic()
                self._waiting.add(key)
        self._streams.move_to_end(key)
        if stream.opening:
            stream.held.setdefault(rev, item)
            stream.base = stream.next_rev = min(stream.base, rev)
            return []
        if rev < stream.next_rev:
            if rev < stream.base or rev in stream.skipped:
                stream.skipped.discard(rev)
                return [item]  # late rather than never
            return []  # delivered already (filled from the database, or a duplicate)
        if rev in stream.held:
            return []
        stream.held[rev] = item
        if len(stream.held) == 1:
            stream.since = time.monotonic()
        return self._release(key, stream)

    def gaps(self, min_age: float) -> list[tuple[str, list[int]]]:
        """Conversations that have waited on a gap for ``min_age`` seconds, with the revs
        missing (up to ``MAX_GAP`` of them, lowest first)."""
        now = time.monotonic()
        out = []
        for key in list(self._waiting):
            stream = self._streams[key]
            if stream.opening:
                continue  # nothing is missing yet: see ``opened``
            if stream.held and now - stream.since >= min_age:
                top = min(min(stream.held), stream.next_rev + MAX_GAP)
                out.append((key, list(range(stream.next_rev, top))))
        return out

    def opened(self, min_age: float) -> list[Any]:
        """Items ready in the streams that have held their first changes for ``min_age``
        seconds: each starts from the lowest rev it holds."""
        now = time.monotonic()
        out: list[Any] = []
        for key in list(self._waiting):
            stream = self._streams[key]
            if stream.opening and now - stream.since >= min_age:
                stream.opening = False
                out.extend(self._release(key, stream))
        return out

    def fill(self, key: str, rev: int, item: Any | None) -> list[Any]:
        """The database's answer for the missing ``rev``: ``item`` to deliver, or None when
        there is nothing to deliver. Returns what is ready after it."""
        stream = self._streams.get(key)
        if stream is None or rev != stream.next_rev:
            return []  # answered meanwhile by the event itself
        stream.next_rev += 1
        out = [item] if item is not None else []
        if item is None:
            stream.skipped.add(rev)
            if len(stream.skipped) > MAX_SKIPPED:
                stream.skipped.discard(min(stream.skipped))
        return out + self._release(key, stream)

    def waiting(self) -> bool:
        return bool(self._waiting)

    def _release(self, key: str, stream: _Stream) -> list[Any]:
        out = []
        while stream.next_rev in stream.held:
            out.append(stream.held.pop(stream.next_rev))
            stream.next_rev += 1
        if not stream.held:
            self._waiting.discard(key)
        else:
            self._waiting.add(key)
            if out:
                stream.since = time.monotonic()
        return out
