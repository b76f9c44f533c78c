"""Reminders before an activity starts: planned as schedule documents keyed by the start they
belong to (a moved start plans new ones; the old keys are left unsent), sent once by the
sweeper."""

from __future__ import annotations

from datetime import timedelta

from server.activities import notices
from server.activities.models import Activity
from server.activities.repository import ActivityRepository
from server.core import clock
from server.notifications.service import NotificationService

REMINDERS = {"24h": timedelta(hours=24), "1h": timedelta(hours=1)}


async def plan(repo: ActivityRepository, a: Activity) -> None:
    now = clock.now()
    for kind, before in REMINDERS.items():
        due = a.starts_at - before
        if due > now and not a.cancelled:
            await repo.add_schedule(f"{a.id}:{kind}:{a.starts_at.isoformat()}", a.id, kind, due)


async def send_due(
    repo: ActivityRepository, notes: NotificationService, hour: int, lease_seconds: float = 60
) -> int:
    """Send every due reminder once: lease it, notify each confirmed attendee under a key (so a
    retry after a crash stores nothing twice), then mark it done."""
    sent = 0
    while True:
        now = clock.now()
        lease = now + timedelta(seconds=lease_seconds)
        schedule = await repo.claim_due_schedule(hour, now, lease)
        if schedule is None:
            return sent
        a = await repo.get(schedule["activity_id"])
        if a is not None and not a.cancelled:
            for e in a.entries.values():
                if e.status == "confirmed":
                    note = notices.reminder(a, schedule["kind"])
                    if await notes.notify(
                        e.user_id,
                        "reminder",
                        note.title,
                        note.body,
                        {"activity_id": a.id, "when": schedule["kind"], **note.data},
                        key=f"reminder:{schedule['_id']}:{e.user_id}",
                    ):
                        sent += 1
        await repo.finish_schedule(schedule["_id"])
