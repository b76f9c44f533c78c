"""Pure: a circle's revenue from its payments' ledgers, and the ledger as CSV.

*Gross* is what payments brought in (the ledger event that made a payment ``paid``, counted in
that event's month); *refunds* what went back (the ``refunded`` event, in its month); *fees*
stay 0 until a provider reports its fees; *net* = gross - refunds - fees. Sums are per currency,
and sandbox (test) payments moved no money: their rows carry ``test: true`` and are never added
to real money. A manual payment is *outstanding* while its payer has sent a transfer reference
that the organiser has neither confirmed nor rejected (``pending``, or ``expired``: a late
transfer can still be confirmed).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from server.accounts.models import User
from server.payments.models import LedgerEvent, Payment

# A cell a spreadsheet would run as a formula starts like one of these (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LEDGER_COLUMNS = [
    "at",
    "payment_id",
    "version",
    "status",
    "reason",
    "amount",
    "currency",
    "provider",
    "test",
    "activity_id",
    "activity_title",
    "payer_id",
    "payer_name",
    "reference",
]


@dataclass(frozen=True)
class Paid:
    """One payment with its ledger (oldest first), its payer and its activity's title."""

    payment: Payment
    ledger: list[LedgerEvent]
    payer: User | None
    title: str


Key = tuple[Any, ...]


def _sums() -> defaultdict[Key, list[int]]:
    return defaultdict(lambda: [0, 0])


def _rows(table: dict[Key, list[int]], names: list[str]) -> list[dict[str, Any]]:
    return [
        {**dict(zip(names, key, strict=True)), "gross": g, "refunds": r, "fees": 0, "net": g - r}
        for key, (g, r) in sorted(table.items())
    ]


def revenue(paid: list[Paid]) -> dict[str, list[dict[str, Any]]]:
    totals, by_month, by_activity, by_provider = _sums(), _sums(), _sums(), _sums()
    titles: dict[str, str] = {}
    for item in paid:
        p = item.payment
        titles[p.activity_id] = item.title
        for e in item.ledger:
            if e.status not in ("paid", "refunded"):
                continue
            i = 0 if e.status == "paid" else 1
            for table, key in (
                (totals, (p.currency, p.test)),
                (by_month, (e.at.strftime("%Y-%m"), p.currency, p.test)),
                (by_activity, (p.activity_id, p.currency, p.test)),
                (by_provider, (p.provider, p.currency, p.test)),
            ):
                table[key][i] += p.amount
    activities = _rows(by_activity, ["activity_id", "currency", "test"])
    for row in activities:
        row["title"] = titles.get(row["activity_id"], "")
    return {
        "totals": _rows(totals, ["currency", "test"]),
        "by_month": _rows(by_month, ["month", "currency", "test"]),
        "by_activity": activities,
        "by_provider": _rows(by_provider, ["provider", "currency", "test"]),
    }


def is_outstanding(p: Payment) -> bool:
    return p.provider == "manual" and p.status in ("pending", "expired") and bool(p.reference)


def outstanding(paid: list[Paid]) -> list[Paid]:
    waiting = [item for item in paid if is_outstanding(item.payment)]
    return sorted(waiting, key=lambda item: (item.payment.updated_at, item.payment.id))


def safe_cell(value: Any) -> str:
    """The cell as text a spreadsheet shows as text: one starting like a formula is quoted."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _iso(item: LedgerEvent) -> str:
    return item.at.isoformat().replace("+00:00", "Z")


def ledger_csv(paid: list[Paid]) -> str:
    """Every ledger event of the payments, oldest first, one row each, under a header row."""
    events = sorted(
        ((e, item) for item in paid for e in item.ledger),
        key=lambda pair: (pair[0].at, pair[0].payment_id, pair[0].version),
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(LEDGER_COLUMNS)
    for e, item in events:
        p = item.payment
        row = {
            "at": _iso(e),
            "payment_id": p.id,
            "version": e.version,
            "status": e.status,
            "reason": e.reason,
            "amount": p.amount,
            "currency": p.currency,
            "provider": p.provider,
            "test": "true" if p.test else "false",
            "activity_id": p.activity_id,
            "activity_title": item.title,
            "payer_id": p.user_id,
            "payer_name": item.payer.display_name if item.payer else "",
            "reference": p.reference or "",
        }
        writer.writerow([safe_cell(row[c]) for c in LEDGER_COLUMNS])
    return out.getvalue()
