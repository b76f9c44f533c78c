"""``python -m server migrate --from-sqlite OLD_DATA_DIR``: copy an embedded SQLite store here.

Before the embedded database ran on PostgreSQL it was FerretDB v1 on SQLite, with its files in
``DATA_DIR/ferretdb``. This copies every collection of ``MONGODB_DB`` from such a store into the
database the server is configured for (the embedded one under ``DATA_DIR``, or ``MONGODB_URL``),
with the declared indexes (and their GIN mirrors) made first, then checks every collection: the
same number of documents, and the same checksum, a SHA-256 over each document's BSON as both
databases return it, in ``_id`` order.

The old files are not changed: they are copied to a temporary directory and read by a FerretDB
started there. Stop the old server first. Every target collection must be empty (a ``DATA_DIR``
that was never started, or started with ``SEED_DEMO=0``).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bson.raw_bson import RawBSONDocument
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from server.core import pgindex
from server.core.embedded import (
    EmbeddedDatabase,
    EmbeddedDatabaseError,
    find_ferretdb,
    free_port,
    wait_listening,
)
from server.core.mongo import Index, ensure_indexes, make_client
from server.core.postgres import guarded
from server.settings import Settings

log = logging.getLogger(__name__)
BATCH = 1000
Raw = AsyncCollection[RawBSONDocument]


class MigrationError(RuntimeError):
    pass


@dataclass
class Copied:
    collection: str
    source_count: int
    target_count: int
    source_sum: str
    target_sum: str

    @property
    def ok(self) -> bool:
        return self.source_count == self.target_count and self.source_sum == self.target_sum


def sqlite_files(old: Path) -> Path:
    """The directory holding the old store's ``*.sqlite`` files: ``OLD/ferretdb`` or ``OLD``."""
    for candidate in (old / "ferretdb", old):
        if any(candidate.glob("*.sqlite")):
            return candidate
    raise MigrationError(f"no FerretDB SQLite store (*.sqlite) in {old} or {old / 'ferretdb'}")


def _client(url: str) -> AsyncMongoClient[RawBSONDocument]:
    return AsyncMongoClient(
        url, document_class=RawBSONDocument, serverSelectionTimeoutMS=30_000, appname="migrate"
    )


async def checksum(collection: Raw) -> tuple[int, str]:
    """(count, SHA-256 of the documents' BSON in ``_id`` order), read in ``_id`` order."""
    digest = hashlib.sha256()
    count = 0
    async for doc in collection.find({}, sort=[("_id", 1)]):
        digest.update(doc.raw)
        count += 1
    return count, digest.hexdigest()


async def copy_collection(source: Raw, target: Raw) -> None:
    batch: list[RawBSONDocument] = []
    async for doc in source.find({}):
        batch.append(doc)
        if len(batch) >= BATCH:
            await target.insert_many(batch)
            batch = []
    if batch:
        await target.insert_many(batch)


async def migrate(
    source_url: str,
    target_url: str,
    db_name: str,
    declared: dict[str, list[Index]],
    postgres_url: str | None,
) -> list[Copied]:
    source, target = _client(source_url), _client(target_url)
    try:
        src_db, dst_db = source[db_name], target[db_name]
        names = sorted(await src_db.list_collection_names())
        if not names:
            raise MigrationError(f"the old store has no database {db_name!r}")
        for name in names:
            if await dst_db[name].find_one({}) is not None:
                raise MigrationError(f"{name} is not empty in the target database")
        await ensure_indexes(dst_db, declared, unique_only=bool(postgres_url))
        if postgres_url:
            await pgindex.mirror(postgres_url, db_name, declared)
        out = []
        for name in names:
            await copy_collection(src_db[name], dst_db[name])
            src_count, src_sum = await checksum(src_db[name])
            dst_count, dst_sum = await checksum(dst_db[name])
            out.append(Copied(name, src_count, dst_count, src_sum, dst_sum))
            log.info("%s: %d documents copied", name, dst_count)
        return out
    finally:
        await source.close()
        await target.close()


async def derive(target_url: str, db_name: str) -> int:
    """Fields and rows that queries rely on and the old store lacks (after the checksums): the
    activities' due hours, and the sign-ups' ``participations`` rows (written again whatever a
    start of the new store before the copy said of them). Returns how many activities were
    given a due hour."""
    from server.activities.repository import ActivityRepository

    client = make_client(target_url, 30_000)
    try:
        repo = ActivityRepository(client[db_name])
        flagged = (await repo.backfill_due_hours(everything=True))[0]
        await repo.rows_incomplete()
        read = await repo.backfill_participations()
        log.info("participations: the sign-ups of %d activities given their rows", read or 0)
        return flagged
    finally:
        await client.close()


def _sqlite_ferretdb(binary: str | None, directory: Path, port: int) -> subprocess.Popen[bytes]:
    """FerretDB v1 with its SQLite backend on the store copied into ``directory``."""
    argv = [find_ferretdb(binary), "--handler=sqlite", f"--sqlite-url=file:{directory}/"]
    argv += [f"--state-dir={directory}", f"--listen-addr=127.0.0.1:{port}", "--debug-addr=-"]
    argv += ["--telemetry=disable", "--log-level=warn"]
    with open(directory / "ferretdb.log", "ab") as out:
        return subprocess.Popen(
            guarded(argv, "TERM"),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


async def run(settings: Settings, old: Path) -> list[Copied]:
    from server.container import ALL_INDEXES

    files = sqlite_files(old)
    with tempfile.TemporaryDirectory(prefix="circles-migrate-") as tmp:
        for f in files.glob("*.sqlite*"):
            shutil.copy2(f, tmp)
        port = free_port()
        reader = _sqlite_ferretdb(settings.ferretdb_bin, Path(tmp), port)
        embedded = None
        try:
            await wait_listening(port, reader, 30)
            if settings.embedded_db:
                embedded = EmbeddedDatabase(
                    settings.data_dir, settings.ferretdb_bin, settings.postgres_bin
                )
                await embedded.start()
            target_url = settings.mongodb_url or (embedded.url if embedded else "")
            postgres_url = embedded.postgres_url if embedded else settings.ferretdb_postgresql_url
            copied = await migrate(
                f"mongodb://127.0.0.1:{port}/",
                target_url,
                settings.mongodb_db,
                ALL_INDEXES,
                postgres_url,
            )
            if all(c.ok for c in copied):
                flagged = await derive(target_url, settings.mongodb_db)
                log.info("activities: %d with a pending deadline given its due hour", flagged)
            return copied
        finally:
            if embedded is not None:
                await embedded.stop()
            reader.terminate()
            await asyncio.to_thread(reader.wait, 10)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m server migrate",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    parser.add_argument(
        "--from-sqlite",
        required=True,
        type=Path,
        metavar="OLD_DATA_DIR",
        help="the old DATA_DIR (or its ferretdb/ directory)",
    )
    args = parser.parse_args(argv)
    settings = Settings()
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        results = asyncio.run(run(settings, args.from_sqlite))
    except (MigrationError, EmbeddedDatabaseError) as exc:
        print(f"migration failed: {exc}", file=sys.stderr)
        sys.exit(1)
    width = max(len(r.collection) for r in results)
    for r in results:
        state = "ok" if r.ok else "MISMATCH"
        print(
            f"{r.collection:<{width}}  {r.target_count:>9} of {r.source_count:>9}  "
            f"sha256 {r.target_sum[:16]}  {state}"
        )
    if not all(r.ok for r in results):
        print("migration failed: the copy differs from the source", file=sys.stderr)
        sys.exit(1)
    print(
        f"copied {len(results)} collections into {settings.mongodb_db}: counts and checksums match"
    )
