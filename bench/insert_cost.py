"""What a writer batch costs the database, by the layout of the GIN mirrors.

    .venv/bin/python -m bench.insert_cost [--preload 20000] [--rounds 150] [--batch 43]

At the chat benchmark's saturation the writer is busy the whole time with batches of about 43
messages (docs/performance.md), and the database's CPU is the part of the machine the bare relay
does not need. This measures where that CPU goes. It starts FerretDB on PostgreSQL
(``tests/support/infra.py``) and, in one FerretDB database per layout, stores a batch the way
the server does (``MessageRepository.claim_many``, ``insert_batch``, then the search copies with
``SearchRepository.add_docs``) in 1,000 conversations, after ``--preload`` messages. Layouts:

- ``mirrors``: what ``core/pgindex.py`` makes, one GIN index per declared equality group;
- ``one GIN``: one multicolumn GIN index per collection over every field of those groups (a
  GIN index serves a condition on any subset of its columns);
- ``no GIN``: FerretDB's unique btrees only (every read would scan: the floor of an insert).

Beside the batch (and not counted in it), each layout also stores the batch's search copies
again with only the fields a search needs to find and order a message (``LEAN_FIELDS``), to see
what a document's fields cost against the document itself. The layouts take turns batch by
batch. Prints, per layout and step, the median and 90th
percentile wall time and the CPU FerretDB and PostgreSQL spent, and the totals against
``mirrors``. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from bench import procstat
from server.core import clock, pgindex
from server.core.ids import new_id
from server.core.mongo import Index, ensure_indexes, insert_new, make_client
from server.messages.models import NewMessage
from server.messages.repository import INDEXES as MESSAGE_INDEXES
from server.messages.repository import Claims, MessageRepository
from server.search.repository import INDEXES as SEARCH_INDEXES
from server.search.repository import Doc, SearchRepository, _row
from server.search.tokens import index_terms
from tests.support import infra

DECLARED: dict[str, list[Index]] = {
    "revs": MESSAGE_INDEXES["revs"],
    "messages": MESSAGE_INDEXES["messages"],
    "search_docs": SEARCH_INDEXES["search_docs"],
    "lean_copies": SEARCH_INDEXES["search_docs"],
}
LAYOUTS = ("mirrors", "one GIN", "no GIN")
STEPS = ("claims", "messages", "search copies")
# Not part of the batch: the search copies again with only the fields a search needs to find and
# order a message (its text would be read from the message), to see what a field costs.
LEAN = "lean copies"
LEAN_COLLECTION = "lean_copies"
LEAN_FIELDS = ("_id", "c", "rev", "s", "at", "terms")
CONVERSATIONS = 1000
TEXTS = [
    "see you at the park at ten, bring water and a hat",
    "who is driving on Saturday? I have two seats left",
    "the climbing gym opens at 7 tomorrow",
    "thanks everyone, great hike today!",
    "can someone share the photos from last week",
    "running late, start without me",
    "is the board game night still on for Friday?",
    "I'll bring snacks",
]


@dataclass
class Layout:
    name: str
    messages: MessageRepository
    search: SearchRepository
    wall: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in (*STEPS, LEAN)})
    ferret_cpu: dict[str, float] = field(default_factory=lambda: dict.fromkeys((*STEPS, LEAN), 0.0))
    pg_cpu: dict[str, float] = field(default_factory=lambda: dict.fromkeys((*STEPS, LEAN), 0.0))
    lean: Any = None  # the lean copies' collection


async def one_gin(url: str, schema: str) -> None:
    """One multicolumn GIN index per collection, over every field pgindex would index."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        tables = await pgindex._tables(conn, schema)
        for collection, groups in pgindex.equality_fields(DECLARED).items():
            fields = list(dict.fromkeys(f for group in groups for f in group))
            columns = sql.SQL(", ").join(
                sql.SQL("(_jsonb -> {}) jsonb_path_ops").format(sql.Literal(f)) for f in fields
            )
            await conn.execute(
                sql.SQL("CREATE INDEX ON {} USING gin ({})").format(
                    sql.Identifier(schema, tables[collection]), columns
                )
            )


def new_messages(n: int) -> list[NewMessage]:
    out = []
    for _ in range(n):
        conv = f"c{random.randrange(CONVERSATIONS):04d}"
        out.append(
            NewMessage(
                id=new_id(),
                conversation_id=conv,
                sender_id=f"u{random.randrange(20_000):05d}",
                sender_name="Someone",
                kind="text",
                text=random.choice(TEXTS),
                client_id=new_id(),
                created_at=clock.now(),
            )
        )
    return out


async def write(layout: Layout, n: int, timed: Callable[..., Awaitable[Any]] | None) -> None:
    """One batch as the writer and the search indexer store it."""
    batch = new_messages(n)
    by_conv: dict[str, list[str]] = {}
    for m in batch:
        by_conv.setdefault(m.conversation_id, []).append(m.id)
    claims = Claims()
    rows: list[tuple[NewMessage, int, int]] = []

    async def claim() -> None:
        await layout.messages.claim_many(by_conv, True, claims)
        made = {conv: iter(pairs) for conv, pairs in claims.made.items()}
        for m in batch:
            rev, seq = next(made[m.conversation_id])
            rows.append((m, seq, rev))

    async def store() -> None:
        await layout.messages.insert_batch(rows)

    docs: list[Doc] = []

    async def copy() -> None:
        docs[:] = [
            Doc(
                m.id, m.conversation_id, seq, rev, m.sender_id, m.sender_name, m.text,
                m.created_at, None, False, tuple(index_terms(m.text)),
            )
            for m, seq, rev in rows
        ]  # fmt: skip
        await layout.search.add_docs(docs)

    async def lean() -> None:
        rows = [{"_id": d.id, **_row(d)} for d in docs]
        await insert_new(layout.lean, [{k: r[k] for k in LEAN_FIELDS} for r in rows])

    for step, op in zip((*STEPS, LEAN), (claim, store, copy, lean), strict=True):
        await (timed(layout, step, op) if timed else op())


async def amain(opts: argparse.Namespace) -> None:
    tmp = infra.temp_dir("bench-insert-")
    loop = asyncio.get_running_loop()
    ferret = await loop.run_in_executor(None, infra.start_ferretdb, tmp / "ferretdb", tmp / "logs")
    url = ferret.extra["postgres_url"]
    client = make_client(ferret.url, 60_000)
    ferret_pid = ferret.popen.pid
    pg_pids = [c.popen.pid for c in ferret.companions]
    try:
        layouts = []
        for i, name in enumerate(LAYOUTS):
            schema = f"layout{i}"
            db = client[schema]
            await ensure_indexes(db, DECLARED, unique_only=True)
            if name == "mirrors":
                await pgindex.mirror(url, schema, DECLARED)
            elif name == "one GIN":
                await one_gin(url, schema)
            layouts.append(
                Layout(name, MessageRepository(db), SearchRepository(db), lean=db[LEAN_COLLECTION])
            )
        started = time.monotonic()
        for layout in layouts:
            for _ in range(opts.preload // 500):
                await write(layout, 500, None)
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute("VACUUM ANALYZE")
        print(
            f"{len(layouts)} layouts with {opts.preload:,} messages each in {CONVERSATIONS:,}"
            f" conversations ({time.monotonic() - started:.0f} s)"
        )

        def pg_cpu() -> float:
            return procstat.cpu_seconds(p for pid in pg_pids for p in procstat.descendants(pid))

        async def timed(layout: Layout, step: str, op: Callable[[], Awaitable[None]]) -> None:
            f0, p0 = procstat.cpu_seconds([ferret_pid]), pg_cpu()
            t0 = time.perf_counter()
            await op()
            layout.wall[step].append(time.perf_counter() - t0)
            layout.ferret_cpu[step] += procstat.cpu_seconds([ferret_pid]) - f0
            layout.pg_cpu[step] += pg_cpu() - p0

        for _ in range(opts.rounds):
            for layout in layouts:
                await write(layout, opts.batch, timed)
        report(layouts, opts)
    finally:
        await client.close()
        ferret.stop()


def report(layouts: list[Layout], opts: argparse.Namespace) -> None:
    n = opts.rounds
    print(
        f"\nbatches of {opts.batch} messages, {n} per layout, taking turns;"
        " ms per batch: wall p50 / p90, CPU of FerretDB + PostgreSQL"
    )
    print(f"{'layout':9} {'step':14} {'p50':>6} {'p90':>6} {'ferretdb':>9} {'postgres':>9}")
    totals: dict[str, float] = {}
    for layout in layouts:
        for step in (*STEPS, LEAN):
            xs = sorted(layout.wall[step])
            print(
                f"{layout.name:9} {step:14} {statistics.median(xs) * 1e3:6.2f}"
                f" {xs[int(len(xs) * 0.9)] * 1e3:6.2f}"
                f" {layout.ferret_cpu[step] / n * 1e3:9.2f} {layout.pg_cpu[step] / n * 1e3:9.2f}"
            )
        ferret = sum(layout.ferret_cpu[s] for s in STEPS) / n
        pg = sum(layout.pg_cpu[s] for s in STEPS) / n
        totals[layout.name] = ferret + pg
        print(
            f"{layout.name:9} {'batch':14} {'':6} {'':6} {ferret * 1e3:9.2f} {pg * 1e3:9.2f}"
            f"   database CPU {(ferret + pg) * 1e3:.2f} ms,"
            f" {(ferret + pg) / opts.batch * 1e6:.0f} µs per message,"
            f" FerretDB {ferret / (ferret + pg):.0%}"
        )
    base = totals["mirrors"]
    print("\ndatabase CPU per batch against mirrors: " + ", ".join(
        f"{name} {total / base:.2f}" for name, total in totals.items()
    ))  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preload", type=int, default=20_000, help="messages stored per layout first")
    p.add_argument("--rounds", type=int, default=150, help="timed batches per layout")
    p.add_argument("--batch", type=int, default=43, help="messages per batch")
    asyncio.run(amain(p.parse_args()))


if __name__ == "__main__":
    main()
