"""Pure: a circle's *book*, the money and attendance of each of its activities in one value, and
its packing into one compressed blob (book.py keeps it, the revenue and lifecycle pages read it).

An entry per activity: its title, who was checked in and on which UTC day, and its payments
with their ledgers (what ``money.py`` sums). The book is stored as one document per circle
because FerretDB answers one document with one compressed field in a few milliseconds, while a
query returning the 2,000 activities' documents of a large circle costs it about 0.7 s
(docs/performance.md, "Reports at 5,000 members").
"""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from server.activities.models import Activity
from server.payments.models import LedgerEvent, Payment
from server.reports.rollups_compute import day_of


@dataclass(frozen=True)
class BookEntry:
    activity_id: str
    title: str
    starts_at: datetime
    attended: list[tuple[str, str]] = field(default_factory=list)  # (user_id, UTC day)
    payments: list[tuple[Payment, list[LedgerEvent]]] = field(default_factory=list)


def entry_of(a: Activity, records: list[tuple[Payment, list[LedgerEvent]]]) -> BookEntry:
    """An activity's entry from its current state and its payments (lifecycle_compute: a
    check-in counts on the day it was made, or the activity's start when none is recorded)."""
    attended = sorted(
        (e.user_id, day_of(e.checked_in_at or a.starts_at))
        for e in a.entries.values()
        if e.status == "attended"
    )
    return BookEntry(a.id, a.title, a.starts_at, attended, records)


def _iso(at: datetime) -> str:
    return at.isoformat()


def _payment_doc(p: Payment) -> dict[str, Any]:
    d = asdict(p)
    for k in ("created_at", "updated_at"):
        d[k] = _iso(d[k])
    return d


def _payment(d: dict[str, Any]) -> Payment:
    fields = dict(d)
    for k in ("created_at", "updated_at"):
        fields[k] = datetime.fromisoformat(fields[k])
    return Payment(**fields)


def _entry_doc(e: BookEntry) -> dict[str, Any]:
    return {
        "t": e.title,
        "s": _iso(e.starts_at),
        "a": [list(pair) for pair in e.attended],
        "p": [
            {
                **_payment_doc(p),
                "ledger": [[x.version, x.status, x.reason, _iso(x.at)] for x in ledger],
            }
            for p, ledger in e.payments
        ],
    }


def _entry(activity_id: str, d: dict[str, Any]) -> BookEntry:
    payments: list[tuple[Payment, list[LedgerEvent]]] = []
    for raw in d["p"]:
        fields = {k: v for k, v in raw.items() if k != "ledger"}
        p = _payment(fields)
        ledger = [
            LedgerEvent(p.id, int(v), status, reason, datetime.fromisoformat(at))
            for v, status, reason, at in raw["ledger"]
        ]
        payments.append((p, ledger))
    attended = [(str(u), str(day)) for u, day in d["a"]]
    return BookEntry(activity_id, d["t"], datetime.fromisoformat(d["s"]), attended, payments)


def pack(book: dict[str, BookEntry]) -> bytes:
    doc = {i: _entry_doc(e) for i, e in sorted(book.items())}
    return zlib.compress(json.dumps(doc, separators=(",", ":")).encode(), 6)


def unpack(blob: bytes, only: str | None = None) -> dict[str, BookEntry]:
    """The book, or with ``only`` just that activity's entry (if it has one)."""
    doc: dict[str, Any] = json.loads(zlib.decompress(blob))
    if only is not None:
        return {only: _entry(only, doc[only])} if only in doc else {}
    return {i: _entry(i, d) for i, d in doc.items()}
