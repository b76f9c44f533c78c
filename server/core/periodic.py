"""A background task that runs one step every ``interval`` seconds until stopped. A failed step
is logged and tried again at the next tick: the work it looks for lives in the database, so a
step that died half-way is found again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from server.core import metrics

log = logging.getLogger(__name__)


class Periodic:
    def __init__(self, name: str, interval: float, step: Callable[[], Awaitable[object]]) -> None:
        self._name = name
        self._interval = interval
        self._step = step
        self._task: asyncio.Task[None] | None = None

    async def _loop(self) -> None:
        metrics.sweep_started(self._name)
        while True:
            try:
                await self._step()
                metrics.sweep_done(self._name)  # its lag: circles_sweeper_lag_seconds
            except Exception:
                log.warning("%s failed; retrying", self._name, exc_info=True)
            await asyncio.sleep(self._interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
