"""The report sweep takes the chat changes this process stored from memory, not the database
(reports/rollups_recent.py).

It read every change of a circle's chat back with ``sync``'s code: in the chat benchmark a
second read of every message sent, 21,914 in a 30 s run. Now it reads none of the messages its
own process stored, and the facts and days are the ones a rebuild from the database makes; a
change it did not keep (another process's, or one dropped from memory) is read from the
database from there on, with the same result.

Driven on the real container of an in-process server, as a client sends, edits, deletes and
reacts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from server.core import clock
from server.messages.models import Message
from server.reports.rollups_compute import day_of
from server.reports.rollups_recent import Recent, said_of
from tests.support.chat import circle_with, say
from tests.support.client import Api
from tests.support.security_infra import InProcess, People


def _message_reads(in_process: InProcess, since: int) -> list[dict[str, Any]]:
    return [
        cmd
        for name, cmd in in_process.recorder.commands[since:]
        if name == "find" and cmd.get("find") == "messages"
    ]


async def _report(keeper: Any, circle_id: str) -> tuple[Any, ...]:
    """Today's day and its facts, as comparable values."""
    today = day_of(clock.now())
    d = await keeper._repo.day(circle_id, today)
    assert d is not None
    facts = await keeper._repo.facts_of_day(circle_id, today)
    return (
        (d.messages, d.deleted, d.prompts, list(d.waits), sorted(d.posters), sorted(d.active)),
        sorted((f.id, f.kind, f.user_id, f.at, f.seq, f.deleted, f.question) for f in facts),
    )


async def _swept_circle(keeper: Any, owner: Api, *members: Api) -> tuple[str, str]:
    """A new circle (id, conversation id) after its first rollup: from then on its chat is
    watched."""
    circle = await circle_with(owner, *members)
    await keeper.sweep()
    return circle["id"], circle["conversation_id"]


async def test_a_sweep_reads_back_none_of_the_messages_its_process_stored(
    in_process: InProcess, rollup_keeper: Any, in_process_people: People
) -> None:
    keeper, people = rollup_keeper, in_process_people
    owner, member = await people.user("recent"), await people.user("recent")
    so, sm = await people.sock(owner), await people.sock(member)
    cid, conv = await _swept_circle(keeper, owner, member)

    sent = []
    for i in range(70):
        sock = so if i % 3 else sm
        text = f"is {i} a question?" if i % 7 == 0 else f"message {i}"
        sent.append(await say(sock, conv, text))
    first, second = sent[1], sent[2]  # the owner's
    await so.ok("message:edit", {"message_id": first["id"], "text": "edited into a question?"})
    await so.ok("message:delete", {"message_id": second["id"]})
    await sm.ok("reaction:add", {"message_id": first["id"], "emoji": "🎉"})
    assert len(keeper.recent) >= 73  # every change was kept

    await keeper._tops.drain()
    before = len(in_process.recorder.commands)
    await keeper.sweep()
    assert _message_reads(in_process, before) == []
    st = await keeper._repo.state(cid)
    assert st.rev == (await keeper._messages.top(conv))[0]  # caught up
    swept = await _report(keeper, cid)
    (messages, deleted, prompts, *_), facts = swept
    assert (messages, deleted) == (69, 1)  # the deleted one counted apart
    assert prompts >= 10
    assert any(f[0] == f"r:{first['id']}:{member.user['id']}:🎉" for f in facts)
    assert len(keeper.recent) == 0  # taken

    assert await keeper.rebuild(cid)  # from the database alone
    assert await _report(keeper, cid) == swept


async def test_a_change_it_did_not_keep_is_read_from_the_database(
    in_process: InProcess, rollup_keeper: Any, in_process_people: People
) -> None:
    keeper, people = rollup_keeper, in_process_people
    owner = await people.user("gap")
    so = await people.sock(owner)
    cid, conv = await _swept_circle(keeper, owner)
    sent = [await say(so, conv, f"line {i}?") for i in range(12)]
    # as if the sixth had been stored by another process: this one never kept it
    keeper.recent._chats[conv].pop(sent[5]["rev"])
    await keeper._tops.drain()
    before = len(in_process.recorder.commands)
    await keeper.sweep()
    assert _message_reads(in_process, before)  # from the gap on, the database
    swept = await _report(keeper, cid)
    assert swept[0][:2] == (12, 0)
    assert await keeper.rebuild(cid)
    assert await _report(keeper, cid) == swept


def _message(rev: int, conversation_id: str = "c") -> Message:
    at = datetime(2026, 12, 5, tzinfo=UTC)
    return Message(f"m{rev}", conversation_id, rev, rev, "u", "U", "text", "hi", at)


def test_recent_takes_only_what_follows_without_a_gap_and_is_bounded() -> None:
    recent = Recent(cap=10)
    recent.observe([_message(1)])  # not watched yet
    assert len(recent) == 0
    recent.watch(["c"])
    recent.observe([_message(r) for r in (1, 2, 3, 5, 6)])
    recent.observe([_message(1, "elsewhere")])
    assert [s.rev for s in recent.take("c", 0, 2)] == [1, 2]
    assert [s.rev for s in recent.take("c", 2, 50)] == [3]
    assert recent.take("c", 3, 50) == []  # 4 is missing: the database from here
    assert len(recent) == 2
    assert recent.take("c", 5, 50) == [said_of(_message(6))]  # 5 was read elsewhere
    assert recent.take("c", 6, 50) == [] and len(recent) == 0  # 5 dropped as passed over
    recent.observe([_message(r) for r in range(1, 12)])  # over the cap: all dropped
    assert len(recent) == 0 and recent.take("c", 0, 50) == []
