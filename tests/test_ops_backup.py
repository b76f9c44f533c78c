"""Backups of the embedded store (scripts/backup, scripts/restore; docs/deploy.md "Backups and
restore"): what a running server answers is answered the same by a server started on a wiped
DATA_DIR restored from its backup, sessions and passwords included."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tarfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import FAST_LIMITS, LOGS
from tests.support import infra
from tests.support.activities import post_activity
from tests.support.client import PASSWORD, Api, Sock, connect, register

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def data_dir() -> Iterator[Path]:
    path = infra.temp_dir("circles-backup-")  # the cluster's user must reach it
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def backup_file() -> Iterator[Path]:
    where = infra.temp_dir("circles-backup-file-")
    yield where / "circles.tar"
    shutil.rmtree(where, ignore_errors=True)


def env_for(data_dir: Path) -> dict[str, str]:
    # No SECRET_KEY: the server keeps the key it generates in DATA_DIR/secret_key.
    # Rollups kept every 0.3 s, so the lifecycle list is current before it is recorded.
    return {
        **FAST_LIMITS,
        "DATA_DIR": str(data_dir),
        "MONGODB_URL": "",
        "SECRET_KEY": "",
        "REPORT_ROLLUP_SECONDS": "0.3",
    }


def start(data_dir: Path, port: int | None = None) -> infra.Proc:
    return infra.start_server(env_for(data_dir), LOGS, port=port, timeout=120)


def script(name: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **env_for(data_dir)}
    return subprocess.run(
        [str(ROOT / "scripts" / name), *args], env=env, capture_output=True, text=True, timeout=300
    )


def stop(server: infra.Proc, data_dir: Path) -> None:
    """Stop the server and wait for its cluster's pid file to be gone (the file itself, not
    ``ops.cluster.running_port``: a stale one still in the way is what a wipe meets). A server
    that overruns its stop grace is killed, and its PostgreSQL (told of its parent's death) may
    then still be shutting down, removing its files, while the next step reads or wipes the
    DATA_DIR."""
    code = server.stop()
    pid_file = data_dir / "postgres" / "data" / "postmaster.pid"
    deadline = time.monotonic() + 60
    while pid_file.exists():
        assert time.monotonic() < deadline, f"cluster still up after the server stopped ({code})"
        time.sleep(0.1)


def wipe(data_dir: Path) -> None:
    for entry in data_dir.iterdir():
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def differences(a: Any, b: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """Where two answers differ, by path (readable where a bare ``==`` prints a truncated blob)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [
            d
            for k in sorted(a.keys() | b.keys())
            for d in differences(a.get(k), b.get(k), f"{path}.{k}")
        ]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in differences(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [(path, a, b)]


def check_archive(backup_file: Path, data_dir: Path) -> None:
    """The backup holds the dump and the server's generated key, and only its owner reads it."""
    with tarfile.open(backup_file) as tar:
        assert sorted(tar.getnames()) == ["circles.pgdump", "manifest.json", "secret_key"]
        key = tar.extractfile("secret_key")
        assert key is not None and key.read() == (data_dir / "secret_key").read_bytes()
    assert backup_file.stat().st_mode & 0o077 == 0


async def community(url: str) -> dict[str, Any]:
    """A circle with chat, a paid activity with a paid seat and a waitlist: what a backup must
    carry. Returns the clients and ids the test reads back."""
    owner, alice, bob = [await register(url, name) for name in ("owner", "alice", "bob")]
    circle = await owner.create_circle("Backed up")
    for member in (alice, bob):
        await member.join(circle["id"])
    socks = {name: await connect(url, api) for name, api in (("o", owner), ("a", alice))}
    conversation = circle["conversation_id"]
    for i, (who, text) in enumerate([("o", "welcome"), ("a", "hello all"), ("o", "see you")]):
        await socks[who].ok(
            "message:send", {"conversation_id": conversation, "client_id": f"m{i}", "text": text}
        )
    # A file (GridFS, in the same database) attached to a message.
    files = {"file": ("minutes.txt", b"Minutes: we meet on Saturday.\n" * 50, "text/plain")}
    stored = await owner.http.post(
        "/api/uploads",
        files=files,
        data={"conversation_id": conversation},
        headers={"Authorization": f"Bearer {owner.token}"},
    )
    assert stored.status_code == 201, stored.text
    upload = stored.json()["upload"]["id"]
    await socks["o"].ok(
        "message:send",
        {"conversation_id": conversation, "client_id": "file", "text": "", "attachments": [upload]},
    )
    act = await post_activity(
        owner, circle, datetime.now(UTC), capacity=1, price={"amount": 1500, "currency": "EUR"}
    )
    held = await socks["a"].ok("activity:signup", {"activity_id": act["id"]})
    assert held["signup"]["status"] == "pending_payment"
    paying = await alice.post(f"/api/activities/{act['id']}/payment", {"provider": "sandbox"})
    assert paying.status_code == 201, paying.text
    payment = paying.json()["payment"]
    paid = await alice.post(f"/api/payments/{payment['id']}/sandbox/complete", {})
    assert paid.status_code == 200, paid.text
    sb = await connect(url, bob)
    waiting = await sb.ok("activity:signup", {"activity_id": act["id"]})
    assert waiting["signup"]["status"] == "waitlisted"
    for sock in (*socks.values(), sb):
        await sock.close()
    return {
        "users": {"owner": owner, "alice": alice, "bob": bob},
        "circle": circle,
        "activity": act["id"],
        "payment": payment["id"],
        "upload": upload,
    }


async def answers(url: str, made: dict[str, Any]) -> dict[str, Any]:
    """What the API answers about the community, read by its members with their old tokens."""
    users: dict[str, Api] = made["users"]
    owner, alice = users["owner"], users["alice"]
    circle = made["circle"]
    seen: dict[str, Any] = {}
    for name, api in users.items():
        async with httpx.AsyncClient(base_url=url) as http:
            me = await http.get("/api/me", headers={"Authorization": f"Bearer {api.token}"})
        assert me.status_code == 200, me.text
        seen[f"me:{name}"] = me.json()
    sock = await Sock(url, owner.token).connect()
    try:
        seen["history"] = await sock.ok(
            "history", {"conversation_id": circle["conversation_id"], "limit": 100}
        )
    finally:
        await sock.close()
    reads = {
        "activity:owner": (owner, f"/api/activities/{made['activity']}"),
        "activity:alice": (alice, f"/api/activities/{made['activity']}"),
        "payment": (alice, f"/api/payments/{made['payment']}"),
        "lifecycle": (owner, f"/api/circles/{circle['id']}/members/lifecycle"),
        "circle": (owner, f"/api/circles/{circle['id']}"),
        "upload": (alice, f"/api/uploads/{made['upload']}"),
    }
    for key, (api, path) in reads.items():
        async with httpx.AsyncClient(base_url=url) as http:
            resp = await http.get(path, headers={"Authorization": f"Bearer {api.token}"})
        assert resp.status_code == 200, (key, resp.text)
        seen[key] = resp.json() if key != "upload" else resp.content
        if key.startswith("activity:"):
            # Signed when answered (it carries the time): compared by what it opens, below.
            seen[key]["activity"].pop("calendar_url")
    return seen


async def calendar_urls(made: dict[str, Any], url: str) -> list[str]:
    """The activity's calendar links as its members read them, signed with the server's key."""
    links = []
    for api in (made["users"]["owner"], made["users"]["alice"]):
        async with httpx.AsyncClient(base_url=url) as http:
            resp = await http.get(
                f"/api/activities/{made['activity']}",
                headers={"Authorization": f"Bearer {api.token}"},
            )
        links.append(str(resp.json()["activity"]["calendar_url"]))
    return links


async def lifecycle_current(url: str, made: dict[str, Any]) -> None:
    """Until the rollups count every member's messages and sign-ups of today."""
    owner: Api = made["users"]["owner"]
    path = f"/api/circles/{made['circle']['id']}/members/lifecycle"
    for _ in range(100):
        found = (await owner.get(path)).json()
        if [m["stage"] for m in found["members"]] == ["activated"] * 3:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"rollups not current: {found}")


async def test_a_restored_data_dir_answers_as_the_backed_up_one(
    data_dir: Path, backup_file: Path
) -> None:
    server = start(data_dir)
    try:
        made = await community(server.url)
        await lifecycle_current(server.url, made)
        before = await answers(server.url, made)
        links = await calendar_urls(made, server.url)
        done = script("backup", data_dir, "--output", str(backup_file))  # server running
        assert done.returncode == 0, done.stderr
    finally:
        stop(server, data_dir)
    assert len(before["history"]["messages"]) >= 3
    assert before["activity:alice"]["my_signup"]["status"] == "confirmed"
    assert before["upload"].startswith(b"Minutes")
    check_archive(backup_file, data_dir)

    wipe(data_dir)
    done = script("restore", data_dir, str(backup_file))
    assert done.returncode == 0, done.stderr
    again = start(data_dir, server.port)  # the same address: answers carry links to it
    try:
        assert "first start" not in again.log()
        after = await answers(again.url, made)
        assert differences(before, after) == []
        async with httpx.AsyncClient(base_url=again.url) as http:
            login = await http.post(
                "/api/auth/login",
                json={"handle": made["users"]["bob"].user["handle"], "password": PASSWORD},
            )
        assert login.status_code == 200, login.text
        async with httpx.AsyncClient() as http:
            for link in links:  # signed before the backup, opened after the restore
                ics = await http.get(link)
                assert ics.status_code == 200 and "Saturday hike" in ics.text, ics.text
    finally:
        again.stop()
        for api in made["users"].values():
            await api.aclose()


async def every_message(url: str, api: Api, conversation: str) -> list[dict[str, Any]]:
    """The conversation's whole history, oldest first (history pages newest first)."""
    sock = await Sock(url, api.token).connect()
    found: list[dict[str, Any]] = []
    try:
        query: dict[str, Any] = {"conversation_id": conversation, "limit": 100}
        while True:
            page = await sock.ok("history", query)
            found = page["messages"] + found
            if not page["has_more"]:
                return found
            query["before_seq"] = page["messages"][0]["seq"]
    finally:
        await sock.close()


async def test_a_backup_taken_under_writes_is_a_snapshot_and_a_stopped_data_dir_backs_up(
    data_dir: Path, backup_file: Path
) -> None:
    """Messages acknowledged before the backup began are in it, nothing is in it that was not
    sent, and the restored server goes on numbering after it. The same DATA_DIR, stopped, is
    backed up by starting its cluster for the while: that backup holds every message. A restore
    into a DATA_DIR that holds data is refused and changes nothing."""
    server = start(data_dir)
    stopped_file = backup_file.with_name("stopped.tar")
    second = infra.temp_dir("circles-backup-second-")
    owner = await register(server.url, "owner")
    try:
        circle = await owner.create_circle("Busy")
        conversation = circle["conversation_id"]
        sock = await connect(server.url, owner)
        acked: list[str] = []
        writing, started = True, asyncio.Event()

        async def write() -> None:
            while writing:
                body = {"conversation_id": conversation, "client_id": f"w{len(acked)}", "text": "x"}
                acked.append((await sock.ok("message:send", body))["message"]["client_id"])
                if len(acked) == 20:
                    started.set()

        writer = asyncio.create_task(write())
        await started.wait()
        before = set(acked)
        done = await asyncio.to_thread(script, "backup", data_dir, "--output", str(backup_file))
        during = len(acked) - len(before)
        writing = False
        await writer
        await sock.close()
        assert done.returncode == 0, done.stderr
        assert during > 0  # the backup ran while messages were being written
    finally:
        stop(server, data_dir)

    key = (data_dir / "secret_key").read_bytes()
    refused = script("restore", data_dir, str(backup_file))
    assert refused.returncode == 1 and "not empty" in refused.stderr, refused.stderr
    assert (data_dir / "secret_key").read_bytes() == key
    assert (data_dir / "postgres" / "data" / "PG_VERSION").exists()

    pg_log = data_dir / "postgres" / "postgres.log"
    shutdowns = pg_log.read_text().count("database system is shut down")
    stopped = script("backup", data_dir, "--output", str(stopped_file))
    assert stopped.returncode == 0, stopped.stderr
    # It started the cluster for the while and shut it down cleanly after.
    assert pg_log.read_text().count("database system is shut down") == shutdowns + 1
    assert not (data_dir / "postgres" / "data" / "postmaster.pid").exists()

    try:
        # The backup taken under writes, restored beside the original.
        restored = script("restore", second, str(backup_file))
        assert restored.returncode == 0, restored.stderr
        again = start(second)
        try:
            found = await every_message(again.url, owner, conversation)
            ids = [m["client_id"] for m in found]
            seqs = [m["seq"] for m in found]
            assert before <= set(ids) <= set(acked)
            assert len(set(ids)) == len(ids) and seqs == sorted(set(seqs))
            sock = await connect(again.url, owner)
            body = {"conversation_id": conversation, "client_id": "after", "text": "next"}
            assert (await sock.ok("message:send", body))["message"]["seq"] > seqs[-1]
            await sock.close()
        finally:
            stop(again, second)

        # The stopped DATA_DIR's backup, restored into it wiped: every message.
        wipe(data_dir)
        restored = script("restore", data_dir, str(stopped_file))
        assert restored.returncode == 0, restored.stderr
        last = start(data_dir)
        try:
            found = await every_message(last.url, owner, conversation)
            assert [m["client_id"] for m in found] == acked
        finally:
            last.stop()
    finally:
        shutil.rmtree(second, ignore_errors=True)
        await owner.aclose()


def test_without_the_embedded_store_or_a_backup_the_commands_refuse_and_change_nothing(
    data_dir: Path, backup_file: Path
) -> None:
    """With MONGODB_URL set the data is MongoDB's (mongodump, docs/deploy.md); a file that is
    not a backup restores nothing; a DATA_DIR without a database has nothing to back up."""
    env = {"MONGODB_URL": "mongodb://127.0.0.1:9/"}
    for name, args in (("backup", ["--output", str(backup_file)]), ("restore", [str(backup_file)])):
        done = subprocess.run(
            [str(ROOT / "scripts" / name), *args],
            env={**os.environ, **env_for(data_dir), **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 1, (name, done.stderr)
        assert "MONGODB_URL is set" in done.stderr and "mongo" in done.stderr
    empty = script("backup", data_dir, "--output", str(backup_file))
    assert empty.returncode == 1 and "no embedded database" in empty.stderr, empty.stderr
    assert not backup_file.exists()
    with tarfile.open(backup_file, "w") as tar:
        tar.add(ROOT / "pyproject.toml", arcname="pyproject.toml")
    bogus = script("restore", data_dir, str(backup_file))
    assert bogus.returncode == 1 and "not a Circles backup" in bogus.stderr, bogus.stderr
    assert list(data_dir.iterdir()) == []  # nothing left behind by the refused restore
