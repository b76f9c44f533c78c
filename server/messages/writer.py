"""Group commit for new messages.

Concurrent sends are queued and written by one task per process in batches: one ordered insert
that claims the revs (and seqs) of every conversation in the batch, and one unordered
``insert_many`` of the messages. Under load this turns N round trips per message into two per
batch, and because one task writes, the messages of a conversation leave this process in ``seq``
order.

A retried send is recognised by the client ids this process stored recently (one lookup of the
stored copy), and otherwise by the unique client key refusing the insert (a send retried through
another process). Checking every new message's client key first would put a lookup per message
on the send path (about 1 ms of FerretDB CPU each, docs/performance.md "What a read costs"); and
claims are made on top of the highest claim the process knows (``MessageRepository``), where a
read of the top first would add a round trip per batch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from server.core.errors import Unavailable
from server.core.ids import new_id
from server.core.metrics import WRITER_BATCH, WRITER_SECONDS
from server.messages.models import Message, NewMessage
from server.messages.repository import Claims, MessageRepository, placeholder

log = logging.getLogger(__name__)

Committed = Callable[[list[Message]], Awaitable[None]]
Result = tuple[Message, bool]
MAX_BATCH = 256
MAX_ATTEMPTS = 8
RECENT_KEYS = 50_000  # client keys remembered for retries answered without a refused insert


def _stored(m: NewMessage, seq: int, rev: int) -> Message:
    return Message(
        id=m.id,
        conversation_id=m.conversation_id,
        seq=seq,
        rev=rev,
        sender_id=m.sender_id,
        sender_name=m.sender_name,
        kind=m.kind,
        text=m.text,
        created_at=m.created_at,
        card=m.card,
        client_id=m.client_id if m.kind == "text" else None,
        reply=m.reply,
        mentions=m.mentions,
        mention_everyone=m.mention_everyone,
        attachments=m.attachments,
    )


class MessageWriter:
    def __init__(self, repo: MessageRepository, on_committed: Committed) -> None:
        self._repo = repo
        self._on_committed = on_committed
        # (message, its waiter, when it was queued)
        self._queue: deque[tuple[NewMessage, asyncio.Future[Result], float]] = deque()
        self._unsettled: list[_Unsettled] = []
        self._settling = asyncio.Lock()
        self._settler: asyncio.Task[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._recent: OrderedDict[str, str] = OrderedDict()  # client key -> message id
        self._failed_at = float("-inf")  # monotonic time of the last failed database write

    async def submit(self, message: NewMessage) -> Result:
        """Store ``message`` (or find the one stored under its client id). Returns the stored
        message and whether this call created it. Raises what the database raised."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queue.append((message, future, time.monotonic()))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        return await asyncio.shield(future)

    async def drain(self) -> None:
        """Wait until everything queued so far is written (used at shutdown)."""
        while self._task is not None and not self._task.done():
            await asyncio.wait([self._task])

    async def _drain(self) -> None:
        while self._queue:
            queued = [self._queue.popleft() for _ in range(min(MAX_BATCH, len(self._queue)))]
            batch = [(message, future) for message, future, _ in queued]
            WRITER_BATCH.observe(len(batch))
            started = time.monotonic()
            try:
                if self._unsettled:
                    # A failed write's seqs first: seq stays dense below.
                    await self._settle(failed_after=max(at for _, _, at in queued))
                await self._write(batch)
            except Exception as exc:  # fail every waiter of this batch, keep the writer alive
                if not isinstance(exc, _FailedFast):
                    self._failed_at = time.monotonic()
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            WRITER_SECONDS.observe(time.monotonic() - started)

    async def _write(self, batch: list[tuple[NewMessage, asyncio.Future[Result]]]) -> None:
        waiters: dict[str, list[asyncio.Future[Result]]] = {}
        unique: list[NewMessage] = []
        for message, future in batch:
            if message.client_key not in waiters:
                waiters[message.client_key] = []
                unique.append(message)
            waiters[message.client_key].append(future)

        def resolve(key: str, stored: Message, created: bool) -> None:
            for i, future in enumerate(waiters.pop(key, [])):
                if not future.done():
                    future.set_result((stored, created and i == 0))

        recent = {
            m.client_key: self._recent[m.client_key] for m in unique if m.client_key in self._recent
        }
        if recent:
            found = await self._repo.get_messages(list(set(recent.values())))
            for key, mid in recent.items():
                if mid in found:
                    resolve(key, found[mid], False)
        pending = [m for m in unique if m.client_key in waiters]
        for _ in range(MAX_ATTEMPTS):
            if not pending:
                return
            committed, pending = await self._attempt(pending, resolve)
            for key, stored in committed:
                self._remember(key, stored.id)
                resolve(key, stored, True)
        for m in pending:
            for future in waiters.pop(m.client_key, []):
                if not future.done():
                    future.set_exception(Unavailable("the conversation is too busy; try again"))

    async def _attempt(
        self, pending: list[NewMessage], resolve: Callable[[str, Message, bool], None]
    ) -> tuple[list[tuple[str, Message]], list[NewMessage]]:
        by_conv: dict[str, list[NewMessage]] = {}
        for m in pending:
            by_conv.setdefault(m.conversation_id, []).append(m)
        claims = Claims()

        def claimed_rows() -> list[tuple[NewMessage, int, int]]:
            return [
                (m, seq, rev)
                for conv_id, group in by_conv.items()
                for m, (rev, seq) in zip(group, claims.made.get(conv_id, []), strict=False)
            ]

        try:
            await self._repo.claim_many(
                {conv_id: [m.id for m in group] for conv_id, group in by_conv.items()}, True, claims
            )
        except Exception:
            # What was claimed before the failure, and what may have been: plugged once the
            # database answers again, so no claimed seq stays empty.
            self._plug_later(claimed_rows(), claims.in_doubt, {m.id: m for m in pending})
            raise
        rows = claimed_rows()
        try:
            refused = await self._repo.insert_batch(rows)
        except Exception:
            self._plug_later(rows)
            raise
        retry: list[NewMessage] = []
        if refused:
            taken = await self._repo.by_client_keys([rows[i][0].client_key for i in refused])
            for i in sorted(refused):
                m = rows[i][0]
                if m.client_key in taken:
                    # Sent concurrently through another process: answer with that copy.
                    resolve(m.client_key, taken[m.client_key], False)
                else:
                    # Its id or seq is taken: by a reader that declared the claim abandoned
                    # and plugged it (order.py), or by data from before seq claims. Tried again
                    # under a new id, so the retry is not refused by the plug.
                    retry.append(replace(m, id=new_id()))
            # Each refused row's claimed seq and rev become a deleted placeholder under the
            # claimed message id, so seq stays dense and the claim reads as written.
            await self._plug([rows[i] for i in refused])
        committed = [
            (m.client_key, _stored(m, seq, rev))
            for i, (m, seq, rev) in enumerate(rows)
            if i not in refused
        ]
        if committed:
            try:
                await self._on_committed([stored for _, stored in committed])
            except Exception:
                log.exception("emitting committed messages failed; clients will catch up by sync")
        return committed, retry

    def _remember(self, client_key: str, message_id: str) -> None:
        self._recent[client_key] = message_id
        if len(self._recent) > RECENT_KEYS:
            self._recent.popitem(last=False)

    async def _plug(self, rows: list[tuple[NewMessage, int, int]]) -> None:
        """Store a deleted placeholder at each row's claimed seq and rev, under the row's message
        id (so the original insert, should it still land, is refused: one copy either way). A
        row whose message or seq is already stored needs nothing."""
        fillers = [
            (placeholder(m.conversation_id, m.id, m.created_at), seq, rev) for m, seq, rev in rows
        ]
        if fillers:
            await self._repo.insert_batch(fillers, deleted=True)

    def _plug_later(
        self,
        rows: list[tuple[NewMessage, int, int]],
        in_doubt: list[dict[str, Any]] | None = None,
        by_id: dict[str, NewMessage] | None = None,
    ) -> None:
        """After a failed write: plug the claimed seqs once the database answers again. Claims
        ``in_doubt`` (sent, unanswered) are first made certain: those that turn out ours are
        plugged too. A background task retries, and every batch first settles what is still
        open, so no message is stored above a seq left empty by a failure before it."""
        if not rows and not in_doubt:
            return
        self._unsettled.append(_Unsettled(list(rows), list(in_doubt or []), by_id or {}))
        if self._settler is None or self._settler.done():
            self._settler = asyncio.get_running_loop().create_task(self._settle_until_done())

    async def _settle_until_done(self) -> None:
        for attempt in range(60):
            try:
                await self._settle()
                return
            except Exception:
                self._failed_at = time.monotonic()
                await asyncio.sleep(min(0.5 * (attempt + 1), 5.0))
        log.error(
            "could not plug %d failed writes; their revs read as abandoned", len(self._unsettled)
        )

    async def _settle(self, failed_after: float | None = None) -> None:
        """Plug every failed write still open (raises while the database is still down).

        A batch passes ``failed_after``, when its newest message was queued: if a write failed
        since (the one ahead of it, or the background settler's attempt this call waited for),
        that failure is its answer, without asking the database again. So sends queued while the
        database is down are refused within about one timeout, not one timeout per batch ahead;
        a send made after the last failure is always tried. The check is made before waiting
        for the settler too: a batch whose answer is already known must not wait behind the
        settler's next attempt (another timeout) to learn it."""
        self._fail_fast(failed_after)
        async with self._settling:
            self._fail_fast(failed_after)
            while self._unsettled:
                open_ = self._unsettled[0]
                if open_.in_doubt:
                    ours = await self._repo.reassert(open_.in_doubt)
                    open_.rows.extend(
                        (open_.by_id[c.mid], c.seq_top, c.rev) for c in ours if c.mid in open_.by_id
                    )
                    open_.in_doubt.clear()
                await self._plug(open_.rows)
                self._unsettled.pop(0)

    def _fail_fast(self, failed_after: float | None) -> None:
        if failed_after is not None and self._unsettled and self._failed_at > failed_after:
            raise _FailedFast("the database is unavailable; nothing was changed")


class _FailedFast(Unavailable):
    """Refused without a database round trip: a write failed moments ago."""


@dataclass
class _Unsettled:
    """A failed write: the rows it claimed, and the claims it cannot tell were stored."""

    rows: list[tuple[NewMessage, int, int]]
    in_doubt: list[dict[str, Any]]
    by_id: dict[str, NewMessage]
