"""Keeping each circle's book current (book_compute.py) for the revenue and lifecycle pages
(docs/architecture.md, "The book and the people table").

Marks come from two watchers, in the process that made the change: the activity watcher (a
check-in, a title or time change: what the book holds of an activity) and the payment watcher
(every ledger event). The rollup sweeper (rollups.py), under the circle's lease, reads the
marked activities' state and payments again, writes the book whole and deletes the marks it
has read. A page reads the book and, for the activities still marked, their sources directly:
what it answers is never older than the last change it can see.

Known gap: a process that dies between a ledger event and its mark leaves that activity's entry
as it was until its next change; ``python -m server.reports.rebuild`` rewrites every book.
"""

from __future__ import annotations

import logging
from datetime import datetime

from server.activities.models import Activity
from server.activities.service import ActivityService
from server.payments.models import Payment
from server.payments.service import PaymentService
from server.reports.book_compute import BookEntry, entry_of, pack, unpack
from server.reports.book_repository import WHOLE, BookRepository, Mark
from server.reports.repository import ReportRepository

log = logging.getLogger(__name__)
MEMORY = 20_000  # activities remembered before the memory starts over
Seen = tuple[str, datetime, frozenset[str]]


class BookKeeper:
    def __init__(
        self,
        repo: BookRepository,
        activities: ActivityService,
        payments: PaymentService,
        listed: ReportRepository,
    ) -> None:
        self._repo = repo
        self._activities = activities
        self._payments = payments
        self._listed = listed
        self._seen: dict[str, Seen] = {}  # activity -> what the book holds of it, as last told

    # marks: two watchers that must not raise -----------------------------------------------

    async def on_commit(self, a: Activity, created: bool) -> None:
        try:
            now: Seen = (
                a.title,
                a.starts_at,
                frozenset(
                    f"{u}:{e.checked_in_at}" for u, e in a.entries.items() if e.status == "attended"
                ),
            )
            before = self._seen.get(a.id)
            if before == now:
                return
            if len(self._seen) >= MEMORY:
                self._seen.clear()
            self._seen[a.id] = now
            # A new activity has nothing in a book yet; after a restart, the first commit of
            # each activity is marked, as this process cannot tell what the book holds.
            if not created or now[2]:
                await self._repo.mark(a.circle_id, a.id)
        except Exception:
            log.exception("book mark of activity %s not written", a.id)

    async def on_payment(self, p: Payment) -> None:
        try:
            a = await self._activities.state(p.activity_id)
            if a is not None:
                await self._repo.mark(a.circle_id, a.id)
        except Exception:
            log.exception("book mark of payment %s not written", p.id)

    async def mark(self, circle_id: str, activity_id: str) -> None:
        await self._repo.mark(circle_id, activity_id)

    async def mark_whole(self, circle_id: str) -> None:
        """The circle's people table is due (its lifecycle thresholds changed)."""
        await self._repo.mark(circle_id, WHOLE)

    # keeping (the rollup sweeper, under the circle's lease) --------------------------------

    async def pending(self) -> dict[str, list[Mark]]:
        out: dict[str, list[Mark]] = {}
        for m in await self._repo.pending():
            out.setdefault(m.circle_id, []).append(m)
        return out

    async def pending_of(self, circle_id: str) -> list[Mark]:
        return await self._repo.pending_of(circle_id)

    async def keep(self, circle_id: str, marks: list[Mark]) -> dict[str, BookEntry]:
        """Bring the circle's book up to date with ``marks`` (all of it when none is stored),
        store it, drop the marks; answers the book."""
        blob = await self._repo.book(circle_id)
        if blob is None:
            book = await self._build(circle_id, await self._listed.activities_of(circle_id))
        else:
            book = unpack(blob)
            todo = sorted({m.activity_id for m in marks if m.activity_id != WHOLE})
            if not todo:  # nothing to read again (none, or only the people table is due)
                await self._repo.drop_marks([m.id for m in marks])
                return book
            book.update(await self._build(circle_id, todo))
        book = _worth_keeping(book)
        await self._repo.put_book(circle_id, pack(book))
        await self._repo.drop_marks([m.id for m in marks])
        return book

    async def rebuild(self, circle_id: str) -> dict[str, BookEntry]:
        """Every activity the circle has listed, read again (repair); its sign-up rows stored
        before rows were packed are written again packed (repository.py)."""
        marks = await self._repo.pending_of(circle_id)
        listed = await self._listed.activities_of(circle_id)
        for activity_id in listed:
            await self._listed.repack(activity_id)
        book = await self._build(circle_id, listed)
        book = _worth_keeping(book)
        await self._repo.put_book(circle_id, pack(book))
        await self._repo.drop_marks([m.id for m in marks])
        return book

    async def _build(self, circle_id: str, activity_ids: list[str]) -> dict[str, BookEntry]:
        """Entries read from the sources; an activity gone or of another circle is left empty
        (and so out of the book)."""
        out: dict[str, BookEntry] = {}
        for i in activity_ids:
            a = await self._activities.state(i)
            if a is None or a.circle_id != circle_id:
                out[i] = BookEntry(i, "", datetime.min)
                continue
            out[i] = entry_of(a, await self._payments.records_of(i))
        return out

    # reading (a page, after its gate) -------------------------------------------------------

    async def entry(self, circle_id: str, activity_id: str) -> BookEntry | None:
        """One activity's entry as of now (None: no money and no check-in yet): the stored
        one, or its sources when it is marked or the circle has no book yet."""
        blob = await self._repo.book(circle_id)
        marked = blob is None or any(
            m.activity_id == activity_id for m in await self._repo.pending_of(circle_id)
        )
        if marked:
            found = await self._build(circle_id, [activity_id])
        else:
            assert blob is not None
            found = unpack(blob, only=activity_id)
        e = found.get(activity_id)
        return e if e is not None and (e.attended or e.payments) else None

    async def read(self, circle_id: str) -> dict[str, BookEntry]:
        """The book as of now: the stored one with the marked activities read again (all of
        them, from the sources, when no book is stored yet)."""
        blob = await self._repo.book(circle_id)
        if blob is None:
            book = await self._build(circle_id, await self._listed.activities_of(circle_id))
        else:
            book = unpack(blob)
            marked = sorted(
                {m.activity_id for m in await self._repo.pending_of(circle_id)} - {WHOLE}
            )
            book.update(await self._build(circle_id, marked))
        return _worth_keeping(book)


def _worth_keeping(book: dict[str, BookEntry]) -> dict[str, BookEntry]:
    """The entries with money or check-ins: an activity with neither has no place in a book."""
    return {i: e for i, e in book.items() if e.attended or e.payments}
