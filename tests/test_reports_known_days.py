"""A sweep takes a circle's recent days' facts from what its last sweep of the circle read
(reports/rollups.py, ``_Known``) instead of reading the whole day again.

Every chat rollup of a circle (each REPORT_CHAT_ROLLUP_SECONDS) rewrote today and the day
before from all of their facts, read from the database: a busy day's thousands, each time, at
0.16-0.28 ms of FerretDB CPU apiece. Now a sweep reads only the days' sign-ups (any process
records those) when the circle's state still carries the mark its last sweep gave it; when
another writer was there (another process's sweep, a rebuild), or at a full sweep, it reads the
days whole as before. Either way the days equal a rebuild's.

Driven on the real container of an in-process server."""

from __future__ import annotations

from typing import Any

from server.core import clock
from server.reports.rollups import signup_fact
from server.reports.rollups_compute import day_of
from tests.support.chat import circle_with, say
from tests.support.rollups import pair_in_new_circle
from tests.support.rollups import today as _day
from tests.support.security_infra import InProcess, People


def _is_day_read(name: str, cmd: dict[str, Any]) -> bool:
    """Whether a command reads a day's facts (not its sign-ups alone)."""
    return (
        name == "find"
        and cmd.get("find") == "rollup_facts"
        and "day" in cmd.get("filter", {})
        and "kind" not in cmd["filter"]
    )


def _day_reads(in_process: InProcess, since: int) -> list[dict[str, Any]]:
    """Reads of a day's facts (not of its sign-ups alone)."""
    return [cmd for name, cmd in in_process.recorder.commands[since:] if _is_day_read(name, cmd)]


async def _sweep(keeper: Any, in_process: InProcess) -> list[dict[str, Any]]:
    """One sweep; the reads of whole days' facts it made."""
    await keeper._tops.drain()
    before = len(in_process.recorder.commands)
    await keeper.sweep()
    return _day_reads(in_process, before)


async def test_a_second_sweep_reads_no_whole_day_and_agrees_with_a_rebuild(
    in_process: InProcess, rollup_keeper: Any, in_process_people: People
) -> None:
    keeper, people = rollup_keeper, in_process_people
    owner, member = await people.user("known"), await people.user("known")
    so, sm = await people.sock(owner), await people.sock(member)
    circle = await circle_with(owner, member)
    cid, conv = circle["id"], circle["conversation_id"]
    await keeper.sweep()
    for i in range(30):
        await say(so if i % 2 else sm, conv, f"first {i}?")
    # the circle's first rollup read its days (nothing in them yet) and kept them
    assert await _sweep(keeper, in_process) == []

    sent = [await say(so if i % 2 else sm, conv, f"then {i}") for i in range(20)]
    await so.ok("message:delete", {"message_id": sent[1]["id"]})
    await sm.ok("reaction:add", {"message_id": sent[0]["id"], "emoji": "👍"})
    # a sign-up recorded by another process (its activity watcher), which this one never saw
    other = await people.user("signer")
    await keeper._repo.add_facts([signup_fact(cid, "act-x", other.user["id"], clock.now())])
    assert await _sweep(keeper, in_process) == []  # today and the day before from memory
    swept = await _day(keeper, cid)
    assert swept[:2] == (49, 1)
    assert other.user["id"] in swept[5]  # active through the sign-up read afresh

    assert await keeper.rebuild(cid)
    assert await _day(keeper, cid) == swept


async def test_another_writer_or_a_full_sweep_makes_it_read_the_days_again(
    in_process: InProcess, rollup_keeper: Any, in_process_people: People
) -> None:
    keeper, people = rollup_keeper, in_process_people
    owner = await people.user("marked")
    so = await people.sock(owner)
    circle = await circle_with(owner)
    cid, conv = circle["id"], circle["conversation_id"]
    await keeper.sweep()
    await say(so, conv, "one")
    await _sweep(keeper, in_process)

    # another process's sweep wrote the state (a new mark) and a fact this one never saw
    st = await keeper._repo.state(cid)
    await keeper._repo.put_state(st)
    await say(so, conv, "two")
    assert await _sweep(keeper, in_process)  # read again
    assert (await _day(keeper, cid))[0] == 2

    await say(so, conv, "three")
    assert await _sweep(keeper, in_process) == []  # known again under its own mark
    keeper._sweeps = 0  # the next sweep is a full one (every FULL_EVERY)
    await say(so, conv, "four")
    assert await _sweep(keeper, in_process)
    assert (await _day(keeper, cid))[0] == 4


async def test_a_circles_first_sweep_reads_back_none_of_the_facts_it_wrote(
    in_process: InProcess, rollup_keeper: Any, in_process_people: People
) -> None:
    """A circle no sweep has written yet: its first sweep inserts the facts of its chat and
    computes the days from them and the sign-ups, without reading the day back (it read every
    fact it had just inserted); the days equal a rebuild's."""
    keeper, people = rollup_keeper, in_process_people
    pair = await pair_in_new_circle(keeper, people, "fresh")
    so, sm, member = pair.so, pair.sm, pair.member
    cid, conv = pair.circle_id, pair.conversation_id
    sent = [await say(so if i % 2 else sm, conv, f"before any sweep {i}?") for i in range(30)]
    await so.ok("message:delete", {"message_id": sent[3]["id"]})
    await sm.ok("reaction:add", {"message_id": sent[0]["id"], "emoji": "🎉"})
    # a sign-up recorded by another process's activity watcher before the first sweep
    other = await people.user("signer")
    await keeper._repo.add_facts([signup_fact(cid, "act-y", other.user["id"], clock.now())])
    assert (await keeper._repo.state(cid)).through is None  # no sweep has written it

    reads = await _sweep(keeper, in_process)
    # at most the day after today is read (compute_day looks at it): it holds no fact written
    today = day_of(clock.now())
    assert [r["filter"]["day"] for r in reads if r["filter"]["day"] <= today] == []
    swept = await _day(keeper, cid)
    assert swept[:2] == (29, 1)
    assert other.user["id"] in swept[5]  # active through the sign-up
    assert member.user["id"] in swept[5]  # and through the reaction

    assert await keeper.rebuild(cid)
    assert await _day(keeper, cid) == swept


def _reads_and_first_write(in_process: InProcess, since: int) -> tuple[list[int], int | None]:
    """Positions (in the commands since ``since``) of the reads of a day's facts up to today,
    and of the first insert of facts."""
    today = day_of(clock.now())
    commands = in_process.recorder.commands[since:]
    reads = [
        i
        for i, (name, cmd) in enumerate(commands)
        if _is_day_read(name, cmd) and cmd["filter"]["day"] <= today
    ]
    writes = [
        i
        for i, (name, cmd) in enumerate(commands)
        if name == "insert" and cmd.get("insert") == "rollup_facts"
    ]
    return reads, min(writes, default=None)


async def test_a_sweep_that_knows_nothing_of_the_days_reads_them_before_it_writes(
    in_process: InProcess, rollup_keeper: Any, in_process_people: People
) -> None:
    """A sweep without the days in memory (the process's first sweep of the circle, or a full
    one) read them after inserting the new facts, so it received every fact it had just written
    back (in the chat benchmark about 1,400 per circle, 30 s into the step); it now reads them
    before, and adds what it writes. The days still equal a rebuild's, a fact another writer
    stored meanwhile included."""
    keeper, people = rollup_keeper, in_process_people
    pair = await pair_in_new_circle(keeper, people, "before")
    so, sm, cid, conv = pair.so, pair.sm, pair.circle_id, pair.conversation_id
    for i in range(10):
        await say(so if i % 2 else sm, conv, f"early {i}?")
    await _sweep(keeper, in_process)
    for restart in range(2):
        if restart == 0:
            keeper._known.clear()  # what a new process knows of the circle
        else:
            keeper._sweeps = 0  # the next sweep is a full one (every FULL_EVERY)
            st = await keeper._repo.state(cid)  # and another writer stored the state meanwhile
            await keeper._repo.put_state(st)
        sent = [await say(so if i % 2 else sm, conv, f"later {restart} {i}") for i in range(30)]
        await sm.ok("message:delete", {"message_id": sent[2]["id"]})
        await so.ok("reaction:add", {"message_id": sent[1]["id"], "emoji": "👋"})
        await keeper._tops.drain()
        before = len(in_process.recorder.commands)
        await keeper.sweep()
        reads, first_write = _reads_and_first_write(in_process, before)
        assert first_write is not None and reads, (reads, first_write)
        assert max(reads) < first_write, (reads, first_write)
        swept = await _day(keeper, cid)
        assert swept[:2] == (10 + 29 * (restart + 1), restart + 1)  # not deleted, deleted
        assert await keeper.rebuild(cid)
        assert await _day(keeper, cid) == swept
