"""The clock, in one place, so that tests can move time at the edge of the world.

Production reads the system clock. A test may set ``CIRCLES_CLOCK_FILE`` to a file holding an
offset in seconds; every process reading it then agrees on the same shifted "now", which is how
the suite makes offers, holds and reminders fall due without waiting.

``travel`` is for the demo seed only (server/seed_history.py): it writes months of history
through the real services, which stamp everything with ``now()``, so it moves a "now" of its own
through the past. The override is context-local (a request or task that did not start inside
the seed never sees it) and ends with the block (a task the seed started that lives on, such as
a writer's drain loop, reads the real clock again afterwards).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

_FILE = os.environ.get("CIRCLES_CLOCK_FILE") or None
_cache: tuple[float, timedelta] = (-1.0, timedelta(0))


def _offset() -> timedelta:
    global _cache
    if _FILE is None:
        return timedelta(0)
    try:
        mtime = os.stat(_FILE).st_mtime
        if mtime != _cache[0]:
            with open(_FILE) as fh:
                _cache = (mtime, timedelta(seconds=float(fh.read().strip() or 0)))
    except (OSError, ValueError):
        return _cache[1]
    return _cache[1]


class Travel:
    """The seed's "now": moves forward only (stored order and stamped times stay in step), and
    never past the real now."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self.active = True

    def to(self, at: datetime) -> None:
        if at < self.at or at > datetime.now(UTC):
            raise ValueError(f"travel only forwards and not past now: {self.at} -> {at}")
        self.at = at


_travel: ContextVar[Travel | None] = ContextVar("circles_clock_travel", default=None)


@contextmanager
def travel(start: datetime) -> Iterator[Travel]:
    """Within the block (and the tasks started in it, while it lasts), ``now()`` is the
    cursor's time. For the demo seed only."""
    cursor = Travel(start)
    token = _travel.set(cursor)
    try:
        yield cursor
    finally:
        cursor.active = False
        _travel.reset(token)


def now() -> datetime:
    """Timezone-aware UTC now, truncated to milliseconds (what BSON stores)."""
    cursor = _travel.get()
    t = cursor.at if cursor is not None and cursor.active else datetime.now(UTC) + _offset()
    return t.replace(microsecond=t.microsecond // 1000 * 1000)
