"""Applies rule functions to an activity with compare-and-set, batching concurrent callers.

Callers in one process that change the same activity at the same time are applied together on one
snapshot and stored with one conditional replace (group commit); a process that loses the race to
another reloads and re-applies. Rule functions raise before they mutate anything, so a refused
call leaves the snapshot as it was for the others in its batch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from server.activities.models import Activity, Effect
from server.activities.repository import ActivityRepository, changed_users, to_doc
from server.core import clock
from server.core.errors import NotFound, Unavailable

Rule = Callable[[Activity], list[Effect]]
# The committed state, its effects, and the stored form of the state it replaced.
Committed = Callable[[Activity, list[Effect], dict[str, Any]], Awaitable[None]]
MAX_ATTEMPTS = 50
log = logging.getLogger(__name__)


@dataclass
class Applied:
    activity: Activity
    effects: list[Effect]
    changed: bool


class ActivityEngine:
    def __init__(self, repo: ActivityRepository, on_committed: Committed) -> None:
        self._repo = repo
        self._on_committed = on_committed
        self._queues: dict[str, list[tuple[Rule, asyncio.Future[Applied]]]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def apply(self, activity_id: str, rule: Rule) -> Applied:
        """Run ``rule`` on the current state and store the result; returns the state after it.
        Raises the rule's DomainError (nothing stored for that call)."""
        future: asyncio.Future[Applied] = asyncio.get_running_loop().create_future()
        self._queues.setdefault(activity_id, []).append((rule, future))
        task = self._tasks.get(activity_id)
        if task is None or task.done():
            self._tasks[activity_id] = asyncio.create_task(self._drain(activity_id))
        return await asyncio.shield(future)

    async def drain(self) -> None:
        tasks = [t for t in self._tasks.values() if not t.done()]
        if tasks:
            await asyncio.wait(tasks)

    async def _drain(self, activity_id: str) -> None:
        try:
            while self._queues.get(activity_id):
                batch = self._queues.pop(activity_id)
                try:
                    await self._commit(activity_id, batch)
                except Exception as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
        finally:
            self._tasks.pop(activity_id, None)

    async def _commit(
        self, activity_id: str, batch: list[tuple[Rule, asyncio.Future[Applied]]]
    ) -> None:
        for _ in range(MAX_ATTEMPTS):
            activity = await self._repo.get(activity_id)
            if activity is None:
                raise NotFound("no such activity")
            before = to_doc(activity)
            base_version = activity.version
            outcomes: list[list[Effect] | Exception] = []
            for rule, _ in batch:
                try:
                    outcomes.append(rule(activity))
                except Exception as exc:  # a refusal for this caller only
                    outcomes.append(exc)
            changed = to_doc(activity) != before
            if changed:
                activity.version = base_version + 1
                activity.updated_at = clock.now()
                if not await self._repo.commit(activity):
                    continue  # another process won; re-apply on its result
                try:
                    await self._repo.project(activity, changed_users(before, activity))
                except Exception:  # committed regardless; the next commit re-projects
                    log.warning("projection of activity %s failed", activity_id, exc_info=True)
            activity.freeze()
            all_effects: list[Effect] = []
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    all_effects.extend(outcome)
                    future.set_result(Applied(activity, outcome, changed))
            if changed:
                await self._on_committed(activity, all_effects, before)
            return
        raise Unavailable("the activity is too busy; try again")
