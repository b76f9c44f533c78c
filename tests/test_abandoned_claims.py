"""A change written after readers took its claim for abandoned still reaches a client that
syncs from the highest rev it has seen (messages/order.py).

Found by ``test_deploy_rolling`` in CI (stop 21): after the two restarts one chat client had 247
of 250 messages, and syncing from its cursor brought nothing more. A reader passes over a claim
whose change has not appeared for ``ABANDON_SECONDS`` (its writer is taken for dead), but a write
the database already holds lands when it gets to it: below the rev the client had moved to.

These tests play the slow write against a real FerretDB: the repository call that writes is
held past the abandon time while another writer commits above it and a reader syncs (a process
that went away, or a database busy for longer than the abandon time, look the same to the
reader). ``ABANDON_SECONDS`` is shortened so the tests take a second, not ten.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from server.core import clock
from server.core.ids import new_id
from server.core.mongo import ensure_indexes, make_client
from server.messages import order
from server.messages.models import Message, NewMessage
from server.messages.repository import INDEXES, MessageRepository
from server.messages.repository_extras import ChatRepository
from server.messages.service import MessageService
from server.messages.syncing import sync_page
from server.messages.writer import MessageWriter

ABANDON = 0.4


@pytest.fixture
async def db(stack: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    monkeypatch.setattr(order, "ABANDON_SECONDS", ABANDON)
    client = make_client(stack.mongo_url, 10_000, [], pool_size=8)
    database = client[f"t_{uuid.uuid4().hex[:12]}"]
    await ensure_indexes(database, INDEXES)
    yield database
    await client.close()


async def _nothing(_: list[Message]) -> None:
    return None


def _new(conv: str, text: str) -> NewMessage:
    return NewMessage(
        id=new_id(),
        conversation_id=conv,
        sender_id="u1",
        sender_name="One",
        kind="text",
        text=text,
        client_id=f"c-{text}",
        created_at=clock.now(),
    )


async def _sync_all(repo: MessageRepository, conv: str, since: int) -> tuple[list[Message], int]:
    got: list[Message] = []
    while True:
        page, since, more = await sync_page(repo, conv, since, 50)
        got += page
        if not more:
            return got, since


async def test_a_new_message_written_after_its_claim_was_abandoned_is_not_lost(db: Any) -> None:
    conv = new_id()
    slow_repo, other_repo, reader = (MessageRepository(db) for _ in range(3))
    slow, other = MessageWriter(slow_repo, _nothing), MessageWriter(other_repo, _nothing)
    (first, _) = await slow.submit(_new(conv, "first"))
    client_cursor: list[int] = []

    real_insert = slow_repo.insert_batch

    async def late_insert(items: Any, deleted: bool = False) -> set[int]:
        if not deleted and not client_cursor:
            # the insert is on its way: meanwhile another process commits above it, and a
            # client syncs once the claim counts as abandoned
            await other.submit(_new(conv, "above"))
            await asyncio.sleep(ABANDON + 0.2)
            _, cursor = await _sync_all(reader, conv, first.rev)
            client_cursor.append(cursor)
        return await real_insert(items, deleted)

    slow_repo.insert_batch = late_insert  # type: ignore[method-assign]
    (late, created) = await slow.submit(_new(conv, "late"))
    assert created and late.text == "late"

    # the client saw rev 3 ("above"): syncing from there brings the late message
    assert client_cursor == [3]
    after, _ = await _sync_all(reader, conv, client_cursor[0])
    assert [m.text for m in after] == ["late"], after
    # stored once, under the rev and id it was acknowledged with; its first claim holds a
    # deleted placeholder, and seqs stay dense
    assert (await reader.by_client_keys([_new(conv, "late").client_key]))[
        _new(conv, "late").client_key
    ].id == late.id
    history, _ = await reader.history(conv, None, 50)
    assert [(m.seq, m.text, m.deleted) for m in history] == [
        (1, "first", False),
        (2, "", True),
        (3, "above", False),
        (4, "late", False),
    ]
    assert late.rev == 4 and late.seq == 4
    # a reader from the start sees every rev in order, the placeholder included
    everything, _ = await _sync_all(reader, conv, 0)
    assert [m.rev for m in everything] == [1, 2, 3, 4]


class _Bus:
    """Stands in for the socket broadcaster (the database is real)."""

    def on_leave(self, _: Any) -> None:
        return None

    async def message_updated(self, *_: Any) -> None:
        return None

    async def messages_new(self, *_: Any) -> None:
        return None


async def test_a_change_written_after_its_claim_was_abandoned_is_stamped_again(db: Any) -> None:
    conv = new_id()
    repo, other_repo, reader = (MessageRepository(db) for _ in range(3))
    service = MessageService(repo, _Bus(), ChatRepository(db))  # type: ignore[arg-type]
    other = MessageWriter(other_repo, _nothing)
    (message, _) = await other.submit(_new(conv, "before"))
    client_cursor: list[int] = []

    real_update = repo.update_message

    async def late_update(message_id: str, rev: int, changes: Any, only_if: Any = None) -> Any:
        if not client_cursor:
            await other.submit(_new(conv, "above"))
            await asyncio.sleep(ABANDON + 0.2)
            _, cursor = await _sync_all(reader, conv, message.rev)
            client_cursor.append(cursor)
        return await real_update(message_id, rev, changes, only_if)

    repo.update_message = late_update  # type: ignore[method-assign]
    edited = await service._change(message, {"text": "after"})
    assert edited.text == "after"

    assert client_cursor == [3]  # rev 2 (the edit's claim) was passed as abandoned
    after, _ = await _sync_all(reader, conv, client_cursor[0])
    assert [(m.id, m.text) for m in after] == [(message.id, "after")], after
    assert after[0].rev == edited.rev > 3
