"""Each circle's people table: every current member's participation (lifecycle_compute's
MemberFacts) and standing, kept by the rollup sweeper (rollups.py) and read by the lifecycle page
and outreach (docs/architecture.md, "The book and the people table").

Two documents per circle (book_repository.py): ``facts`` (each member's role, join, active days
of the last ``LOOKBACK_DAYS``, check-in days and money) and ``standings`` (each member's stage,
RFM and segments as of one UTC day and the circle's thresholds then). A page reads the
standings (one ``_id``); when they are of another day or other thresholds it computes them from
the facts (one more ``_id``), and only when neither is stored yet from the sources.

Building the table reads the circle's memberships (one equality), its day rollups of the last
``LOOKBACK_DAYS`` (one equality per month), its thresholds and its book: the sweeper does it
after a change, never a page of a circle whose table exists.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from server.core import clock
from server.reports.book_compute import BookEntry
from server.reports.book_repository import BookRepository
from server.reports.lifecycle_compute import (
    LOOKBACK_DAYS,
    MemberFacts,
    Standing,
    Thresholds,
    main_currency,
    standing,
)
from server.reports.lifecycle_repository import LifecycleRepository
from server.reports.rollups_compute import day_of
from server.reports.rollups_days import months_between
from server.reports.rollups_repository import RollupRepository


@dataclass(frozen=True)
class Person:
    user_id: str
    role: str
    joined_at: datetime  # the current membership's join


@dataclass(frozen=True)
class Table:
    """The standings, by join then user id, each kept as its stored row (``row``: the person's
    three fields, then the standing's ten) until a page asks for it: a filter reads the stage
    and segments of thousands of rows, a page turns 50 into objects."""

    day: str  # the UTC day the standings are as of
    thresholds: Thresholds
    currency: str | None  # the circle's main currency (lifecycle_compute.main_currency)
    rows: list[list[Any]]

    @staticmethod
    def user_id(row: list[Any]) -> str:
        return str(row[0])

    @staticmethod
    def stage(row: list[Any]) -> str:
        return str(row[3])

    @staticmethod
    def segments(row: list[Any]) -> list[str]:
        return list(row[12])

    @staticmethod
    def read(row: list[Any]) -> tuple[Person, Standing]:
        return _person(row), _standing(row[0], row[3:])


def today() -> date:
    return date.fromisoformat(day_of(clock.now()))


def _pack(value: Any) -> bytes:
    return zlib.compress(json.dumps(value, separators=(",", ":")).encode(), 6)


def _unpack(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob))


def _t(t: Thresholds) -> list[int]:
    return [t.new_days, t.cooling_days, t.silent_days, t.churned_days]


def _person(row: list[Any]) -> Person:
    return Person(row[0], row[1], datetime.fromisoformat(row[2]))


def _person_row(p: Person) -> list[Any]:
    return [p.user_id, p.role, p.joined_at.isoformat()]


def _standing_row(s: Standing) -> list[Any]:
    return [
        s.stage,
        s.recency_days,
        s.frequency,
        s.attended,
        s.active_days,
        s.monetary,
        s.r,
        s.f,
        s.m,
        s.segments,
    ]


def _standing(user_id: str, r: list[Any]) -> Standing:
    return Standing(user_id, r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9])


def standings_of(
    facts: list[tuple[Person, MemberFacts]], day: date, t: Thresholds
) -> tuple[str | None, list[list[Any]]]:
    """The main currency and each member's stored row (``Table``), by join then user id."""
    currency = main_currency([f for _, f in facts])
    found = [(p, standing(f, day, t, currency)) for p, f in facts]
    found.sort(key=lambda r: (r[0].joined_at, r[0].user_id))
    return currency, [[*_person_row(p), *_standing_row(s)] for p, s in found]


class People:
    def __init__(
        self, repo: BookRepository, rollups: RollupRepository, settings: LifecycleRepository
    ) -> None:
        self._repo = repo
        self._rollups = rollups
        self._settings = settings
        self._kept: dict[str, str] = {}  # circle -> the day its standings were last written

    async def facts(
        self, circle_id: str, book: dict[str, BookEntry]
    ) -> list[tuple[Person, MemberFacts]]:
        """Every current member's participation, from the sources (as the sweeper builds it)."""
        day = today()
        low = day - timedelta(days=LOOKBACK_DAYS - 1)
        joined = await self._rollups.members(circle_id)
        people = {u: Person(u, role, at) for u, (at, role) in joined.items()}
        facts = {u: MemberFacts(u, date.fromisoformat(day_of(at))) for u, (at, _) in joined.items()}
        months = months_between(low.isoformat(), day.isoformat())
        for d in await self._rollups.days_of_months(circle_id, months):
            when = date.fromisoformat(d.day)
            if low <= when <= day:
                for u in d.active:
                    if u in facts:
                        facts[u].active_days.add(when)
        for e in book.values():
            for u, on in e.attended:
                if u in facts:
                    facts[u].attended.append(date.fromisoformat(on))
            for p, ledger in e.payments:
                if p.test or p.user_id not in facts:
                    continue  # sandbox money moved nothing; a former member is not listed
                money = facts[p.user_id].money
                for ev in ledger:
                    if ev.status in ("paid", "refunded"):
                        sign = 1 if ev.status == "paid" else -1
                        money[p.currency] = money.get(p.currency, 0) + sign * p.amount
        return [(people[u], f) for u, f in facts.items()]

    async def keep(self, circle_id: str, book: dict[str, BookEntry]) -> None:
        """Rewrite the circle's table from the sources (the sweeper, under the lease)."""
        facts = await self.facts(circle_id, book)
        day, t = today(), await self._settings.thresholds(circle_id)
        await self._repo.put_people(
            circle_id,
            "facts",
            {
                "rows": _pack(
                    [
                        [
                            *_person_row(p),
                            sorted(d.toordinal() for d in f.active_days),
                            sorted(d.toordinal() for d in f.attended),
                            f.money,
                        ]
                        for p, f in facts
                    ]
                )
            },
        )
        currency, rows = standings_of(facts, day, t)
        await self._put_standings(circle_id, Table(day.isoformat(), t, currency, rows))

    async def _put_standings(self, circle_id: str, table: Table) -> None:
        await self._repo.put_people(
            circle_id,
            "standings",
            {
                "day": table.day,
                "thresholds": _t(table.thresholds),
                "currency": table.currency,
                "rows": _pack(table.rows),
            },
        )
        self._kept[circle_id] = table.day

    async def due(self, circle_id: str) -> bool:
        """Whether the circle's standings are of an earlier day (read once per process)."""
        day = today().isoformat()
        if self._kept.get(circle_id) == day:
            return False
        doc = await self._repo.people(circle_id, "standings")
        if doc is not None and doc["day"] == day:
            self._kept[circle_id] = day
            return False
        return True

    async def table(self, circle_id: str, book: Any) -> Table:
        """The table as of today and the circle's thresholds now (see the module docstring);
        ``book`` is awaited for the circle's book only when nothing is stored yet."""
        day, t = today(), await self._settings.thresholds(circle_id)
        doc = await self._repo.people(circle_id, "standings")
        if doc is not None and doc["day"] == day.isoformat() and doc["thresholds"] == _t(t):
            return Table(doc["day"], t, doc.get("currency"), _unpack(doc["rows"]))
        stored = await self._repo.people(circle_id, "facts")
        if stored is None:
            facts = await self.facts(circle_id, await book())
        else:
            facts = [
                (
                    _person(r),
                    MemberFacts(
                        r[0],
                        date.fromisoformat(day_of(datetime.fromisoformat(r[2]))),
                        {date.fromordinal(n) for n in r[3]},
                        [date.fromordinal(n) for n in r[4]],
                        dict(r[5]),
                    ),
                )
                for r in _unpack(stored["rows"])
            ]
        currency, rows = standings_of(facts, day, t)
        return Table(day.isoformat(), t, currency, rows)
