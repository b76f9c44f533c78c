"""Pure: a circle's payout statement for a period, from its payments' ledgers.

A payment counts as *collected* in the period its ``paid`` event falls in, and as *refunded* in
the period its ``refunded`` event falls in (a refund still pending is money the organiser still
holds). What is *due* to the organiser is collected minus refunded, per currency. Sandbox
payments moved no money: they are listed and summed apart, never added to real money.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from server.payments.models import LedgerEvent, Payment

COUNTED = {"paid": "collected", "refunded": "refunded"}


@dataclass(frozen=True)
class Line:
    at: datetime
    kind: str  # "collected" | "refunded"
    activity_id: str
    activity_title: str
    payment_id: str
    provider: str
    amount: int  # minor units, positive; a refund is subtracted
    currency: str
    test: bool


@dataclass(frozen=True)
class Total:
    currency: str
    collected: int
    refunded: int

    @property
    def due(self) -> int:
        return self.collected - self.refunded


def lines(
    found: list[tuple[str, list[tuple[Payment, list[LedgerEvent]]]]],
    titles: dict[str, str],
    start: datetime,
    end: datetime,
) -> list[Line]:
    """Every collection and refund in ``[start, end)``, oldest first. ``found`` pairs each
    activity id with its payments and their ledgers. A status reached twice in one ledger
    (never, by the ledger's transitions) would still count once: the first time."""
    out: list[Line] = []
    for activity_id, payments in found:
        for p, events in payments:
            seen: set[str] = set()
            for e in events:
                kind = COUNTED.get(e.status)
                if kind is None or kind in seen:
                    continue
                seen.add(kind)
                if start <= e.at < end:
                    out.append(
                        Line(
                            e.at,
                            kind,
                            activity_id,
                            titles.get(activity_id, ""),
                            p.id,
                            p.provider,
                            p.amount,
                            p.currency,
                            p.test,
                        )
                    )
    return sorted(out, key=lambda ln: (ln.at, ln.payment_id, ln.kind))


def totals(found: list[Line], test: bool) -> list[Total]:
    by: dict[str, list[int]] = {}
    for ln in found:
        if ln.test != test:
            continue
        sums = by.setdefault(ln.currency, [0, 0])
        sums[0 if ln.kind == "collected" else 1] += ln.amount
    return [Total(c, s[0], s[1]) for c, s in sorted(by.items())]


HEADER = [
    "date",
    "kind",
    "activity_id",
    "activity",
    "payment_id",
    "provider",
    "amount",
    "currency",
    "test",
]


def _cell(value: str) -> str:
    """A title typed by an organiser, made inert for spreadsheets (no formula injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def to_csv(found: list[Line]) -> str:
    """One row per collection or refund; amounts in minor units, a refund negative."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADER)
    for ln in found:
        w.writerow(
            [
                ln.at.isoformat().replace("+00:00", "Z"),
                ln.kind,
                ln.activity_id,
                _cell(ln.activity_title),
                ln.payment_id,
                ln.provider,
                ln.amount if ln.kind == "collected" else -ln.amount,
                ln.currency,
                "yes" if ln.test else "no",
            ]
        )
    return buf.getvalue()
