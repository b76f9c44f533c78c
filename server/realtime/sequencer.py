"""Per-conversation reordering of ``message:new`` on the receiving side of the Redis bus.

Two processes can commit seq 5 and seq 6 of one conversation within a millisecond and publish them
in the other order. Each process passes incoming messages through a Sequencer so its sockets see
each conversation in increasing seq: a message that arrives ahead of a gap waits (briefly) for the
missing ones; after ``max_wait`` it is released anyway and the client fills the gap from history.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Stream:
    next_seq: int
    held: dict[int, Any] = field(default_factory=dict)
    held_since: float = 0.0


class Sequencer:
    def __init__(self, max_wait: float = 0.5, max_streams: int = 50_000) -> None:
        self._streams: OrderedDict[str, _Stream] = OrderedDict()
        self._max_wait = max_wait
        self._max_streams = max_streams

    def push(self, key: str, seq: int, item: Any) -> list[Any]:
        """Items ready for delivery, in seq order, after ``item`` arrived."""
        stream = self._streams.get(key)
        if stream is None:
            stream = self._streams[key] = _Stream(next_seq=seq)
            if len(self._streams) > self._max_streams:
                self._streams.popitem(last=False)
        self._streams.move_to_end(key)
        if seq < stream.next_seq:
            return [item]  # late (released past it earlier): deliver rather than drop
        stream.held[seq] = item
        if len(stream.held) == 1:
            stream.held_since = time.monotonic()
        return self._release(stream)

    def overdue(self) -> list[Any]:
        """Give up waiting on gaps older than ``max_wait``; returns what that releases."""
        now = time.monotonic()
        out: list[Any] = []
        for stream in self._streams.values():
            if stream.held and now - stream.held_since >= self._max_wait:
                stream.next_seq = min(stream.held)
                out.extend(self._release(stream))
        return out

    def _release(self, stream: _Stream) -> list[Any]:
        out = []
        while stream.next_seq in stream.held:
            out.append(stream.held.pop(stream.next_seq))
            stream.next_seq += 1
        if stream.held and out:
            stream.held_since = time.monotonic()
        return out
