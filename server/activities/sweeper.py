"""The durable sweeper: expires offers and holds, sends due reminders.

Every process runs one. The work it finds lives in the database (``next_deadline`` on activities,
the ``schedules`` collection), so nothing is lost on restart, and several processes sweeping at
once are safe: expiry goes through the activity's compare-and-set, reminders through a lease and
keyed notifications.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from server.activities.service import ActivityService

log = logging.getLogger(__name__)


class Sweeper:
    def __init__(self, activities: ActivityService, interval: float) -> None:
        self._activities = activities
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> None:
        await self._activities.expire_due()
        await self._activities.send_due_reminders()

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.warning("sweep failed; retrying", exc_info=True)
            await asyncio.sleep(self._interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
