"""Rebuild discovery's cards from the activities (the activities are the truth).

    python -m server.discovery.reconcile            # every card from its activity
    python -m server.discovery.reconcile --marks    # only the marks, from the stored cards

with the server's settings from the environment (MONGODB_URL, or the embedded database under
DATA_DIR while the server is stopped). Idempotent and safe beside a running server: each card
is written from the latest committed state of its activity by the same code the after-commit
path uses, and a card whose activity is gone is deleted. Run it after restoring a backup, after
a failure left cards behind (an after-commit write is retried only by the activity's next
commit), and once on a store that has activities from before discovery existed. ``--marks``
writes the marks again from the cards' keys alone (once on a store whose marks were written
before they were kept by month and year, ``keys.mark_part``): cards already stored are walked
only where their marks say.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable

from server.activities.service import ActivityService
from server.discovery import keys
from server.discovery.indexer import DiscoveryIndexer
from server.discovery.repository import DiscoveryRepository

log = logging.getLogger(__name__)
PAGE = 500


async def rebuild(
    repo: DiscoveryRepository,
    indexer: DiscoveryIndexer,
    activities: ActivityService,
    concurrency: int = 16,
    report: Callable[[str], None] | None = None,
) -> tuple[int, int]:
    """Write every activity's card; delete cards without an activity. Returns (written,
    deleted)."""
    gate = asyncio.Semaphore(concurrency)
    written = 0

    async def one(activity_id: str) -> None:
        nonlocal written
        async with gate:
            a = await activities.state(activity_id)
            if a is not None:
                await indexer.index(a)
                written += 1

    started = time.monotonic()
    ids = await repo.activity_ids()
    for i in range(0, len(ids), PAGE):
        await asyncio.gather(*(one(a) for a in ids[i : i + PAGE]))
        if report is not None:
            report(f"{written}/{len(ids)} cards written ({time.monotonic() - started:.0f} s)")
    deleted = 0
    known = set(ids)
    for card_id in await repo.card_ids():
        if card_id not in known and await activities.state(card_id) is None:
            await repo.delete(card_id)
            deleted += 1
    return written, deleted


async def rebuild_marks(
    repo: DiscoveryRepository, report: Callable[[str], None] | None = None
) -> int:
    """Every stored card's marks, written again (idempotent). Returns the cards read."""
    n = 0
    batch: list[tuple[str, str]] = []
    async for card_keys in repo.card_keys():
        batch.extend(keys.marks_for(card_keys))
        n += 1
        if len(batch) > 5_000:
            await repo.add_marks(batch)
            batch = []
            if report is not None and n % 10_000 < 100:
                report(f"{n} cards' marks written")
    await repo.add_marks(batch)
    return n


async def _run(marks_only: bool) -> None:
    from server import container as wiring
    from server.core.embedded import EmbeddedDatabase
    from server.settings import Settings

    settings = Settings()
    embedded = (
        EmbeddedDatabase(settings.data_dir, settings.ferretdb_bin, settings.postgres_bin)
        if settings.embedded_db
        else None
    )
    if embedded is not None:
        await embedded.start()
    c = wiring.build(settings, settings.mongodb_url or (embedded.url if embedded else ""))
    try:
        await c.init_storage(
            embedded.postgres_url if embedded else settings.ferretdb_postgresql_url
        )
        assert c.discovery_indexer is not None
        if marks_only:
            n = await rebuild_marks(DiscoveryRepository(c.db), report=print)
            print(f"discovery: the marks of {n} cards written")
            return
        written, deleted = await rebuild(
            DiscoveryRepository(c.db), c.discovery_indexer, c.activities, report=print
        )
        print(f"discovery: {written} cards written, {deleted} deleted")
    finally:
        await c.close()
        if embedded is not None:
            await embedded.stop()


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_run("--marks" in sys.argv[1:]))
    sys.exit(0)


if __name__ == "__main__":
    main()
