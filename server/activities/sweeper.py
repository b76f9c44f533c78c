"""The durable sweeper: expires offers and holds, sends due reminders.

Every process runs one. The work it finds lives in the database (``next_deadline`` on activities,
the ``schedules`` collection), so nothing is lost on restart, and several processes sweeping at
once are safe: expiry goes through the activity's compare-and-set, reminders through a lease and
keyed notifications.
"""

from __future__ import annotations

from server.activities.service import ActivityService
from server.core.periodic import Periodic


class Sweeper:
    def __init__(self, activities: ActivityService, interval: float) -> None:
        self._activities = activities
        self._periodic = Periodic("sweep", interval, self.run_once)

    async def run_once(self) -> None:
        await self._activities.expire_due()
        await self._activities.send_due_reminders()

    def start(self) -> None:
        self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()
