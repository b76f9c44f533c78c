"""Sign-up rows and the circle -> activity list in MongoDB; reads are one equality each."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from server.core.mongo import Db, Index, insert_new, retry_busy

INDEXES = {
    "report_signups": [Index([("activity_id", 1)], "activity")],
    "report_activities": [Index([("circle_id", 1)], "circle")],
}


@dataclass(frozen=True)
class SignupRow:
    """One committed state of one entry (see the package docstring)."""

    activity_id: str
    user_id: str
    status: str
    at: datetime  # the entry's updated_at: when it took this state
    activity_cancelled: bool = False
    offer_expires_at: datetime | None = None
    hold_expires_at: datetime | None = None
    reconfirm_pending: bool = False
    reconfirmed_at: datetime | None = None

    @property
    def key(self) -> str:
        micros = int(self.at.timestamp() * 1_000_000)
        flags = f"{int(self.activity_cancelled)}{int(self.reconfirm_pending)}"
        return f"{self.activity_id}:{self.user_id}:{self.status}:{micros}:{flags}"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def _micros(at: datetime | None) -> int | None:
    return None if at is None else (at - _EPOCH) // _MICRO


def _at(micros: int | None) -> datetime | None:
    return None if micros is None else _EPOCH + micros * _MICRO


def _doc(r: SignupRow, circle_id: str) -> dict[str, Any]:
    """A row with its fields packed in one string, ``r`` (a JSON list): FerretDB decodes a
    document field by field, and an activity's report reads every row of the activity (590 at
    the benchmark's busiest: 63 ms of its time with eleven fields each, 32 ms packed;
    docs/performance.md, "Reports at 5,000 members")."""
    packed = [
        r.user_id,
        r.status,
        _micros(r.at),
        r.activity_cancelled,
        _micros(r.offer_expires_at),
        _micros(r.hold_expires_at),
        r.reconfirm_pending,
        _micros(r.reconfirmed_at),
    ]
    return {
        "_id": r.key,
        "activity_id": r.activity_id,
        "circle_id": circle_id,
        "r": json.dumps(packed, separators=(",", ":")),
    }


def _row(d: dict[str, Any]) -> SignupRow:
    if "r" in d:
        user_id, status, at, cancelled, offer, hold, pending, reconfirmed = json.loads(d["r"])
        return SignupRow(
            activity_id=d["activity_id"],
            user_id=user_id,
            status=status,
            at=_EPOCH + at * _MICRO,
            activity_cancelled=bool(cancelled),
            offer_expires_at=_at(offer),
            hold_expires_at=_at(hold),
            reconfirm_pending=bool(pending),
            reconfirmed_at=_at(reconfirmed),
        )
    return SignupRow(  # a row stored before they were packed
        activity_id=d["activity_id"],
        user_id=d["user_id"],
        status=d["status"],
        at=d["at"],
        activity_cancelled=bool(d.get("activity_cancelled")),
        offer_expires_at=d.get("offer_expires_at"),
        hold_expires_at=d.get("hold_expires_at"),
        reconfirm_pending=bool(d.get("reconfirm_pending")),
        reconfirmed_at=d.get("reconfirmed_at"),
    )


class ReportRepository:
    def __init__(self, db: Db) -> None:
        self._signups = db["report_signups"]
        self._activities = db["report_activities"]

    async def add_rows(self, circle_id: str, rows: list[SignupRow]) -> None:
        """Insert the rows not stored yet (one unordered batch; a taken ``_id`` is a row some
        process recorded before, with the same content)."""
        await insert_new(self._signups, [_doc(r, circle_id) for r in rows])

    async def rows(self, activity_id: str) -> list[SignupRow]:
        return [_row(d) async for d in self._signups.find({"activity_id": activity_id})]

    async def repack(self, activity_id: str) -> int:
        """Write the activity's rows stored before rows were packed again, packed (the same
        ``_id``s and content); how many."""
        old = [d async for d in self._signups.find({"activity_id": activity_id}) if "r" not in d]
        for d in old:
            doc = _doc(_row(d), str(d["circle_id"]))
            await retry_busy(lambda doc=doc: self._signups.replace_one({"_id": doc["_id"]}, doc))  # type: ignore[misc]
        return len(old)

    async def add_activities(self, circle_id: str, activity_ids: list[str]) -> set[int]:
        """Remember that the activities belong to the circle (idempotent: the ``_id`` is the
        activity's, and an activity never moves to another circle); answers the positions of
        those listed before (``activity_ids`` without repeats)."""
        docs = [{"_id": i, "circle_id": circle_id} for i in activity_ids]
        return await insert_new(self._activities, docs)

    async def activities_of(self, circle_id: str) -> list[str]:
        found = self._activities.find({"circle_id": circle_id}, {"_id": 1})
        return sorted([str(d["_id"]) async for d in found])
