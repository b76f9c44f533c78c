"""Bucket keys of an activity's card, and the geometry of "near": pure functions, no I/O.

Time buckets are two-hour slots (a few dozen activities each at 100,000 activities a year),
categories and tags per day, places, words and popularity per ISO week, a circle's activities
per month: so that a bucket stays small (a read decodes every card in it). "Near" uses a fixed
grid of 0.25° cells (about 28 km north-south): a radius of up to 50 km touches at most a few
dozen cells, each read as a bucket, and the exact distance (haversine) decides.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

CELL_DEG = 0.25
EARTH_KM = 6371.0088
# Terms of the title and the description indexed per activity, and the longest kept as is:
# FerretDB also keeps its own btree index on ``keys``, whose row (the whole array) must stay
# under PostgreSQL's 2,704 bytes, so a card's keys are bounded (about 1,900 bytes at most).
MAX_TERMS = 32
MAX_TERM_KEY = 16
SLOT_HOURS = 2


def week(t: datetime) -> str:
    year, wk, _ = t.astimezone(UTC).isocalendar()
    return f"{year}-W{wk:02d}"


def week_start(t: datetime) -> datetime:
    d = t.astimezone(UTC)
    day = d.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=d.isocalendar()[2] - 1)


def weeks_between(start: datetime, end: datetime) -> list[str]:
    """ISO weeks from the one holding ``start`` to the one holding ``end``, in order."""
    out: list[str] = []
    t = week_start(start)
    while t <= end:
        out.append(week(t))
        t += timedelta(days=7)
    return out


def day(t: datetime) -> str:
    return f"{t.astimezone(UTC):%Y-%m-%d}"


def days_between(start: datetime, end: datetime) -> list[str]:
    out: list[str] = []
    t = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    while t <= end:
        out.append(day(t))
        t += timedelta(days=1)
    return out


def daily(family: str) -> bool:
    """Categories and tags are bucketed by day (hundreds a week at 100,000 activities)."""
    return family.startswith(("cat:", "tag:"))


def slot(t: datetime) -> str:
    d = t.astimezone(UTC)
    return f"{d:%Y-%m-%d}T{d.hour // SLOT_HOURS * SLOT_HOURS:02d}"


def month(t: datetime) -> str:
    return f"{t.astimezone(UTC):%Y-%m}"


def months_between(start: datetime, end: datetime) -> list[str]:
    out: list[str] = []
    y, m = start.astimezone(UTC).year, start.astimezone(UTC).month
    last = (end.astimezone(UTC).year, end.astimezone(UTC).month)
    while (y, m) <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def cell(lat: float, lng: float) -> str:
    return f"{math.floor(lat / CELL_DEG)}:{math.floor(lng / CELL_DEG)}"


def cells_near(lat: float, lng: float, radius_km: float) -> list[str]:
    """The grid cells a circle of ``radius_km`` around the point can touch (its bounding box)."""
    dlat = radius_km / 111.0
    coslat = max(math.cos(math.radians(min(abs(lat) + dlat, 89.9))), 0.01)
    dlng = min(radius_km / (111.0 * coslat), 180.0)
    rows = range(math.floor((lat - dlat) / CELL_DEG), math.floor((lat + dlat) / CELL_DEG) + 1)
    cols = range(math.floor((lng - dlng) / CELL_DEG), math.floor((lng + dlng) / CELL_DEG) + 1)
    seen: dict[str, None] = {}
    for r in rows:
        for c in cols:
            wrapped = (c + int(180 / CELL_DEG)) % int(360 / CELL_DEG) - int(180 / CELL_DEG)
            seen.setdefault(f"{r}:{wrapped}", None)
    return list(seen)


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def tier(going: int) -> int | None:
    """Popularity tier: 2 for 2-3 people going, 3 for 4-7, ... (None below 2)."""
    return going.bit_length() if going >= 2 else None


TOP_TIER = 12


def term_family(term: str) -> str:
    """A term's family; a long term by a short digest of it (the card's own terms decide)."""
    if len(term) > MAX_TERM_KEY:
        term = "#" + hashlib.blake2b(term.encode(), digest_size=6).hexdigest()
    return f"q:{term}"


def key(family: str, bucket: str) -> str:
    return f"{family}@{bucket}"


def split(k: str) -> tuple[str, str]:
    family, _, bucket = k.rpartition("@")
    return family, bucket


def time_family(t: datetime) -> str:
    """The family of a week's slots (``t:2026-W49``); the family ``t`` lists the weeks."""
    return f"t:{week(t)}"


def keys_for(
    *,
    public: bool,
    circle_id: str,
    starts_at: datetime,
    category: str,
    tags: list[str],
    lat: float | None,
    lng: float | None,
    terms: list[str],
    going: int,
) -> list[str]:
    """Every bucket a live card belongs to. A private circle's activity is only in its
    circle's buckets, so no public bucket ever holds it."""
    out = [key(f"c:{circle_id}", month(starts_at))]
    if not public:
        return out
    wk = week(starts_at)
    out.append(key(time_family(starts_at), slot(starts_at)))
    out.append(key(f"cat:{category}", day(starts_at)))
    out.extend(key(f"tag:{t}", day(starts_at)) for t in tags)
    if lat is not None and lng is not None:
        out.append(key(f"geo:{cell(lat, lng)}", wk))
    out.extend(key(term_family(t), wk) for t in terms)
    level = tier(going)
    if level is not None:
        out.append(key(f"pop:{wk}", str(min(level, TOP_TIER))))
    return out


def mark_part(family: str, bucket: str) -> str:
    """The part of ``family``'s marks a bucket's mark is kept in (what one marks read returns):
    a daily family's marks by month, a weekly or monthly family's by year, so a read of marks
    returns at most a month's days or a year's weeks, however long Circles has run. A week's
    slots and a week's popularity tiers are bounded already."""
    if daily(family):
        return f"{family}|{bucket[:7]}"
    if family == "t" or family.startswith(("geo:", "q:", "c:")):
        return f"{family}|{bucket[:4]}"
    return family


def mark_parts(family: str, buckets: list[str]) -> list[str]:
    """The parts holding the marks of ``buckets`` (a span of ``family``'s buckets), in order."""
    return list(dict.fromkeys(mark_part(family, b) for b in buckets))


def marks_for(keys: list[str]) -> Iterator[tuple[str, str]]:
    """(family, bucket) pairs that say where cards are: each key's own (for ``pop:<week>`` the
    tiers that hold cards), and for a time slot also its week in the family ``t`` (two levels,
    so a walk reads weeks, then slots)."""
    for k in keys:
        family, bucket = split(k)
        yield family, bucket
        if family.startswith("t:"):
            yield "t", family[2:]
