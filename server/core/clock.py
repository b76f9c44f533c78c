"""The clock, in one place, so that tests can move time at the edge of the world."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

_OFFSET = timedelta(seconds=float(os.environ.get("CIRCLES_CLOCK_OFFSET_SECONDS", "0") or 0))


def now() -> datetime:
    """Timezone-aware UTC now, truncated to milliseconds (what BSON stores)."""
    t = datetime.now(UTC) + _OFFSET
    return t.replace(microsecond=t.microsecond // 1000 * 1000)
