"""``python -m server migrate --from-sqlite``: an embedded store of the SQLite days, copied into
the PostgreSQL one, checked by counts and checksums, and served by the new server as it was."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from tests.conftest import FAST_LIMITS, LOGS
from tests.support import infra
from tests.support.activities import activity, post_activity
from tests.support.client import PASSWORD, Api, Sock, register

pytestmark = pytest.mark.slow
SECRET = {"SECRET_KEY": "migration-test-secret-key", "SEED_DEMO": "0"}


def start_sqlite_ferretdb(directory: Path) -> infra.Proc:
    """FerretDB v1 on SQLite, as the embedded database was before PostgreSQL."""
    directory.mkdir(parents=True, exist_ok=True)
    port = infra.free_port()
    argv = [infra.ferretdb_binary(), "--handler=sqlite", f"--sqlite-url=file:{directory}/"]
    argv += [f"--state-dir={directory}", f"--listen-addr=127.0.0.1:{port}", "--debug-addr=-"]
    argv += ["--telemetry=disable", "--log-level=warn"]
    popen, log_path = infra._spawn("ferretdb-sqlite", argv, LOGS)
    infra.wait_port(port, proc=popen)
    return infra.Proc("ferretdb", popen, log_path, port, f"mongodb://127.0.0.1:{port}/")


def digest(directory: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()


def migrate(old: Path, new: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **SECRET, "DATA_DIR": str(new)}
    env.pop("MONGODB_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "server", "migrate", "--from-sqlite", str(old)],
        env=env,
        cwd=infra.ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def dirs() -> Iterator[tuple[Path, Path]]:
    old, new = infra.temp_dir("circles-old-"), infra.temp_dir("circles-new-")
    yield old, new
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(new, ignore_errors=True)


async def test_sqlite_store_is_copied_checked_and_served_after_migration(
    dirs: tuple[Path, Path],
) -> None:
    old, new = dirs
    ferret = start_sqlite_ferretdb(old / "ferretdb")
    env = {**FAST_LIMITS, **SECRET, "MONGODB_URL": ferret.url, "DATA_DIR": str(old)}
    server = infra.start_server(env, LOGS)
    try:
        alice, bob = await register(server.url, "alice"), await register(server.url, "bob")
        circle = await alice.create_circle("Before the move")
        await bob.join(circle["id"])
        sock = await Sock(server.url, alice.token).connect()
        texts = [f"old message {i}" for i in range(7)]
        for text in texts:
            payload = {"conversation_id": circle["conversation_id"], "client_id": uuid.uuid4().hex}
            await sock.ok("message:send", {**payload, "text": text})
        await sock.close()
        price = {"amount": 900, "currency": "EUR"}
        act = await post_activity(alice, circle, datetime.now(UTC), capacity=1, price=price)
        sb = await Sock(server.url, bob.token).connect()
        held = (await sb.ok("activity:signup", {"activity_id": act["id"]}))["signup"]
        assert held["status"] == "pending_payment"  # a hold: the activity has a deadline
        await sb.close()
        await alice.aclose()
        await bob.aclose()
        server.stop()
        # as the SQLite-era server stored them: activities without due_hour, messages and
        # claims without pages (history and sync then read them by seq and by _id)
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(ferret.url)
        db = client["circles"]
        await db["activities"].update_many({}, {"$unset": {"due_hour": ""}})
        await db["messages"].update_many({}, {"$unset": {"page": "", "rev_page": ""}})
        await db["revs"].update_many({}, {"$unset": {"page": ""}})
        # ... and without the sign-ups' rows (nor the marker that says they are all written)
        await db.drop_collection("participations")
        await db["sweep_cursor"].delete_one({"_id": "participations"})
        await client.close()
    finally:
        server.stop()
        ferret.stop()
    before = digest(old)

    done = migrate(old, new)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "counts and checksums match" in done.stdout, done.stdout
    assert "messages" in done.stdout and "MISMATCH" not in done.stdout
    # the held seat's activity gets the hour the sweeper finds deadlines by
    assert "activities: 1 with a pending deadline given its due hour" in done.stderr, done.stderr
    assert "participations: the sign-ups of 1 activities given their rows" in done.stderr
    assert digest(old) == before  # the old store is read from a copy, never changed

    env = {**FAST_LIMITS, **SECRET, "MONGODB_URL": "", "DATA_DIR": str(new)}
    again = infra.start_server(env, LOGS, timeout=90)
    try:
        moved = Api(again.url, alice.token, alice.user)
        async with httpx.AsyncClient(base_url=again.url) as http:
            auth = {"Authorization": f"Bearer {alice.token}"}
            assert (await http.get("/api/me", headers=auth)).status_code == 200
            login = await http.post(
                "/api/auth/login", json={"handle": bob.user["handle"], "password": PASSWORD}
            )
            assert login.status_code == 200, login.text
        sock = await Sock(again.url, alice.token).connect()
        page = await sock.ok("history", {"conversation_id": circle["conversation_id"]})
        assert [m["text"] for m in page["messages"] if m["kind"] == "text"] == texts
        synced = await sock.ok(
            "sync", {"conversation_id": circle["conversation_id"], "since_rev": 0}
        )
        assert [m["text"] for m in synced["messages"] if m["kind"] == "text"] == texts
        payload = {"conversation_id": circle["conversation_id"], "client_id": uuid.uuid4().hex}
        sent = await sock.ok("message:send", {**payload, "text": "after the move"})
        assert sent["message"]["seq"] == page["messages"][-1]["seq"] + 1
        await sock.close()
        detail = (await activity(moved, act["id"]))["activity"]
        assert detail["held_count"] == 1, detail
        await moved.aclose()
    finally:
        again.stop()

    refused = migrate(old, new)  # the target is not empty any more
    assert refused.returncode == 1 and "not empty" in refused.stderr, refused.stderr
