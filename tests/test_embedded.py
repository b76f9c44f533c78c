"""The embedded database: without MONGODB_URL the server runs PostgreSQL and FerretDB itself,
restarts them when they die, stops them on shutdown, and leaves none behind when it is killed."""

from __future__ import annotations

import asyncio
import errno
import os
import shutil
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.core.embedded import EmbeddedDatabase, EmbeddedDatabaseError
from tests.conftest import FAST_LIMITS, LOGS
from tests.support import infra
from tests.support.client import register

pytestmark = pytest.mark.slow


def children(pid: int) -> dict[int, str]:
    """Every live descendant of ``pid``: pid → command line."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found[child] = cmdline(child)
                frontier.append(child)
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def database_pids(server: infra.Proc) -> tuple[int, int, list[int]]:
    """(postmaster, ferretdb, every database process) under the server."""
    found = children(server.popen.pid)
    postmaster = next(p for p, cmd in found.items() if "/postgres -D " in cmd)
    ferret = next(p for p, cmd in found.items() if "ferretdb" in cmd)
    return postmaster, ferret, list(found)


async def healthy(url: str, timeout: float) -> float:
    start = time.monotonic()
    async with httpx.AsyncClient(timeout=2) as http:
        while True:
            try:
                if (await http.get(url + "/healthz")).status_code == 200:
                    return time.monotonic() - start
            except httpx.HTTPError:
                pass
            assert time.monotonic() - start < timeout, f"not healthy after {timeout}s"
            await asyncio.sleep(0.2)


@pytest.fixture
def data_dir() -> Iterator[Path]:
    path = infra.temp_dir("circles-embedded-")  # the cluster's user must reach it
    yield path
    shutil.rmtree(path, ignore_errors=True)


def start_embedded(data_dir: Path) -> infra.Proc:
    env = {**FAST_LIMITS, "DATA_DIR": str(data_dir), "LOG_LEVEL": "info", "SEED_DEMO": "0"}
    env["MONGODB_URL"] = ""  # unset: the embedded database
    return infra.start_server(env, LOGS, timeout=90)


async def test_sigkilled_server_leaves_no_database_process_behind(data_dir: Path) -> None:
    server = start_embedded(data_dir)
    try:
        assert "first start: created the PostgreSQL cluster" in server.log()
        postmaster, ferret, every = database_pids(server)
        assert len(every) >= 3  # postmaster, its helpers, ferretdb
        server.popen.send_signal(signal.SIGKILL)
        server.popen.wait(5)
        for _ in range(50):  # 5 s
            if not any(alive(p) for p in every):
                break
            await asyncio.sleep(0.1)
        left = {p: cmdline(p) for p in every if alive(p)}
        assert not left, f"still running after the server was killed: {left}"
    finally:
        server.stop(signal.SIGKILL)


async def test_data_survives_a_restart_without_a_new_initdb(data_dir: Path) -> None:
    server = start_embedded(data_dir)
    try:
        alice = await register(server.url, "alice")
        await alice.aclose()
    finally:
        server.stop()  # SIGTERM: a clean shutdown
    assert "Application shutdown complete" in server.log()
    assert "database system is shut down" in (data_dir / "postgres" / "postgres.log").read_text()
    again = start_embedded(data_dir)
    try:
        assert "first start" not in again.log()
        async with httpx.AsyncClient(base_url=again.url) as http:
            me = await http.get("/api/me", headers={"Authorization": f"Bearer {alice.token}"})
            assert me.status_code == 200, me.text
    finally:
        again.stop()


async def test_database_processes_that_die_are_restarted(data_dir: Path) -> None:
    server = start_embedded(data_dir)
    try:
        for which in ("ferretdb", "postgres"):
            postmaster, ferret, _ = database_pids(server)
            os.kill(ferret if which == "ferretdb" else postmaster, signal.SIGKILL)
            await asyncio.sleep(0.5)
            await healthy(server.url, timeout=30)
            # /healthz may answer (FerretDB's pool) a moment before the supervisor logs that the
            # restart is done: wait for the line rather than read the log once.
            line = f"embedded {'FerretDB' if which == 'ferretdb' else 'PostgreSQL'} restarted"
            for _ in range(300):
                if line in server.log():
                    break
                await asyncio.sleep(0.1)
            assert line in server.log()
        bob = await register(server.url, "bob")  # reads and writes work again
        await bob.aclose()
    finally:
        server.stop()


def test_chosen_ports_are_held_until_the_databases_listen(data_dir: Path) -> None:
    """Between choosing its ports and its databases listening on them (seconds on a first start,
    while initdb runs), nobody else is handed the ports, and they never coincide with each
    other or with the port the server is about to bind (CI once saw FerretDB fail to bind)."""
    avoid = {infra.free_port()}
    embedded = EmbeddedDatabase(data_dir, None, None, avoid)
    try:
        assert embedded.port != embedded.pg_port
        assert not {embedded.port, embedded.pg_port} & avoid
        for port in (embedded.port, embedded.pg_port):
            with socket.socket() as other, pytest.raises(OSError) as refused:
                other.bind(("127.0.0.1", port))
            assert refused.value.errno == errno.EADDRINUSE
    finally:
        asyncio.run(embedded.stop())


async def test_a_port_taken_by_another_listener_fails_the_start_clearly(data_dir: Path) -> None:
    """A listener that is not FerretDB answers the readiness probe while FerretDB exits for want
    of the port: the start fails with FerretDB's exit instead of serving a dead database."""
    embedded = EmbeddedDatabase(data_dir, None, None)
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", embedded.port))
        squatter.listen()
        with pytest.raises(EmbeddedDatabaseError, match="exited with 1 right after starting"):
            await embedded.start()
    assert embedded._pg is not None and embedded._pg.poll() is not None  # stopped, not left
