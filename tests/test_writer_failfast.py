"""The message writer's answer while the database is down, with the database's timeouts played
by a stand-in repository, so the order of events is exact.

tests/test_faults.py checks the same through a real server and a paused FerretDB; there the
order depends on the machine's load, and a fresh-clone run under load showed the case pinned
here: a batch queued before a failed write waited behind the background settler's next attempt
(one more timeout) only to be refused without asking the database.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from server.core.errors import Unavailable
from server.messages.models import Message, NewMessage
from server.messages.repository import Claims
from server.messages.writer import MessageWriter

TIMEOUT = 0.4  # what a database call takes to fail while the database is down


class DownRepo:
    """Every call fails after TIMEOUT; a claim's insert is left in doubt, as an unanswered
    insert is."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float]] = []

    async def _fail(self, name: str) -> None:
        self.calls.append((name, time.monotonic()))
        await asyncio.sleep(TIMEOUT)
        raise Unavailable("database timeout")

    async def claim_many(self, by_conv: dict[str, list[str]], new: bool, claims: Claims) -> None:
        for conv_id, mids in by_conv.items():
            claims.in_doubt.extend(
                {"_id": f"{conv_id}:{i}", "conversation_id": conv_id, "rev": i, "mid": mid}
                for i, mid in enumerate(mids, 1)
            )
        await self._fail("claim_many")

    async def reassert(self, in_doubt: list[dict[str, Any]]) -> list[Any]:
        await self._fail("reassert")
        return []

    async def insert_batch(self, rows: list[Any], deleted: bool = False) -> set[int]:
        await self._fail("insert_batch")
        return set()

    async def get_messages(self, ids: list[str]) -> dict[str, Message]:
        return {}


def new_message(k: int) -> NewMessage:
    return NewMessage(
        id=f"m{k}",
        conversation_id="c1",
        sender_id="u1",
        sender_name="U",
        kind="text",
        text=f"hello {k}",
        client_id=f"cid{k}",
        created_at=datetime.now(UTC),
    )


async def timed(writer: MessageWriter, m: NewMessage) -> float:
    t0 = time.monotonic()
    with pytest.raises(Unavailable):
        await writer.submit(m)
    return time.monotonic() - t0


async def test_a_batch_refused_by_the_failure_ahead_of_it_does_not_wait_for_the_settler():
    repo = DownRepo()

    async def committed(_: list[Message]) -> None:
        return None

    writer = MessageWriter(repo, committed)  # type: ignore[arg-type]
    # A failed write: its claim is in doubt, so the background settler starts trying (an attempt
    # of one timeout, then a 0.5 s pause, then the next).
    assert await timed(writer, new_message(0)) >= TIMEOUT * 0.9
    await asyncio.sleep(TIMEOUT + 0.2)  # the settler's first attempt failed; it is pausing
    # A alone in a batch: nothing failed since it was queued, so it tries the database itself,
    # holding the settle lock; the settler wakes meanwhile and waits for that lock.
    a = asyncio.ensure_future(timed(writer, new_message(1)))
    for _ in range(5):
        await asyncio.sleep(0)
    assert [name for name, _ in repo.calls][-1] == "reassert", repo.calls
    # B, queued with A, is the next batch: A's failure answers it.
    b = asyncio.ensure_future(timed(writer, new_message(2)))
    took_a, took_b = await asyncio.gather(a, b)
    assert took_a < TIMEOUT * 1.5, (took_a, repo.calls)
    assert took_b < TIMEOUT * 1.5, (
        f"B waited {took_b:.2f}s: behind the settler's next attempt; calls {repo.calls}"
    )
    await writer.drain()
