"""Recompute the circle report's rollups from scratch (repair; reports/rollups.py), with each
circle's book and people table (book.py, people.py); ``--books`` rewrites only those.

    python -m server.reports.rebuild --circle ID [--circle ID ...] [--books | --days]
    python -m server.reports.rebuild --all [--books | --days]

``--days`` writes every stored day again as it is, in the current format (posters and active
members as bitmaps of member numbers), recomputing nothing.

Runs against the database the settings name (``MONGODB_URL``, ``MONGODB_DB``), beside running
servers: a circle is rebuilt under its rollup lease, so no sweep works on it meanwhile. The
embedded database belongs to the server that started it: stop that server first and point
``MONGODB_URL`` at a database of your own, or rebuild from a server shell.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from server import container as wiring
from server.settings import Settings


async def rebuild(
    settings: Settings, circle_ids: list[str], every: bool, books: bool = False, days: bool = False
) -> int:
    c = wiring.build(settings, settings.mongodb_url or "")
    try:
        await c.init_storage(settings.ferretdb_postgresql_url)
        assert c.rollups is not None
        if every:
            circle_ids = [ref.id for ref in await c.rollups.circles()]
        missing = 0
        for circle_id in circle_ids:
            kept = c.rollups.rebuild_book if books else c.rollups.rebuild
            kept = c.rollups.reencode_days if days else kept
            if await kept(circle_id):
                print(f"rebuilt {circle_id}")
            else:
                print(f"no such circle: {circle_id}", file=sys.stderr)
                missing += 1
        return 1 if missing else 0
    finally:
        await c.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.reports.rebuild", description=__doc__)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--circle", action="append", default=[], help="a circle id (repeatable)")
    which.add_argument("--all", action="store_true", help="every circle")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--books", action="store_true", help="the books and people tables only")
    what.add_argument("--days", action="store_true", help="re-encode the stored days only")
    args = parser.parse_args(argv)
    settings = Settings()
    if not settings.mongodb_url:
        print("MONGODB_URL must name the database to rebuild", file=sys.stderr)
        return 2
    return asyncio.run(
        rebuild(settings, list(args.circle), bool(args.all), bool(args.books), bool(args.days))
    )


if __name__ == "__main__":
    sys.exit(main())
