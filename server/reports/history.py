"""Pure: an activity's report figures from its sign-up rows and its current state.

Each user's rows, oldest first, are their entry's history; a figure is a count of transitions:
- a *sign-up*: from nothing or ``cancelled`` to ``waitlisted``, ``confirmed`` or
  ``pending_payment`` (a sign-up again after a cancellation counts again), by UTC day;
- an *offer* made: into ``offered``; *claimed*: ``offered`` to a seat; *expired*: ``offered`` to
  ``cancelled`` at or after the offer's expiry; *declined*: ``offered`` to ``cancelled`` before;
- a *hold expired*: ``pending_payment`` to ``cancelled`` at or after the hold's expiry;
- a *cancellation*: ``waitlisted``, ``confirmed`` or ``pending_payment`` to ``cancelled`` by the
  attendee, with the hours left until the start (the organiser cancelling the whole activity
  releases everyone, which is not an attendee's cancellation and is not counted).
Funnel: *signed up* and *confirmed* are distinct people who ever were; *attended* are checked in
now. No-shows are known once the activity has ended: confirmed, never checked in.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from server.activities.models import Activity
from server.reports.repository import SignupRow

SEATS = ("confirmed", "pending_payment")
ACTIVE = ("waitlisted", "confirmed", "pending_payment")
LATE_HOURS = 24  # a cancellation with less time than this left is "late"


@dataclass
class Figures:
    signups_by_day: dict[str, int] = field(default_factory=dict)
    signed_up: set[str] = field(default_factory=set)
    confirmed: set[str] = field(default_factory=set)
    waitlisted: set[str] = field(default_factory=set)
    offers: Counter[str] = field(default_factory=Counter)
    holds_expired: int = 0
    cancel_hours: list[float] = field(default_factory=list)
    reconfirm_asked: set[str] = field(default_factory=set)
    reconfirmed: set[str] = field(default_factory=set)

    @property
    def signups(self) -> int:
        return sum(self.signups_by_day.values())

    @property
    def late_cancellations(self) -> int:
        return sum(1 for h in self.cancel_hours if h < LATE_HOURS)

    @property
    def median_cancel_hours(self) -> float | None:
        return round(statistics.median(self.cancel_hours), 1) if self.cancel_hours else None


def _hours(until: datetime, at: datetime) -> float:
    return round((until - at).total_seconds() / 3600, 1)


def _step(f: Figures, a: Activity, prev: SignupRow | None, cur: SignupRow) -> None:
    was = prev.status if prev else None
    now = cur.status
    uid = cur.user_id
    if cur.reconfirm_pending:
        f.reconfirm_asked.add(uid)
    if cur.reconfirmed_at is not None and uid in f.reconfirm_asked:
        f.reconfirmed.add(uid)
    if now in ("confirmed", "attended"):
        f.confirmed.add(uid)
    if now == "waitlisted":
        f.waitlisted.add(uid)
    if was == now:
        return
    if was in (None, "cancelled") and now in ACTIVE:
        day = cur.at.strftime("%Y-%m-%d")
        f.signups_by_day[day] = f.signups_by_day.get(day, 0) + 1
        f.signed_up.add(uid)
    elif now == "offered":
        f.offers["made"] += 1
    elif was == "offered" and now in SEATS:
        f.offers["claimed"] += 1
    elif prev is not None and now == "cancelled" and not cur.activity_cancelled:
        if was == "offered":
            lapsed = prev.offer_expires_at is not None and cur.at >= prev.offer_expires_at
            f.offers["expired" if lapsed else "declined"] += 1
        elif was == "pending_payment" and prev.hold_expires_at and cur.at >= prev.hold_expires_at:
            f.holds_expired += 1
        elif was in ACTIVE:
            f.cancel_hours.append(_hours(a.starts_at, cur.at))


def figures(a: Activity, rows: list[SignupRow], current: list[SignupRow]) -> Figures:
    """``current``: the rows of the activity's current entries (they may not be stored yet)."""
    by_key = {r.key: r for r in (*rows, *current)}
    per_user: dict[str, list[SignupRow]] = {}
    for r in by_key.values():
        per_user.setdefault(r.user_id, []).append(r)
    f = Figures()
    for history in per_user.values():
        # An entry left as it was when the organiser cancelled the activity is stored again
        # with the flag set and the same time: its earlier row comes first.
        history.sort(key=lambda r: (r.at, r.activity_cancelled))
        prev: SignupRow | None = None
        for cur in history:
            _step(f, a, prev, cur)
            prev = cur
    f.signups_by_day = dict(sorted(f.signups_by_day.items()))
    f.cancel_hours.sort(reverse=True)
    return f


def no_shows(a: Activity, now: datetime) -> tuple[int | None, float | None]:
    """(confirmed but not checked in, their share of everyone confirmed) once the activity has
    ended; (None, None) before, or for a cancelled activity."""
    if a.cancelled or now < a.ends_at:
        return None, None
    missing = a.count("confirmed")
    expected = missing + a.count("attended")
    return missing, (round(missing / expected, 4) if expected else None)
