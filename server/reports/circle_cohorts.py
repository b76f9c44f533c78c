"""Pure: newcomer activation and retention cohorts from the day rollups (circle_report.py).

- A *newcomer* is a join that is not the owner's (a rejoin is a newcomer again). It is
  *activated* when the member is active (posted, reacted or signed up) on the day of the join or
  in the ``ACTIVATION_DAYS`` days after.
- A *cohort* is the newcomers of one ISO week (Monday first) by their latest join in it; its
  week *k* (1..``COHORT_WEEKS``) is the k-th week after the join week, and ``retained[k-1]``
  counts the cohort's members active in it (None while that week has not begun).
"""

from __future__ import annotations

from datetime import date, timedelta

from server.reports.rollups_compute import Day

ACTIVATION_DAYS = 7
COHORT_WEEKS = 8


def _active_between(days: dict[str, Day], first: date, last: date) -> set[str]:
    out: set[str] = set()
    d = first
    while d <= last:
        found = days.get(d.isoformat())
        if found is not None:
            out.update(found.active)
        d += timedelta(days=1)
    return out


def activation(days: dict[str, Day], first: date, last: date) -> tuple[int, int]:
    """(newcomers who joined from ``first`` to ``last``, how many of them are activated)."""
    joined = activated = 0
    d = first
    while d <= last:
        found = days.get(d.isoformat())
        for user_id, _ in found.newcomers if found is not None else ():
            joined += 1
            if user_id in _active_between(days, d, d + timedelta(days=ACTIVATION_DAYS)):
                activated += 1
        d += timedelta(days=1)
    return joined, activated


def monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def cohorts(
    days: dict[str, Day], first: date, last: date, today: date
) -> list[tuple[date, int, list[int | None]]]:
    """Per join week overlapping ``first..last``: (its Monday, newcomers, retained per week)."""
    out: list[tuple[date, int, list[int | None]]] = []
    week = monday(first)
    while week <= last:
        members: set[str] = set()
        for i in range(7):
            found = days.get((week + timedelta(days=i)).isoformat())
            if found is not None:
                members.update(u for u, _ in found.newcomers)
        retained: list[int | None] = []
        for k in range(1, COHORT_WEEKS + 1):
            start = week + timedelta(days=7 * k)
            if start > today:
                retained.append(None)
            else:
                active = _active_between(days, start, start + timedelta(days=6))
                retained.append(len(members & active))
        out.append((week, len(members), retained))
        week += timedelta(days=7)
    return out
