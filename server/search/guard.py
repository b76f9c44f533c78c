"""Keeps the search index whole: finds out when it may lack conversations, and rebuilds it.

The indexer indexes what the message service hands it after each change, and a conversation
it was never handed anything for stays out of the index until its next change (or a search
within it): on a store whose messages predate search, and on one whose index was dropped to be
rebuilt (every copy and mark deleted), a search across conversations missed their messages for
good. The index's own mark, ``WHOLE``, tells: a new store gets it at once (nothing to index),
and such a store lacks it.

Every ``interval`` seconds (SEARCH_INDEX_CHECK_SECONDS) each process reads that mark (one
lookup). Missing, one process takes the rebuild (a unique insert of the mark as "building";
another process's, not refreshed for ``STALE``, is taken over) and catches every conversation up
from its own mark to its latest rev, reading the log a window at a time
(``SearchIndexer.catch_up``), paced like the indexer's rounds (core/pace.py: it rests three
times as long as each piece took), so that sends go first. Conversations indexed already cost
three lookups each. The mark is set "done" only if it is still this rebuild's: were the index
dropped again meanwhile, the mark went with it, and the next check starts again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from server.core.ids import new_id
from server.core.pace import Pace
from server.core.periodic import Periodic
from server.messages.service import MessageService
from server.search.indexer import SearchIndexer
from server.search.repository import SearchRepository

log = logging.getLogger(__name__)
STALE = timedelta(minutes=5)  # a building mark this old belongs to a rebuild that died
ALIVE_EVERY = timedelta(seconds=30)  # how often a rebuild refreshes its mark


class IndexGuard:
    def __init__(
        self,
        repo: SearchRepository,
        indexer: SearchIndexer,
        messages: MessageService,
        interval: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._repo = repo
        self._indexer = indexer
        self._messages = messages
        self._clock = clock
        # a failed check is logged and tried again at the next tick (core/periodic.py)
        self._periodic = Periodic("search index check", interval, self.check)
        self._run = ""  # the rebuild this process holds (or last held)
        # how a rebuild rests between pieces of its work (``Pace``); a test may watch it
        self.rest: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def declare_whole(self) -> None:
        """A new store: nothing to index, so the index is whole."""
        await self._repo.declare_whole()

    async def check(self) -> bool:
        """Rebuild the index if it may lack conversations and no other process is at it.
        True if this call rebuilt it (False: whole already, or another process holds it)."""
        mark = await self._repo.whole()
        if mark is not None and mark.get("state") == "done":
            return False
        now = self._clock()
        if mark is not None and self._run and mark.get("by") == self._run:
            held = await self._repo.rebuild_alive(self._run, now)  # this process's, failed
        else:
            self._run = new_id()
            stale = None if mark is None else now - STALE
            held = await self._repo.start_rebuild(self._run, now, stale)
        if not held:
            return False
        log.warning("the search index may lack conversations; rebuilding it")
        if not await self._rebuild(self._run) or not await self._repo.finish_rebuild(self._run):
            log.warning("the search index's rebuild lost its mark; it starts again")
            return False
        log.warning("the search index is whole again")
        return True

    async def _rebuild(self, run: str) -> bool:
        """Catch every conversation up; False as soon as the mark is found not to be ``run``'s
        (``finish_rebuild`` checks it once more at the end)."""
        pace = Pace(self.rest)
        alive = self._clock()
        for conversation_id in await self._messages.conversation_ids():
            top = await self._messages.top_rev(conversation_id)
            await self._indexer.catch_up(conversation_id, {}, pace=pace, upto=top)
            await pace.rest()
            if self._clock() - alive >= ALIVE_EVERY:
                alive = self._clock()
                if not await self._repo.rebuild_alive(run, alive):
                    return False
        return True

    def start(self) -> None:
        self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()
