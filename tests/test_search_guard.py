"""The search index made whole (search/guard.py).

A store whose messages predate search, or whose index was dropped to be rebuilt, has
conversations the indexer was never handed: before the guard, a search across conversations
missed their messages until each had a new change. The index's own mark is missing there, and a
check rebuilds the index from the log, paced, until a search across conversations finds what it
found before. Here the index is dropped by deleting its rows, on an in-process server whose
guard the test runs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.search.repository import WHOLE
from tests.support.chat import circle_with, say
from tests.support.security_infra import InProcess, People


async def found(api: Any, q: str) -> set[str]:
    got = await api.get("/api/search", params={"q": q})
    assert got.status_code == 200, got.text
    return {r["message_id"] for r in got.json()["results"]}


async def indexed(people: People, word: str, count: int) -> tuple[Any, dict[str, Any], set[str]]:
    """A user who said ``word`` ``count`` times in a circle of their own, all of it indexed
    (found by a search across conversations, so nothing is left queued)."""
    owner = await people.user(word)
    sock = await people.sock(owner)
    room = await circle_with(owner)
    sent = {(await say(sock, room["conversation_id"], f"{word} {i}"))["id"] for i in range(count)}
    assert await found(owner, word) == sent
    return owner, room, sent


async def empty_index(in_process: InProcess) -> None:
    """The index dropped to be rebuilt (or never made): every copy and every mark gone."""
    db = in_process.container.db
    await db["search_docs"].delete_many({})
    await db["search_marks"].delete_many({})


@pytest.fixture
def guard(in_process: InProcess, monkeypatch: pytest.MonkeyPatch) -> Any:
    g = in_process.container.search_guard
    assert g is not None
    rests: list[float] = []

    async def rest(seconds: float) -> None:
        rests.append(seconds)

    monkeypatch.setattr(g, "rest", rest)
    g.rests = rests
    return g


async def test_an_emptied_index_is_rebuilt_and_found_across_conversations(
    in_process: InProcess, guard: Any
) -> None:
    people = People(in_process.url)
    try:
        owner = await people.user("guard")
        sock = await people.sock(owner)
        rooms = [await circle_with(owner), await circle_with(owner)]
        sent = {
            (await say(sock, r["conversation_id"], f"narwhal {i} of {n}"))["id"]
            for n, r in enumerate(rooms)
            for i in range(3)
        }
        assert await found(owner, "narwhal") == sent
        assert await guard.check() is False  # whole: nothing to do

        await empty_index(in_process)
        assert await found(owner, "narwhal") == set()  # before the guard, for good

        assert await guard.check() is True
        assert await found(owner, "narwhal") == sent
        outsider = await people.user("outsider")  # the rebuilt copies stay the members' own
        assert await found(outsider, "narwhal") == set()
        assert guard.rests and all(0 < s <= 1.0 for s in guard.rests)  # paced
        whole = await in_process.container.db["search_marks"].find_one({"_id": WHOLE})
        assert whole is not None and whole["state"] == "done"
        assert await guard.check() is False
    finally:
        await people.aclose()


async def test_a_rebuild_whose_mark_was_emptied_meanwhile_starts_again(
    in_process: InProcess, guard: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Had the index been dropped during a rebuild, what it indexed before is gone: it must not
    call the index whole, and the next check rebuilds it all."""
    people = People(in_process.url)
    try:
        owner, room, sent = await indexed(people, "quokka", 3)
        await empty_index(in_process)
        indexer = in_process.container.search_indexer
        real = indexer.catch_up
        emptied: list[str] = []

        async def catch_up_then_drop(conversation_id: str, *args: Any, **kw: Any) -> int:
            mark: int = await real(conversation_id, *args, **kw)
            if conversation_id == room["conversation_id"]:  # its copies made, then lost
                emptied.append(conversation_id)
                await empty_index(in_process)
            return mark

        monkeypatch.setattr(indexer, "catch_up", catch_up_then_drop)
        assert await guard.check() is False
        assert emptied
        assert await found(owner, "quokka") == set()
        assert await in_process.container.db["search_marks"].find_one({"_id": WHOLE}) is None
        monkeypatch.setattr(indexer, "catch_up", real)
        assert await guard.check() is True
        assert await found(owner, "quokka") == sent
    finally:
        await people.aclose()


async def test_one_process_rebuilds_and_a_dead_ones_rebuild_is_taken_over(
    in_process: InProcess, guard: Any
) -> None:
    people = People(in_process.url)
    marks = in_process.container.db["search_marks"]
    try:
        owner, _, sent = await indexed(people, "axolotl", 2)
        await empty_index(in_process)
        now = datetime.now(UTC)
        other = {"_id": WHOLE, "state": "building", "by": "another-process", "at": now}
        await marks.insert_one(other)

        assert await guard.check() is False  # another process is at it
        assert await found(owner, "axolotl") == set()
        assert (await marks.find_one({"_id": WHOLE}))["by"] == "another-process"

        # that process stopped saying it was alive: its rebuild is taken over
        await marks.update_one({"_id": WHOLE}, {"$set": {"at": now - timedelta(minutes=10)}})
        assert await guard.check() is True
        assert await found(owner, "axolotl") == sent
    finally:
        await people.aclose()
