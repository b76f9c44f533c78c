"""The clock, in one place, so that tests can move time at the edge of the world.

Production reads the system clock. A test may set ``CIRCLES_CLOCK_FILE`` to a file holding an
offset in seconds; every process reading it then agrees on the same shifted "now", which is how
the suite makes offers, holds and reminders fall due without waiting.
"""

from __future__ import annotations

import os
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


def now() -> datetime:
    """Timezone-aware UTC now, truncated to milliseconds (what BSON stores)."""
    t = datetime.now(UTC) + _offset()
    return t.replace(microsecond=t.microsecond // 1000 * 1000)
