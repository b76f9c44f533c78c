"""The durable sweeper: expires offers and holds, closes sign-ups, sends due reminders.

Every process runs one. The work it finds lives in the database (``next_deadline`` on activities,
the ``schedules`` collection), so nothing is lost on restart, and several processes sweeping at
once are safe: expiry goes through the activity's compare-and-set, reminders through a lease and
keyed notifications.

Each deadline and reminder carries the hour it falls in (``due_hour``), and a sweep reads by
equality the hours from where the last complete sweep stood up to the current one: the current
hour's few activities and reminders, whatever the number of activities ahead. Where the sweeps
stood is kept in the database (``sweep_cursor``), so a process started after a pause reads
every hour it missed; a store that has never been swept (or was written by a version without
``due_hour``) is first given its hours, once. A store written before sign-ups had rows of their
own (``participations``) gets them at start-up, once, beside the sweeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from server.activities.repository import due_hour
from server.activities.service import ActivityService
from server.core import clock
from server.core.periodic import Periodic

log = logging.getLogger(__name__)


class Sweeper:
    def __init__(self, activities: ActivityService, interval: float) -> None:
        self._activities = activities
        self._periodic = Periodic("sweep", interval, self.run_once)
        self._from: int | None = None  # the first hour the next sweep reads
        self._saved: int | None = None  # the cursor this process last stored
        self._backfill: asyncio.Task[None] | None = None

    async def _start_hour(self, now_hour: int) -> int:
        if self._from is None:
            stored = await self._activities.sweep_cursor()
            if stored is None:
                t0 = time.monotonic()
                n, earliest = await self._activities.backfill_due_hours()
                log.info(
                    "sweeper: first sweep of this store; %d deadlines given their hour in %.1fs",
                    n,
                    time.monotonic() - t0,
                )
                stored = now_hour if earliest is None else min(earliest, now_hour)
            self._from = stored
        # a clock moved back (tests) reads from its current hour
        return min(self._from, now_hour)

    async def run_once(self) -> None:
        now_hour = due_hour(clock.now())
        assert now_hour is not None
        start = await self._start_hour(now_hour)
        t0 = time.monotonic()
        expired = sent = 0
        for hour in range(start, now_hour + 1):
            applied, finished = await self._activities.expire_due(hour)
            expired += applied
            sent += await self._activities.send_due_reminders(hour)
            if not finished:  # more due than a sweep applies: the next sweep starts here
                self._from = hour
                return
        if now_hour - start > 2:  # a process started after a pause, or a clock moved on
            log.info(
                "sweeper: caught up %d hours (%d deadlines, %d reminders) in %.1fs",
                now_hour - start + 1,
                expired,
                sent,
                time.monotonic() - t0,
            )
        # every hour before this one is done; this one is read again (its deadlines are
        # still coming)
        self._from = now_hour
        if self._saved != now_hour:
            await self._activities.set_sweep_cursor(now_hour)
            self._saved = now_hour

    def start(self) -> None:
        self._periodic.start()
        self._backfill = asyncio.get_running_loop().create_task(self._backfill_rows())

    async def stop(self) -> None:
        await self._periodic.stop()
        if self._backfill is not None:
            self._backfill.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._backfill

    async def _backfill_rows(self) -> None:
        t0 = time.monotonic()
        try:
            n = await self._activities.backfill_participations()
        except Exception:  # the next start tries again; readers use the activities meanwhile
            log.exception("sweeper: writing the sign-ups' rows failed")
            return
        if n is not None:
            log.info(
                "sweeper: rows of the sign-ups of %d activities written in %.1fs",
                n,
                time.monotonic() - t0,
            )
