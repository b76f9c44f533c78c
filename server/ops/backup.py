"""``python -m server.ops.backup [--output FILE]`` (scripts/backup): a backup of the embedded
store, running or stopped, in one file.

The file is a tar archive of ``manifest.json`` (what it holds), ``circles.pgdump`` (``pg_dump
--format=custom`` of the cluster's ``circles`` database: every FerretDB collection, its
metadata, the declared indexes and their GIN mirrors) and ``secret_key`` (DATA_DIR/secret_key,
when the server generated its key there rather than reading SECRET_KEY). ``pg_dump`` reads one
snapshot of the database, so a backup taken while the server writes is consistent: no message
without its conversation's counters, no sign-up half stored. The file is readable by its owner
only (it holds the secret key). With MONGODB_URL set the data lives in MongoDB: back it up
with ``mongodump`` (docs/deploy.md, "Backups and restore").
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from server.core.postgres import DATABASE, Cluster, ClusterError, find_pg_bin
from server.ops.cluster import Endpoint, reach
from server.settings import Settings

FORMAT = "circles-backup/1"
DUMP = "circles.pgdump"
KEY = "secret_key"
MANIFEST = "manifest.json"


class BackupError(RuntimeError):
    pass


def default_name(now: datetime) -> str:
    return f"circles-backup-{now.strftime('%Y%m%dT%H%M%SZ')}.tar"


def backup(settings: Settings, output: Path) -> dict[str, object]:
    """Write the backup of ``settings``' embedded store to ``output``; returns its manifest."""
    if not settings.embedded_db:
        raise BackupError(
            "MONGODB_URL is set: this server's data is in MongoDB (or a FerretDB of yours). "
            "Back it up with mongodump (or pg_dump of FerretDB's PostgreSQL database): see "
            "docs/deploy.md, 'Backups and restore'."
        )
    bin_dir = find_pg_bin(settings.postgres_bin)
    cluster = Cluster(settings.data_dir / "postgres", bin_dir)
    if not (cluster.data / "PG_VERSION").exists():
        raise BackupError(f"no embedded database in {settings.data_dir} (nothing to back up)")
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".circles-backup-") as tmp:
        dump = Path(tmp) / DUMP
        version = asyncio.run(dump_database(cluster, dump))
        key_file = settings.data_dir / KEY
        key = key_file.read_bytes() if key_file.exists() else None
        manifest: dict[str, object] = {
            "format": FORMAT,
            "store": "embedded-postgresql",
            "database": DATABASE,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "postgresql": version,
            "dump_bytes": dump.stat().st_size,
            "secret_key": key is not None,
        }
        partial = Path(tmp) / "backup.tar"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
            _add(tar, MANIFEST, json.dumps(manifest, indent=2).encode() + b"\n")
            tar.add(dump, arcname=DUMP)
            if key is not None:
                _add(tar, KEY, key)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, output)  # a file at ``output`` is always a whole backup
    return manifest


async def dump_database(cluster: Cluster, target: Path) -> str:
    """The database dumped into ``target``; returns PostgreSQL's version."""
    async with reach(cluster) as endpoint:
        version = await server_version(endpoint)
        await asyncio.to_thread(_dump, cluster.bin, endpoint, target)
    return version


def _dump(bin_dir: Path, endpoint: Endpoint, target: Path) -> None:
    """pg_dump of the Circles database into ``target`` (one snapshot)."""
    argv = [str(bin_dir / "pg_dump"), "--format=custom", f"--file={target}", DATABASE]
    done = subprocess.run(argv, env=endpoint.env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed ({done.returncode}): {done.stderr.strip()}")


async def server_version(endpoint: Endpoint) -> str:
    async with await psycopg.AsyncConnection.connect(endpoint.url()) as conn:
        row = await (await conn.execute("SHOW server_version")).fetchone()
    return str(row[0]) if row else "unknown"


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/backup", description=__doc__)
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        help="the backup file to write (default: ./circles-backup-<UTC time>.tar)",
    )
    args = parser.parse_args(argv)
    output = args.output or Path(default_name(datetime.now(UTC)))
    settings = Settings()
    try:
        manifest = backup(settings, output)
    except (BackupError, ClusterError) as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return 1
    key = "with" if manifest["secret_key"] else "WITHOUT (SECRET_KEY is set: keep it safe too)"
    print(
        f"backed up {settings.data_dir} to {output} ({manifest['dump_bytes']} bytes), {key} "
        "the secret key"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
