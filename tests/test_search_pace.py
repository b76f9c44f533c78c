"""The search indexer shares the process and the database with sends (search/indexer.py,
core/pace.py).

A background round splits and inserts a conversation's new copies ``CHUNK`` at a time and rests between
inserts and after each conversation, three times as long as the piece took, at most the round's
delay in all. Before, a round inserted every conversation's copies back to back, one insert per
conversation: in the chat benchmark at 600 messages/s each round held the sends of the next half
second up (docs/performance.md, "The search indexer paced"). A search's own catch-up is not
paced. Driven on the real container of an in-process server, with the round's rest watched.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from server.core.pace import MAX_REST_SECONDS, Pace
from server.search import indexer as indexing
from tests.support.chat import circle_with, say
from tests.support.security_infra import InProcess, People


async def test_a_round_inserts_in_chunks_and_rests_after_each_and_a_search_does_not(
    in_process: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    indexer = in_process.container.search_indexer
    assert indexer is not None
    await indexer.stop()  # no round of its own meanwhile: this test runs them
    monkeypatch.setattr(indexer, "_ensure_running", lambda: None)
    trail: list[tuple[str, float]] = []

    async def rest(seconds: float) -> None:
        trail.append(("rest", seconds))

    real_add = indexer._repo.add_docs

    async def add_docs(docs: list[Any]) -> set[str]:
        trail.append(("insert", len(docs)))
        there: set[str] = await real_add(docs)
        return there

    real_terms = indexing.index_terms

    def index_terms(text: str) -> list[str]:
        trail.append(("split", 1))
        return real_terms(text)

    monkeypatch.setattr(indexer, "rest", rest)
    monkeypatch.setattr(indexer._repo, "add_docs", add_docs)
    monkeypatch.setattr(indexing, "index_terms", index_terms)

    people = People(in_process.url)
    try:
        owner = await people.user("pace")
        sock = await people.sock(owner)
        busy, quiet = await circle_with(owner), await circle_with(owner)
        await indexer.round()  # whatever the set-up queued
        trail.clear()
        sent = 2 * indexing.CHUNK + 7
        for i in range(sent):
            await say(sock, busy["conversation_id"], f"pangolin {i}")
        await say(sock, quiet["conversation_id"], "pangolin quiet")

        await indexer.round()

        inserts = [n for kind, n in trail if kind == "insert"]
        assert sum(inserts) == sent + 1, trail  # every new message was indexed
        assert len(inserts) >= 4 and max(inserts) <= indexing.CHUNK, inserts
        for i, (kind, _) in enumerate(
            trail
        ):  # a rest after every insert: the next chunk, the next conversation
            if kind == "insert":
                assert i + 1 < len(trail) and trail[i + 1][0] == "rest", trail
        # the texts are split into terms a chunk at a time too, between the same rests (all
        # of a round's texts split at once held the event loop for about 10 ms)
        pieces = " ".join(kind for kind, _ in trail).split("rest")
        assert max(piece.count("split") for piece in pieces) <= indexing.CHUNK, pieces
        rests = [s for kind, s in trail if kind == "rest"]
        assert len(rests) >= len(inserts)
        assert all(0 < s <= MAX_REST_SECONDS for s in rests), rests
        assert sum(rests) <= indexer._delay
        found = await owner.get("/api/search", params={"q": "pangolin"})
        assert found.status_code == 200, found.text
        assert len(found.json()["results"]) >= 20  # a full first page, newest first

        # a search catches its conversation up itself, at once, unpaced
        trail.clear()
        late = await say(sock, busy["conversation_id"], "okapi now")
        params = {"q": "okapi", "conversation_id": busy["conversation_id"]}
        found = await owner.get("/api/search", params=params)
        assert [r["message_id"] for r in found.json()["results"]] == [late["id"]]
        assert [kind for kind, _ in trail if kind != "split"] == ["insert"], trail
    finally:
        await people.aclose()


async def test_a_pace_rests_in_proportion_to_the_work_until_its_budget_is_spent() -> None:
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    pace = Pace(sleep, ratio=3.0, cap=1.0, budget=1.5, clock=lambda: now[0])
    for work in (0.1, 0.5, 0.2, 0.3):
        now[0] += work
        await pace.rest()
    # 0.3 for 0.1 s of work, the cap for 0.5 s, then what is left of the budget, then nothing
    assert slept == pytest.approx([0.3, 1.0, 0.2])


async def test_a_pace_with_more_work_than_budget_shares_the_budget_out_over_its_pieces() -> None:
    """Ten pieces of 0.1 s at three times their time would want 3 s of rest; the budget is 1 s.
    Before, the first three rests took it all and the other pieces ran back to back (an indexing
    round of 5,000 messages ended in a second of inserts without a rest). Now every piece gets
    its share of what is left."""
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    pace = Pace(sleep, ratio=3.0, cap=1.0, budget=1.0, clock=lambda: now[0], pieces=10)
    for _ in range(10):
        now[0] += 0.1
        await pace.rest()
    assert slept == pytest.approx([0.1] * 10)
    # a piece that asks for less than its share leaves the rest to the pieces after it
    now[0], slept[:] = 0.0, []
    pace = Pace(sleep, ratio=3.0, cap=1.0, budget=1.0, clock=lambda: now[0], pieces=4)
    for work in (0.01, 0.5, 0.5, 0.5):
        now[0] += work
        await pace.rest()
    assert slept == pytest.approx([0.03, 0.97 / 3, 0.97 / 3, 0.97 / 3])


async def test_a_search_across_conversations_finds_what_a_round_under_way_has_not_reached(
    in_process: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A round takes the whole queue when it starts, then works through it with rests. A search
    across conversations in the meantime used to look only at the queue, so a message handed to
    the round but not indexed yet was missed until the round reached it."""
    indexer = in_process.container.search_indexer
    assert indexer is not None
    await indexer.stop()
    monkeypatch.setattr(indexer, "_ensure_running", lambda: None)
    gate, resting = asyncio.Event(), asyncio.Event()
    gate.set()

    async def rest(seconds: float) -> None:  # the round rests until the test lets it go
        resting.set()
        await gate.wait()

    monkeypatch.setattr(indexer, "rest", rest)
    people = People(in_process.url)
    try:
        owner = await people.user("midround")
        sock = await people.sock(owner)
        first, second = await circle_with(owner), await circle_with(owner)
        await indexer.round()  # whatever the set-up queued (its rests pass: the gate is open)
        gate.clear()
        sent = [
            (await say(sock, room["conversation_id"], f"wombat {i}"))["id"]
            for room in (first, second)
            for i in range(2)
        ]
        resting.clear()
        under_way = asyncio.create_task(indexer.round())
        await asyncio.wait_for(resting.wait(), 10)  # one conversation indexed, one to go
        found = await owner.get("/api/search", params={"q": "wombat"})
        assert found.status_code == 200, found.text
        assert {r["message_id"] for r in found.json()["results"]} == set(sent)
        gate.set()
        await asyncio.wait_for(under_way, 10)
    finally:
        gate.set()
        await people.aclose()
