"""A report sweep stores its message facts in packs: one document per sync page and day, not
one per message (reports/rollups_repository.py, ``put_messages``).

Each message fact was a row of its own in ``rollup_facts`` with five index entries: in the chat
benchmark's 30-s step a circle's first sweep stored about 12,000 of them, as many rows as the
messages themselves (docs/performance.md, "Message facts in packs"). A message changed after
its fact was packed (deleted, edited into a question) is packed again at a higher rev; readers
take each fact's highest, and a fact stored alone before packs (rev 0) gives way to a pack.

Driven on the real container of an in-process server (its database the suite's FerretDB).
"""

from __future__ import annotations

import math
from typing import Any

from server.core import clock
from server.reports import rollups
from server.reports.rollups_compute import day_of
from tests.support.chat import circle_with, say
from tests.support.rollups import pair_in_new_circle
from tests.support.rollups import today as _day
from tests.support.security_infra import InProcess, People


async def _sweep(keeper: Any) -> None:
    await keeper._tops.drain()  # the chat's top is published (Redis)
    await keeper.sweep()


async def _documents(keeper: Any, circle_id: str) -> list[dict[str, Any]]:
    return [d async for d in keeper._repo._facts.find({"circle_id": circle_id})]


async def test_a_sweep_of_a_busy_chat_stores_its_message_facts_in_a_few_documents(
    in_process: InProcess, rollup_keeper: Any, in_process_people: People
) -> None:
    keeper = rollup_keeper
    pair = await pair_in_new_circle(keeper, in_process_people, "packed")
    so, sm, cid, conv = pair.so, pair.sm, pair.circle_id, pair.conversation_id
    sent = 3 * rollups.SYNC_LIMIT + 11
    for i in range(sent):
        await say(so if i % 3 else sm, conv, f"busy {i}?" if i % 5 == 0 else f"busy {i}")
    await _sweep(keeper)

    docs = await _documents(keeper, cid)
    messages = [d for d in docs if d["kind"] in ("msg", "pack")]
    # one per message before; now one per sync page (and day: the test may cross midnight)
    assert len(messages) <= 2 * math.ceil(sent / rollups.SYNC_LIMIT), len(messages)
    assert sum(len(d.get("ids", [None])) for d in messages) == sent
    swept = await _day(keeper, cid)
    assert swept[:2] == (sent, 0)
    assert swept[2] > 0  # the questions are prompts

    assert await keeper.rebuild(cid)
    assert await _day(keeper, cid) == swept


async def test_a_message_changed_after_it_was_packed_counts_as_it_is_now(
    in_process: InProcess, rollup_keeper: Any, in_process_people: People
) -> None:
    """Deleted after its fact was packed: the later pack wins, whether the day is taken from
    the sweep's memory or read from the database, and a user's facts say the same."""
    keeper = rollup_keeper
    pair = await pair_in_new_circle(keeper, in_process_people, "changed")
    so, sm, cid, conv = pair.so, pair.sm, pair.circle_id, pair.conversation_id
    member = pair.member
    sent = [await say(sm, conv, f"said {i}") for i in range(12)]
    await _sweep(keeper)
    assert (await _day(keeper, cid))[:2] == (12, 0)

    await sm.ok("message:delete", {"message_id": sent[4]["id"]})
    await sm.ok("message:delete", {"message_id": sent[7]["id"]})
    await _sweep(keeper)
    assert (await _day(keeper, cid))[:2] == (10, 2)

    keeper._known.clear()  # as after a restart: the day is read from the database
    await say(so, conv, "one more")
    await _sweep(keeper)
    from_db = await _day(keeper, cid)
    assert from_db[:2] == (11, 2)
    packed = [d for d in await _documents(keeper, cid) if d["kind"] == "pack"]
    assert len(packed) >= 3  # the deletions were packed again, not written over

    theirs = await keeper._repo.facts_of_user(cid, member.user["id"])
    said = [f for f in theirs if f.kind == "msg"]
    assert len(said) == 12  # each message once, as of its latest change
    assert {f.id for f in said if f.deleted} == {f"m:{sent[4]['id']}", f"m:{sent[7]['id']}"}

    assert await keeper.rebuild(cid)
    assert await _day(keeper, cid) == from_db


async def test_a_fact_stored_alone_before_packs_gives_way_to_a_pack(
    in_process: InProcess, rollup_keeper: Any, in_process_people: People
) -> None:
    """A store written before packs holds each message fact alone (rev 0): a later change of
    that message, packed, is the one counted."""
    keeper, people = rollup_keeper, in_process_people
    await keeper.sweep()
    owner = await people.user("older")
    so = await people.sock(owner)
    circle = await circle_with(owner)
    cid, conv = circle["id"], circle["conversation_id"]
    first = await say(so, conv, "from before packs")
    await _sweep(keeper)
    # the store as the code before packs left it: the message's fact alone, not deleted
    facts = keeper._repo._facts
    await facts.delete_many({"circle_id": cid, "kind": "pack"})
    at = clock.now()
    await facts.insert_one(
        {
            "_id": f"m:{first['id']}",
            "circle_id": cid,
            "day": day_of(at),
            "kind": "msg",
            "user_id": owner.user["id"],
            "at": at,
            "seq": 1,
            "deleted": False,
            "question": False,
            "founder": False,
        }
    )
    keeper._known.clear()
    await so.ok("message:delete", {"message_id": first["id"]})
    await _sweep(keeper)
    assert (await _day(keeper, cid))[:2] == (0, 1)
    theirs = await keeper._repo.facts_of_user(cid, owner.user["id"])
    assert [f.deleted for f in theirs if f.kind == "msg"] == [True]
