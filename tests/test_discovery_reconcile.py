"""The reconciler (python -m server.discovery.reconcile) rebuilds discovery's cards from the
activities: a card lost (a failed after-commit write) or left stale comes back as the activity
is, and a card whose activity is gone is deleted."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from tests.support.activities import post_activity
from tests.support.client import register
from tests.support.discovery import eventually, ids, slug


@pytest.fixture(scope="module")
def own(stack: Any) -> Iterator[tuple[Any, dict[str, str]]]:
    env = stack.server_env()
    proc = stack.start(**env)
    yield proc, env
    proc.stop()


def reconcile(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "server.discovery.reconcile"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_lost_and_stale_cards_are_rebuilt_from_the_activities(
    own: tuple[Any, dict[str, str]], clock: Any
) -> None:
    proc, env = own
    org = await register(proc.url, "org")
    try:
        circle = await org.create_circle("Rebuilt")
        tag, other = slug(), slug()
        a = await post_activity(org, circle, clock.now(), tags=[tag])
        b = await post_activity(org, circle, clock.now(), tags=[tag])
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(env["MONGODB_URL"])
        try:
            cards = client[env["MONGODB_DB"]]["discovery"]
            await cards.delete_one({"_id": a["id"]})  # a write that never happened
            await cards.update_one(  # a stale card: wrong keys
                {"_id": b["id"]}, {"$set": {"keys": [f"tag:{other}@x"], "tags": [other]}}
            )
            ghost = {**(await cards.find_one({"_id": b["id"]}) or {}), "_id": "ghost0"}
            await cards.insert_one(ghost)
            assert await ids(org, tag=tag) == []
            out = reconcile(env)
            assert "2 cards written, 1 deleted" in out, out
            # The server keeps a bucket it read until a change is announced (the reconciler's
            # card writes announce theirs through Redis, as the server's own do).
            rebuilt = sorted([a["id"], b["id"]])

            async def shown() -> bool:
                return sorted(await ids(org, tag=tag)) == rebuilt

            assert await eventually(shown)
            assert await cards.find_one({"_id": "ghost0"}) is None
        finally:
            await client.close()
    finally:
        await org.aclose()
