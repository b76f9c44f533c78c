"""Pure: the day rollups one circle report reads (``Days``), newcomer activation and retention
cohorts (circle_report.py).

- A *newcomer* is a join that is not the owner's (a rejoin is a newcomer again). It is
  *activated* when the member is active (posted, reacted or signed up) on the day of the join or
  in the ``ACTIVATION_DAYS`` days after.
- A *cohort* is the newcomers of one ISO week (Monday first) by their latest join in it; its
  week *k* (1..``COHORT_WEEKS``) is the k-th week after the join week, and ``retained[k-1]``
  counts the cohort's members active in it (None while that week has not begun).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from server.reports.rollups_compute import Day, Members, Numbering

ACTIVATION_DAYS = 7
COHORT_WEEKS = 8


class Days:
    """The stored days of one report request (``days`` keyed by ``YYYY-MM-DD``), with each day's
    active members (and posters) as a bitmask over one numbering of the member ids, made once
    per day and only when first asked for.

    Why: the report's distinct counts of active members (in a bucket, WAU, MAU, newcomers
    activated, cohort members retained) are over overlapping unions of days of ~1,500 ids each
    in a busy circle. Rebuilt as Python sets for every bucket, every newcomer (8 days each) and
    every cohort week, they cost 0.46-1.04 s of CPU per request at 5,000 members
    (docs/performance.md, "Reports at 5,000 members"); as masks, a union of up to 31 days is an
    OR of as many ints (bench/reports_arith.py).

    The numbering is the circle's stored one (rollups_compute.Numbering: the latest version
    among the days read, which reads every earlier one) when days come stored as bitmaps,
    whose masks are then used as read; ids of days stored as lists (before bitmaps, or made in
    memory) are numbered after it, each id of such a day touched once per request."""

    def __init__(self, days: dict[str, Day]) -> None:
        self.days = days
        self._keys = sorted(days)
        self._base = _numbering_of(days.values())
        self._number: dict[str, int] = dict(self._base.index()) if self._base else {}
        self._masks: dict[tuple[str, str], int] = {}

    def get(self, day: date) -> Day | None:
        return self.days.get(day.isoformat())

    def between(self, first: date, last: date) -> list[Day]:
        """The stored days from ``first`` to ``last``, included, in order."""
        out, d = [], first
        while d <= last:
            found = self.days.get(d.isoformat())
            if found is not None:
                out.append(found)
            d += timedelta(days=1)
        return out

    def latest(self, last: date) -> Day | None:
        """The last stored day on or before ``last`` (its member count carries over)."""
        i = bisect_right(self._keys, last.isoformat())
        return self.days[self._keys[i - 1]] if i else None

    def bit(self, user_id: str) -> int:
        """The mask of one member (numbered now if no day met so far held them)."""
        i = self._number.get(user_id)
        if i is None:
            i = self._number[user_id] = len(self._number)
        return 1 << i

    def active(self, first: date, last: date) -> int:
        """The members active on any day from ``first`` to ``last``, as a mask."""
        return self._union("active", first, last)

    def posters(self, first: date, last: date) -> int:
        """The members who posted on any day from ``first`` to ``last``, as a mask."""
        return self._union("posters", first, last)

    def _union(self, which: str, first: date, last: date) -> int:
        out, d = 0, first
        while d <= last:
            key = d.isoformat()
            mask = self._masks.get((which, key))
            if mask is None:
                found = self.days.get(key)
                if found is not None:
                    ids = found.active if which == "active" else found.posters
                    mask = self._masks[which, key] = self._mask(ids)
            if mask:
                out |= mask
            d += timedelta(days=1)
        return out

    def _mask(self, ids: Sequence[str]) -> int:
        if isinstance(ids, Members) and self._base is not None and self._base.covers(ids.numbering):
            return ids.mask
        # One character per numbered id ('1': in the list), read as a base-2 number (reversed:
        # the last character is the most significant digit): the cheapest way found to set a
        # thousand bits of an int from Python (base 2 is exempt from int()'s digit limit).
        number = self._number
        digits = bytearray(b"0") * len(number)
        for user_id in ids:
            i = number.get(user_id)
            if i is None:
                i = number[user_id] = len(number)
                digits.append(48)
            digits[i] = 49
        return int(digits[::-1], 2) if digits else 0


def _numbering_of(days: Iterable[Day]) -> Numbering | None:
    """The latest numbering the days' bitmaps were read with (all of one circle)."""
    out: Numbering | None = None
    for d in days:
        for ids in (d.active, d.posters):
            if isinstance(ids, Members) and (out is None or ids.numbering.v > out.v):
                out = ids.numbering
    return out


def activation(days: Days, first: date, last: date) -> tuple[int, int]:
    """(newcomers who joined from ``first`` to ``last``, how many of them are activated)."""
    joined = activated = 0
    d = first
    while d <= last:
        found = days.get(d)
        if found is not None and found.newcomers:
            window = days.active(d, d + timedelta(days=ACTIVATION_DAYS))
            for user_id, _ in found.newcomers:
                joined += 1
                if window & days.bit(user_id):
                    activated += 1
        d += timedelta(days=1)
    return joined, activated


def monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def cohorts(
    days: Days, first: date, last: date, today: date
) -> list[tuple[date, int, list[int | None]]]:
    """Per join week overlapping ``first..last``: (its Monday, newcomers, retained per week)."""
    out: list[tuple[date, int, list[int | None]]] = []
    week = monday(first)
    while week <= last:
        members = {u for d in days.between(week, week + timedelta(days=6)) for u, _ in d.newcomers}
        cohort = 0
        for user_id in members:
            cohort |= days.bit(user_id)
        retained: list[int | None] = []
        for k in range(1, COHORT_WEEKS + 1):
            start = week + timedelta(days=7 * k)
            if start > today:
                retained.append(None)
            else:
                active = days.active(start, start + timedelta(days=6))
                retained.append((cohort & active).bit_count())
        out.append((week, len(members), retained))
        week += timedelta(days=7)
    return out
