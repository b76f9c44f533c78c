"""``python -m server.ops.restore BACKUP`` (scripts/restore): a backup made by scripts/backup
restored into an empty DATA_DIR, with the server stopped.

It creates the cluster as the server's first start does (``initdb``, a new password), starts it
on a free loopback port, creates the ``circles`` database, ``pg_restore``s the dump into it in
one transaction (all or nothing), runs ANALYZE (a restore leaves the planner no statistics),
stops the cluster, and puts the secret key back at DATA_DIR/secret_key. The server then starts
on that DATA_DIR as on any other: it finds the cluster, seeds nothing (there are users), and
the old tokens and encrypted numbers are valid (same key). If a step fails, what the restore
created is removed, so it can be run again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import psycopg

from server.core.postgres import DATABASE, Cluster, ClusterError, ensure_database, find_pg_bin
from server.ops.backup import DUMP, FORMAT, KEY, MANIFEST
from server.ops.cluster import Endpoint, started
from server.settings import Settings


class RestoreError(RuntimeError):
    pass


def read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads(_member(tar, MANIFEST))
    except RestoreError:
        raise RestoreError("not a Circles backup (no manifest.json)") from None
    if manifest.get("format") != FORMAT:
        raise RestoreError(f"unknown backup format {manifest.get('format')!r} (need {FORMAT})")
    return manifest


def restore(settings: Settings, source: Path) -> dict[str, Any]:
    """Restore ``source`` into ``settings``' empty DATA_DIR; returns the backup's manifest."""
    if not settings.embedded_db:
        raise RestoreError(
            "MONGODB_URL is set: restore a MongoDB with mongorestore (docs/deploy.md, "
            "'Backups and restore'); this command restores the embedded store"
        )
    data_dir = settings.data_dir
    root, key_file = data_dir / "postgres", data_dir / KEY
    taken = [p for p in (root, key_file) if p.exists()]
    if taken:
        raise RestoreError(
            f"{data_dir} is not empty ({', '.join(str(p) for p in taken)} exists): stop the "
            "server and move the old DATA_DIR aside; a restore never overwrites data"
        )
    bin_dir = find_pg_bin(settings.postgres_bin)
    with tarfile.open(source) as tar, tempfile.TemporaryDirectory() as tmp:
        manifest = read_manifest(tar)
        dump = Path(tmp) / DUMP
        dump.write_bytes(_member(tar, DUMP))
        key = _member(tar, KEY) if manifest.get("secret_key") else None
        try:
            cluster = Cluster(root, bin_dir)
            cluster.prepare()  # initdb, as the server's first start does
            asyncio.run(load(cluster, dump))
            if key is not None:
                fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(key)
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            key_file.unlink(missing_ok=True)
            raise
    return manifest


def _member(tar: tarfile.TarFile, name: str) -> bytes:
    try:
        member = tar.extractfile(name)
    except KeyError:
        member = None
    if member is None:
        raise RestoreError(f"the backup holds no {name}")
    return member.read()


async def load(cluster: Cluster, dump: Path) -> None:
    """The dump restored into a new ``circles`` database of the (stopped) cluster."""
    async with started(cluster) as endpoint:
        await ensure_database(endpoint.url("postgres"), DATABASE)
        await asyncio.to_thread(_restore, cluster.bin, endpoint, dump)
        async with await psycopg.AsyncConnection.connect(endpoint.url(), autocommit=True) as conn:
            await conn.execute("ANALYZE")


def _restore(bin_dir: Path, endpoint: Endpoint, dump: Path) -> None:
    argv = [
        str(bin_dir / "pg_restore"),
        f"--dbname={DATABASE}",
        "--exit-on-error",
        "--single-transaction",
        # Objects belong to whoever restores them: the same role here, and any role elsewhere.
        "--no-owner",
        "--no-privileges",
        str(dump),
    ]
    done = subprocess.run(argv, env=endpoint.env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise RestoreError(f"pg_restore failed ({done.returncode}): {done.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/restore", description=__doc__)
    parser.add_argument("backup", type=Path, help="a file written by scripts/backup")
    args = parser.parse_args(argv)
    settings = Settings()
    try:
        manifest = restore(settings, args.backup)
    except (RestoreError, ClusterError, tarfile.TarError, OSError) as exc:
        print(f"restore failed: {exc}", file=sys.stderr)
        return 1
    print(f"restored {args.backup} (taken {manifest['created_at']}) into {settings.data_dir}")
    if not manifest.get("secret_key"):
        print(
            "the backup holds no secret key (SECRET_KEY was set): start the server with the "
            "same SECRET_KEY, or sessions and encrypted numbers are lost",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
