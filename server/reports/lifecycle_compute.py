"""Pure: each member's lifecycle stage, RFM score and segments (docs/protocol.md, "Member
lifecycle and RFM"); lifecycle.py reads the facts and calls ``standing``.

Everything is counted in whole UTC days. A member *participated* on a day when the circle's day
rollup lists them as active (posted a message not deleted, reacted, or signed up to one of its
activities) or when they were checked in to one of its activities that day. Only the last
``LOOKBACK_DAYS`` days are read, which is why ``churned_days`` is capped at ``MAX_CHURNED``: a
return after the longest possible cooling gap is still seen whole inside the window.

Stages (the first rule that holds), where *since join* means on or after the day of the
member's current membership (a member who left and came back starts again from the rejoin):
1. ``new``: joined at most ``new_days`` ago and has not participated since; ``activated``: the
   same, and has participated since;
2. ``churned`` / ``silent`` / ``cooling``: the days since the last participation since join (or
   since the join, when none) reach ``churned_days`` / ``silent_days`` / ``cooling_days``; a
   member no longer new who has not participated since the join is at least ``cooling``;
3. ``returning``: the latest *return* is less than ``cooling_days`` ago, a return being a
   participation more than ``new_days`` after the join that came at least ``cooling_days``
   after the one before it since join (or after the join itself);
4. ``active`` otherwise.

RFM, over all of the member's history in the circle (before a leave too):
- recency: days since the last participation (None: none in the window), scored 5..1 at
  ``RECENCY_CUTS`` (at most that many days);
- frequency: activities attended plus days active, both in the last ``FREQUENCY_DAYS`` days,
  scored 5..1 at ``FREQUENCY_CUTS`` (at least);
- monetary: per currency, payments made ``paid`` minus those ``refunded`` (sandbox payments
  moved no money and are left out); scored in the circle's *main currency* (the one with the
  most net money over all its members; ties by code) at ``MONETARY_CUTS`` (minor units, at
  least; nothing paid scores 1).
Segments (a member may be in several): ``champions`` R >= 4 and F >= 4; ``new and not yet
activated`` stage ``new``; ``at risk`` stage ``cooling`` or ``silent`` with F >= 3 or M >= 3;
``lost`` stage ``churned``; ``big spenders`` M = 5.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

LOOKBACK_DAYS = 180
MAX_CHURNED = 90
FREQUENCY_DAYS = 90
RECENCY_CUTS = (7, 14, 30, 60)  # <= 7 days: 5, <= 14: 4, <= 30: 3, <= 60: 2, else 1
FREQUENCY_CUTS = (12, 8, 4, 2)  # >= 12: 5, >= 8: 4, >= 4: 3, >= 2: 2, else 1
MONETARY_CUTS = (20_000, 10_000, 5_000, 1)  # minor units: >= 20000: 5, ... >= 1: 2, else 1

STAGES = ("new", "activated", "active", "cooling", "silent", "churned", "returning")
SEGMENTS = ("champions", "new and not yet activated", "at risk", "lost", "big spenders")


@dataclass(frozen=True)
class Thresholds:
    new_days: int = 14
    cooling_days: int = 14
    silent_days: int = 30
    churned_days: int = 60


@dataclass
class MemberFacts:
    user_id: str
    joined: date  # the day of the current membership's join
    active_days: set[date] = field(default_factory=set)  # from the day rollups
    attended: list[date] = field(default_factory=list)  # one day per activity checked in to
    money: dict[str, int] = field(default_factory=dict)  # currency -> net minor units


@dataclass(frozen=True)
class Standing:
    user_id: str
    stage: str
    recency_days: int | None
    frequency: int
    attended: int
    active_days: int
    monetary: dict[str, int]
    r: int
    f: int
    m: int
    segments: list[str]


def _score_at_most(value: int | None, cuts: tuple[int, ...]) -> int:
    if value is None:
        return 1
    return next((5 - i for i, cut in enumerate(cuts) if value <= cut), 1)


def _score_at_least(value: int, cuts: tuple[int, ...]) -> int:
    return next((5 - i for i, cut in enumerate(cuts) if value >= cut), 1)


def main_currency(members: list[MemberFacts]) -> str | None:
    totals: dict[str, int] = {}
    for m in members:
        for currency, net in m.money.items():
            totals[currency] = totals.get(currency, 0) + net
    if not totals:
        return None
    return min(totals, key=lambda c: (-totals[c], c))


def stage(facts: MemberFacts, today: date, t: Thresholds) -> str:
    since = sorted(d for d in {*facts.active_days, *facts.attended} if facts.joined <= d <= today)
    if (today - facts.joined).days <= t.new_days:
        return "activated" if since else "new"
    idle = (today - (since[-1] if since else facts.joined)).days
    if idle >= t.churned_days:
        return "churned"
    if idle >= t.silent_days:
        return "silent"
    if idle >= t.cooling_days or not since:
        return "cooling"
    returns = [
        d
        for before, d in zip([facts.joined, *since], since, strict=False)
        if (d - facts.joined).days > t.new_days and (d - before).days >= t.cooling_days
    ]
    if returns and (today - returns[-1]).days < t.cooling_days:
        return "returning"
    return "active"


def standing(facts: MemberFacts, today: date, t: Thresholds, currency: str | None) -> Standing:
    days = {*facts.active_days, *facts.attended}
    recency = (today - max(days)).days if days else None
    window = today - timedelta(days=FREQUENCY_DAYS - 1)
    attended = sum(1 for d in facts.attended if window <= d <= today)
    active = sum(1 for d in facts.active_days if window <= d <= today)
    frequency = attended + active
    r = _score_at_most(recency, RECENCY_CUTS)
    f = _score_at_least(frequency, FREQUENCY_CUTS)
    m = _score_at_least(facts.money.get(currency, 0), MONETARY_CUTS) if currency else 1
    s = stage(facts, today, t)
    segments = [
        name
        for name, holds in (
            ("champions", r >= 4 and f >= 4),
            ("new and not yet activated", s == "new"),
            ("at risk", s in ("cooling", "silent") and (f >= 3 or m >= 3)),
            ("lost", s == "churned"),
            ("big spenders", m == 5),
        )
        if holds
    ]
    return Standing(
        user_id=facts.user_id,
        stage=s,
        recency_days=recency,
        frequency=frequency,
        attended=attended,
        active_days=active,
        monetary=dict(sorted(facts.money.items())),
        r=r,
        f=f,
        m=m,
        segments=segments,
    )
