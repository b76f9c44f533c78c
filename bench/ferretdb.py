"""What a query and an insert cost on FerretDB v1 on PostgreSQL as a collection grows.

    .venv/bin/python -m bench.ferretdb [--sizes 0,5000,20000] [--ops 50] [--no-gin]

For each size it starts a fresh PostgreSQL cluster and FerretDB (as the tests do), fills one
collection with message-like documents (unique indexes as Circles declares them, and the GIN
mirrors of ``server/core/pgindex.py`` unless ``--no-gin``), then times, with the FerretDB and
PostgreSQL processes' CPU per operation: an exact ``_id`` lookup, a lookup on another indexed
field, an ``$in`` of 5 ids, and ``insert_many`` of 1 and 20 documents.

Why it exists: which query shapes FerretDB v1 lets PostgreSQL serve from an index (top-level
equality, with the GIN mirrors) and which scan (``$in``); see docs/architecture.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from bench import procstat
from server.core import pgindex
from server.core.mongo import Index
from tests.support import infra

Op = Callable[[int], Awaitable[Any]]


def doc(i: int) -> dict[str, Any]:
    return {
        "_id": f"m{i:09d}",
        "conversation_id": f"c{i % 10}",
        "seq": i,
        "page": i // 500,  # 50 documents of each conversation per page, as history stores them
        "client_key": f"c{i % 10}|u{i % 200}|{i}",
        "text": "bench message " * 4,
    }


async def measure(size: int, ops: int, log_dir: Path, gin: bool) -> list[tuple[str, float, float]]:
    tmp = infra.temp_dir("circles-fdb-")  # the cluster's user must reach it
    try:
        ferret = infra.start_ferretdb(tmp, log_dir)
        try:
            client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(ferret.url)
            coll = client["bench"]["messages"]
            await coll.create_index([("client_key", 1)], unique=True)
            await coll.create_index([("conversation_id", 1), ("seq", 1)], unique=True)
            if gin:
                declared = {
                    "messages": [
                        Index([("client_key", 1)], "client_key", unique=True),
                        Index([("conversation_id", 1), ("seq", 1)], "conv_seq", equality=2),
                        Index([("conversation_id", 1), ("page", 1)], "conv_page", equality=2),
                    ]
                }
                await pgindex.mirror(ferret.extra["postgres_url"], "bench", declared)
            for start in range(0, size, 1000):
                await coll.insert_many([doc(i) for i in range(start, min(size, start + 1000))])
            plan = await client["bench"].command(
                "explain", {"find": "messages", "filter": {"_id": doc(0)["_id"]}}
            )
            print(f"  {size:>7} docs: plan for an _id lookup: {plan.get('queryPlanner')}")
            rng = random.Random(size)
            top = [size]

            def pick() -> int:
                return rng.randrange(size) if size else 0

            async def insert(n: int) -> None:
                first = top[0]
                top[0] += n
                await coll.insert_many([doc(i) for i in range(first, first + n)])

            async def newest_by_seq(_: int) -> Any:
                c = pick() % 10  # doc i is seq i of conversation c{i % 10}
                last = max(i for i in range(max(0, size - 10), size) if i % 10 == c)
                seqs = range(max(c, last - 490), last + 1, 10)
                lookups = (coll.find_one({"conversation_id": f"c{c}", "seq": s}) for s in seqs)
                return await asyncio.gather(*lookups)

            async def newest_page(_: int) -> Any:
                c = pick() % 10
                last = max(i for i in range(max(0, size - 10), size) if i % 10 == c)
                page = {"conversation_id": f"c{c}", "page": last // 500}
                return await coll.find(page).to_list()

            cases: list[tuple[str, Op]] = [
                ("find_one by _id", lambda _: coll.find_one({"_id": doc(pick())["_id"]})),
                (
                    "find_one by client_key",
                    lambda _: coll.find_one({"client_key": doc(pick())["client_key"]}),
                ),
                (
                    "find $in of 5 _ids",
                    lambda _: coll.find(
                        {"_id": {"$in": [doc(pick())["_id"] for _ in range(5)]}}
                    ).to_list(),
                ),
                (
                    "5 find_one by _id, gathered",
                    lambda _: asyncio.gather(
                        *(coll.find_one({"_id": doc(pick())["_id"]}) for _ in range(5))
                    ),
                ),
                (
                    "newest 50 of a conversation",
                    lambda _: coll.find(
                        {"conversation_id": f"c{pick() % 10}"}, sort=[("seq", -1)], limit=50
                    ).to_list(),
                ),
                ("newest 50 by seq, gathered", newest_by_seq),
                ("newest 50 as one page", newest_page),
                ("insert_many of 1", lambda _: insert(1)),
                ("insert_many of 20", lambda _: insert(20)),
            ]
            out = []
            for name, op in cases:
                n = ops if "insert" in name or size <= 5000 else max(5, ops // 5)
                pids = [ferret.popen.pid, *(p.popen.pid for p in ferret.companions)]
                cpu0, t0 = procstat.cpu_seconds(pids), time.perf_counter()
                for i in range(n):
                    await op(i)
                wall = (time.perf_counter() - t0) / n
                cpu = (procstat.cpu_seconds(pids) - cpu0) / n
                out.append((name, wall * 1e3, cpu * 1e3))
            await client.close()
            return out
        finally:
            ferret.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


async def amain(sizes: list[int], ops: int, gin: bool) -> None:
    log_dir = Path(tempfile.mkdtemp(prefix="circles-fdb-logs-"))
    results = {size: await measure(size, ops, log_dir, gin) for size in sizes}
    print(f"\n  {'operation':<26}" + "".join(f"{f'{s} docs':>22}" for s in sizes))
    print(f"  {'':<26}" + "".join(f"{'ms wall / ms db cpu':>22}" for _ in sizes))
    for row, (name, *_rest) in enumerate(results[sizes[0]]):
        cells = "".join(f"{results[s][row][1]:>12.2f} / {results[s][row][2]:<7.2f}" for s in sizes)
        print(f"  {name:<26}{cells}")


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.ferretdb", description=__doc__)
    p.add_argument("--sizes", default="0,5000,20000", type=lambda v: [int(x) for x in v.split(",")])
    p.add_argument("--ops", type=int, default=50)
    p.add_argument("--no-gin", action="store_true", help="without the GIN indexes")
    opts = p.parse_args()
    asyncio.run(amain(opts.sizes, opts.ops, not opts.no_gin))


if __name__ == "__main__":
    main()
