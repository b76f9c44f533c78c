"""A report sweep shares the process and the database with sends (core/pace.py).

It takes a circle's chat news in small pieces (from what its process kept, or sync pages read
from the database) and rests after each piece, and after each circle, nine times as long as
the piece took (three times, the pace's default, still raised the p99 of the sends around the
chat benchmark's rollups by about 6 ms: docs/performance.md, "A lighter report sweep"). Before
that, it read pages of 500 messages back to back:
in the chat benchmark the first chat rollup of ten busy circles raised the p99 of every send in
that second above 25 ms (docs/performance.md, "What is left above the code before issue 11").
The facts of a day it rewrites are read a batch at a time with a rest after each: a busy day's
thousands, read at once, still held sends up for a second (docs/performance.md, "The search
indexer paced").

Driven on the real container of an in-process server, with the sweep's rest watched.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from server.core.pace import MAX_REST_SECONDS
from server.reports import rollups, rollups_repository
from tests.support.chat import circle_with, say
from tests.support.security_infra import InProcess, People


async def test_a_sweep_reads_a_busy_chat_in_small_pages_and_rests_after_each(
    in_process: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    keeper = in_process.container.rollups
    await keeper.stop()  # no periodic sweep of its own meanwhile: this test sweeps
    monkeypatch.setattr(keeper, "_chat_every", 0.0)  # chat news is taken at every sweep
    trail: list[tuple[str, float]] = []
    pieces: list[tuple[float, float]] = []  # (seconds since the last rest ended, rest asked)
    rested = [time.monotonic()]

    async def rest(seconds: float) -> None:
        trail.append(("rest", seconds))
        pieces.append((time.monotonic() - rested[0], seconds))
        rested[0] = time.monotonic()

    real_page = keeper._chat_piece  # from what the process kept, or read from the database

    async def page(*args: Any, **kwargs: Any) -> Any:
        found, rev, more = await real_page(*args, **kwargs)
        trail.append(("page", len(found)))
        return found, rev, more

    real_day = keeper._repo.facts_of_day

    async def facts_of_day(circle_id: str, day: str, rest: Any = None) -> Any:
        async def batch_read() -> None:
            trail.append(("batch", 0))
            await rest()

        found = await real_day(circle_id, day, batch_read if rest is not None else None)
        trail.append(("day", len(found)))
        return found

    monkeypatch.setattr(keeper, "rest", rest)
    monkeypatch.setattr(keeper, "_chat_piece", page)
    monkeypatch.setattr(keeper._repo, "facts_of_day", facts_of_day)
    monkeypatch.setattr(rollups_repository, "FACT_BATCH", 40)

    people = People(in_process.url)
    try:
        owner = await people.user("pace")
        sock = await people.sock(owner)
        circle = await circle_with(owner)
        conv = circle["conversation_id"]
        await keeper.sweep()  # the new circle's first rollup
        trail.clear()
        sent = 3 * rollups.SYNC_LIMIT + 7
        for i in range(sent):
            await say(sock, conv, f"busy chat {i}")

        await keeper._tops.drain()  # the chat's top is published (Redis)
        pieces.clear()
        rested[0] = time.monotonic()
        await keeper.sweep()

        pages = [n for kind, n in trail if kind == "page"]
        assert sum(pages) >= sent, trail  # every new message was read
        assert len(pages) >= 4 and max(pages) <= rollups.SYNC_LIMIT, pages
        for i, (kind, _) in enumerate(trail):  # a rest after every page
            if kind == "page":
                assert i + 1 < len(trail) and trail[i + 1][0] == "rest", trail
        rests = [s for kind, s in trail if kind == "rest"]
        assert len(rests) >= len(pages) + 1  # and after the circle
        assert all(0 <= s <= MAX_REST_SECONDS for s in rests), rests
        # each rest is nine times the piece before it (three before: it still held sends up);
        # the first piece is timed from before the sweep listed the circles, the pace from after
        # (a collection by the garbage collector between the two clocks may lengthen a piece as
        # seen here: most pieces, not all, must meet the lower bound)
        measured = [(took, s) for took, s in pieces[1:] if s < MAX_REST_SECONDS]
        assert any(took > 0.002 for took, _ in measured), pieces
        assert all(s <= 9 * took + 0.001 for took, s in measured), measured
        nine = [(took, s) for took, s in measured if s >= 8.5 * took - 0.001]
        assert len(nine) >= 0.8 * len(measured), measured
        st = await keeper._repo.state(circle["id"])
        assert st.rev == (await keeper._messages.top(conv))[0]  # caught up in this sweep

        # the day's facts read from the database, as after a restart (not those its last
        # sweep kept: tests/test_reports_known_days.py)
        trail.clear()
        pieces.clear()
        keeper._known.clear()
        await say(sock, conv, "after a restart")
        await keeper._tops.drain()
        await keeper.sweep()
        # today's facts (every message's) are read 40 at a time, with a rest after each batch
        days = [n for kind, n in trail if kind == "day"]
        assert max(days) >= sent, trail
        batches = [i for i, (kind, _) in enumerate(trail) if kind == "batch"]
        assert len(batches) >= sent // 40, trail
        assert all(trail[i + 1][0] == "rest" for i in batches), trail

        # a caller of its own (the demo seed, a rebuild) is not paced
        trail.clear()
        await say(sock, conv, "one more")
        ref = await keeper._repo.circle(circle["id"])
        assert ref is not None
        assert await keeper.keep(ref)
        assert {kind for kind, _ in trail if kind != "day"} == {"page"}, trail
    finally:
        await people.aclose()
