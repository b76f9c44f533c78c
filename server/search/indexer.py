"""Keeps the term index up to date with the conversation log, off the send path.

``observe`` is the message service's observer: it only queues (it is called right after a
commit, and the sender's ack must not wait for the index). One task per process drains the
queue in rounds at most every ``delay`` seconds (SEARCH_INDEX_DELAY_SECONDS), so that a busy
conversation's messages are indexed together: per conversation and round one mark read, one
insert of one pack per ``CHUNK`` copies, each copy holding its terms (nothing is read first: a
change's copy goes in a later pack at its higher rev, search/repository.py) and one mark
update. A round paces itself (core/pace.py): between chunks and after each
conversation it rests three times as long as that piece took, at most ``delay`` seconds in all
per round, so a round's inserts are spread between sends instead of holding them up in a burst
(docs/performance.md, "The search indexer paced"). A search catches up the conversations it
looks in first (``flush``, ``catch_up_now``), unpaced, so nobody misses a message just sent for
the delay.

For each conversation the round reads its mark, indexes the changes it was handed, asks the log
(``MessageService.resolve``) for any rev between the mark and them that it was not handed
(written by another process, or lost when this one failed or died), and moves the mark up to the
last rev below which nothing is still being written. A failure leaves the mark where it was, so
the same revs are indexed again later (retried with backoff): nothing acknowledged is ever
missing from the index for longer than that, or than the next change (or search) in that
conversation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from server.accounts.models import Principal
from server.core.pace import Pace
from server.messages.models import Message
from server.messages.service import MessageService
from server.search.repository import Doc, SearchRepository
from server.search.tokens import index_terms

log = logging.getLogger(__name__)
WINDOW = 200  # revs asked of the log at a time
CHUNK = 50  # copies per insert in a background round (a rest follows each)
RETRY_SECONDS = 2.0
RETRY_MAX_SECONDS = 60.0
CATCH_UP_WAIT_SECONDS = 5.0  # the longest a search waits for its conversations' index


def doc_of(m: Message) -> Doc:
    return Doc(
        id=m.id,
        conversation_id=m.conversation_id,
        seq=m.seq,
        rev=m.rev,
        sender_id=m.sender_id,
        sender_name=m.sender_name,
        text="" if m.deleted else m.text,
        created_at=m.created_at,
        edited_at=m.edited_at,
        deleted=m.deleted,
    )


def with_terms(d: Doc) -> Doc:
    """``d`` with its terms (none for a deleted message), built from its fields directly:
    ``dataclasses.replace`` took about a third of the time of splitting a short text."""
    return Doc(**{**vars(d), "terms": () if d.deleted else tuple(index_terms(d.text))})


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def doc_of_wire(m: dict[str, Any]) -> Doc:
    """A message as ``resolve`` answers it (the wire form)."""
    created = _time(m["created_at"])
    assert created is not None
    deleted = bool(m.get("deleted", False))
    return Doc(
        id=str(m["id"]),
        conversation_id=str(m["conversation_id"]),
        seq=int(m["seq"]),
        rev=int(m["rev"]),
        sender_id=str(m["sender_id"]),
        sender_name=str(m.get("sender_name", "")),
        text="" if deleted else str(m.get("text", "")),
        created_at=created,
        edited_at=_time(m.get("edited_at")),
        deleted=deleted,
    )


class SearchIndexer:
    def __init__(
        self, repo: SearchRepository, messages: MessageService, delay: float = 2.0
    ) -> None:
        self._repo = repo
        self._messages = messages
        self._delay = delay  # seconds between rounds: the longer, the larger each batch
        self._queue: dict[str, _Work] = {}
        # the round under way: what it has yet to index, and the conversation it is indexing
        self._round: dict[str, _Work] = {}
        self._current: dict[str, asyncio.Event] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._retries: set[asyncio.Future[Any]] = set()  # background work, cancelled at stop
        self.failures = 0
        # how a round rests between pieces of its work (``Pace``); a test may watch it
        self.rest: Callable[[float], Awaitable[None]] = asyncio.sleep

    def observe(self, messages: list[Message]) -> None:
        """Queue committed or changed messages; never blocks and never raises into the log."""
        for m in messages:
            self._queue.setdefault(m.conversation_id, _Work()).known[m.rev] = doc_of(m)
        self._wake.set()
        self._ensure_running()

    async def catch_up_now(self, conversation_id: str, reader: Principal) -> None:
        """Catch a conversation up to its latest change before a search in it, reading the log
        as ``reader``, a participant. A failure is logged and left to the retry: the search
        answers from what is indexed."""
        work = self._queue.pop(conversation_id, None) or _Work()
        work.reader = reader
        await self._bounded([(conversation_id, work)])

    async def flush(self, conversation_ids: list[str]) -> None:
        """Index now what is queued for these conversations, or handed to the round under way
        and not reached by it yet, and wait for the one it is indexing (a search in all of a
        user's conversations asks, so that it does not wait for a round)."""
        items = []
        for c in conversation_ids:
            queued, in_round = self._queue.pop(c, None), self._round.pop(c, None)
            if queued is not None and in_round is not None:
                queued.known = {**in_round.known, **queued.known}
            if (work := queued or in_round) is not None:
                items.append((c, work))
        busy: list[Awaitable[Any]] = [
            self._current[c].wait() for c in conversation_ids if c in self._current
        ]
        await self._bounded(items, busy)

    async def _bounded(
        self, items: list[tuple[str, _Work]], also: list[Awaitable[Any]] | None = None
    ) -> None:
        """Index these now (and wait for ``also``), but let a search wait at most
        CATCH_UP_WAIT_SECONDS (a conversation being rebuilt from rev 1 may take longer): the
        rest goes on in the background."""
        if not items and not also:
            return
        work = asyncio.gather(*(self._attempt(c, w) for c, w in items), *(also or ()))
        self._retries.add(work)  # stopped with the indexer
        work.add_done_callback(self._retries.discard)
        await asyncio.wait({work}, timeout=CATCH_UP_WAIT_SECONDS)

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            with contextlib.suppress(RuntimeError):  # no running loop: started with the app
                self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            if self._delay > 0:
                await asyncio.sleep(self._delay)  # let the round's changes gather
            self._wake.clear()
            await self.round()

    async def round(self) -> None:
        """Index what is queued now; what comes meanwhile waits for the next round. The rests
        of a round add up to at most the delay: under a load it cannot index at that pace, it
        works more of the time rather than fall behind."""
        self._round, self._queue = self._queue, {}
        # a rest follows each insert of CHUNK copies but a conversation's last, and each
        # conversation: the round's rests are shared out over that many (core/pace.py)
        pieces = sum(max(1, math.ceil(len(w.known) / CHUNK)) for w in self._round.values())
        pace = Pace(self.rest, budget=self._delay, pieces=pieces)
        while self._round:  # a search may take a conversation out meanwhile (flush)
            conversation_id = next(iter(self._round))
            work = self._round.pop(conversation_id)
            self._current[conversation_id] = done = asyncio.Event()
            try:
                await self._attempt(conversation_id, work, pace)
            finally:
                del self._current[conversation_id]
                done.set()
            await pace.rest()  # the send path goes first

    async def _attempt(self, conversation_id: str, work: _Work, pace: Pace | None = None) -> None:
        try:
            await self.catch_up(conversation_id, work.known, work.reader, pace)
        except Exception:
            self.failures += 1
            log.warning("indexing %s failed; retrying", conversation_id, exc_info=True)
            self._retry_later(conversation_id, work)

    def _retry_later(self, conversation_id: str, work: _Work) -> None:
        """Retry the changes handed over, backing off (2, 4 … 60 s). A search's catch-up is not
        retried: its reader may have lost access, and the next search asks again."""
        if not work.known:
            return

        async def later() -> None:
            await asyncio.sleep(min(RETRY_MAX_SECONDS, RETRY_SECONDS * 2**work.attempts))
            queued = self._queue.setdefault(conversation_id, _Work())
            queued.known = {**work.known, **queued.known}
            queued.attempts = max(queued.attempts, work.attempts + 1)
            self._wake.set()
            self._ensure_running()

        task = asyncio.get_running_loop().create_task(later())
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    async def catch_up(
        self,
        conversation_id: str,
        known: dict[int, Doc],
        reader: Principal | None = None,
        pace: Pace | None = None,
        upto: int = 0,
    ) -> int:
        """Index the changes above the mark: with a ``reader``, every change up to the latest
        (``sync`` from the mark); the ``known`` ones as handed, and the revs between the mark
        and them (or ``upto``, a rev known to be claimed) from the log. Moves the mark up to
        the last rev below which nothing is still being written, and returns it. With ``pace``
        (a background round's or a rebuild's), new copies are inserted ``CHUNK`` at a time and
        each window of revs read from the log is followed by a rest."""
        start = mark = await self._repo.mark(conversation_id)
        if reader is not None:
            mark = await self._follow(conversation_id, reader, mark)
        mark = await self._fill(conversation_id, known, mark, pace, upto)
        if mark > start:
            await self._repo.set_mark(conversation_id, mark)
        return mark

    async def _follow(self, conversation_id: str, reader: Principal, mark: int) -> int:
        while True:
            messages, rev, more = await self._messages.sync(reader, conversation_id, mark, WINDOW)
            await self.index([doc_of(m) for m in messages])
            if rev <= mark or not more:
                return max(mark, rev)
            mark = rev

    async def _fill(
        self,
        conversation_id: str,
        known: dict[int, Doc],
        mark: int,
        pace: Pace | None = None,
        upto: int = 0,
    ) -> int:
        """Every rev up to the highest known one (or ``upto``) is claimed (claims are
        contiguous), so a rev the log cannot explain was voided: skipped, not waited for."""
        target = max(max(known, default=0), upto)
        while target > mark:
            top = min(target, mark + WINDOW)
            settled: dict[int, Doc | None] = {r: d for r, d in known.items() if mark < r <= top}
            missing = [r for r in range(mark + 1, top + 1) if r not in known]
            pending = top + 1
            if missing:
                for rev, event, payload in await self._messages.resolve(conversation_id, missing):
                    if event == "pending":
                        pending = rev
                        break
                    settled[rev] = doc_of_wire(payload["message"]) if payload else None
                if pace is not None:
                    await pace.rest()  # a window read from the log is a piece of work too
            latest = {d.id: d for _, d in sorted(settled.items()) if d is not None}
            await self.index(list(latest.values()), pace)
            new_mark = mark
            while new_mark + 1 < pending and new_mark + 1 in settled:
                new_mark += 1
            if new_mark < top:  # a change still being written: index what is known, stop
                above = {d.id: d for r, d in sorted(known.items()) if r > top}
                await self.index(list(above.values()), pace)
                return new_mark
            mark = new_mark
        return mark

    async def index(self, docs: list[Doc], pace: Pace | None = None) -> None:
        """Add copies of these messages (one change each), with their terms, to the index
        (search/repository.py): one insert of one pack per conversation, with ``pace`` one per
        ``CHUNK`` copies and a rest between them. Nothing is read first: a copy of a change
        indexed before (a retry, another process) is stored again at the same rev, and one of
        an older change than is indexed already gives way to it when read (the highest rev)."""
        step = CHUNK if pace is not None else max(1, len(docs))
        for at in range(0, len(docs), step):
            if at and pace is not None:
                await pace.rest()
            # the terms of a piece are made with it: splitting a round's 200 texts at once held
            # the event loop for about 10 ms in the chat benchmark, every send waiting behind it
            await self._repo.add_docs([with_terms(d) for d in docs[at : at + step]])

    async def stop(self) -> None:
        for task in list(self._retries):
            task.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


@dataclass
class _Work:
    """What is queued for one conversation: changes handed over, and a reader to catch up as."""

    known: dict[int, Doc] = field(default_factory=dict)
    reader: Principal | None = None
    attempts: int = 0  # failed attempts so far (the retry backs off)
