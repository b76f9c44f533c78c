"""A process that stops stops asking the database about rev gaps.

Live delivery holds a conversation's changes behind a gap and asks the database about the
missing revs every half gap wait for as long as the gap lasts (realtime/manager.py). That task
outlived its server: once the database client had closed, each try failed and logged a warning,
3,584 lines of "Cannot use AsyncMongoClient after close" in one CI log, for as long as the
event loop lived."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from server.realtime import channels
from server.realtime.manager import GAP_WAIT_SECONDS
from tests.support.security_infra import in_process_server


async def test_the_gap_filler_stops_with_the_server(stack: Any, tmp_path: Path) -> None:
    asked: list[tuple[str, list[int]]] = []

    async def never_written(key: str, missing: list[int]) -> list[Any]:
        asked.append((key, missing))
        return [(rev, "pending", None) for rev in missing]  # the gap lasts

    async with in_process_server(stack.mongo_url, stack.redis_url, tmp_path) as running:
        manager = running.container.sio.manager
        manager.resolver = never_written
        room = channels.conversation("gapped")
        for rev in (1, 3):  # rev 2 never arrives
            message = {"conversation_id": "gapped", "rev": rev}
            manager.deliver_ordered("message:new", {"message": message}, room, None)
        for _ in range(100):
            if asked:
                break
            await asyncio.sleep(GAP_WAIT_SECONDS / 2)
        assert asked and asked[0] == ("gapped", [2]), asked
        filler = manager._filler
    assert filler is not None and filler.done()
    after = len(asked)
    await asyncio.sleep(GAP_WAIT_SECONDS * 4)
    assert len(asked) == after, f"asked {len(asked) - after} more times after the server stopped"
    # and nothing starts it again: a change delivered late still goes nowhere near the database
    manager.deliver_ordered(
        "message:new", {"message": {"conversation_id": "gapped", "rev": 4}}, room, None
    )
    await asyncio.sleep(GAP_WAIT_SECONDS * 4)
    assert len(asked) == after
