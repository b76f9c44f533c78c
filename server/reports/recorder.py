"""The activity watcher that records sign-up rows after every commit (repository.SignupRow).

Only entries whose state this process has not recorded yet are written: a bounded memory of the
last recorded state per (activity, user) spares the usual commit (one or two entries changed)
all other writes, and costs a tuple compare per entry. Each commit is recorded by the process
that made it. After a restart, or on another process, the first commit of an activity writes
its entries again; their ``_id``s are taken, so nothing changes.
"""

from __future__ import annotations

import logging
from datetime import datetime

from server.activities.models import Activity, Entry
from server.reports.repository import ReportRepository, SignupRow

log = logging.getLogger(__name__)
MEMORY = 20_000  # activities remembered before the memory starts over
# What a row's key is made of: status, updated_at, reconfirm_pending, the activity cancelled.
State = tuple[str, datetime, bool, bool]


def row_of(a: Activity, e: Entry) -> SignupRow:
    return SignupRow(
        activity_id=a.id,
        user_id=e.user_id,
        status=e.status,
        at=e.updated_at,
        activity_cancelled=a.cancelled,
        offer_expires_at=e.offer_expires_at,
        hold_expires_at=e.hold_expires_at,
        reconfirm_pending=e.reconfirm_pending,
        reconfirmed_at=e.reconfirmed_at,
    )


class SignupRecorder:
    def __init__(self, repo: ReportRepository) -> None:
        self._repo = repo
        self._seen: dict[str, dict[str, State]] = {}  # activity -> user -> last recorded

    async def on_commit(self, a: Activity, created: bool) -> None:
        """An ``ActivityService`` watcher: must not raise (the commit has happened)."""
        try:
            seen = self._seen.get(a.id)
            if seen is None:
                if len(self._seen) >= MEMORY:
                    self._seen.clear()
                await self._repo.add_activities(a.circle_id, [a.id])
                seen = self._seen[a.id] = {}
            states = {
                uid: (e.status, e.updated_at, e.reconfirm_pending, a.cancelled)
                for uid, e in a.entries.items()
            }
            changed = [uid for uid, state in states.items() if seen.get(uid) != state]
            if changed:
                await self._repo.add_rows(a.circle_id, [row_of(a, a.entries[u]) for u in changed])
                seen.update((uid, states[uid]) for uid in changed)
        except Exception:
            log.exception("sign-up rows of activity %s not recorded", a.id)
