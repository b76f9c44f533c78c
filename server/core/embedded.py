"""The embedded database: FerretDB v1 on a private PostgreSQL cluster under DATA_DIR, supervised.

Without MONGODB_URL the server starts PostgreSQL (``core/postgres.py``: ``DATA_DIR/postgres``,
created on the first start) and FerretDB (``--handler=postgresql``, state in
``DATA_DIR/ferretdb``), each on a free loopback port. It checks once a second that both are
alive and restarts whichever died, and stops FerretDB, then PostgreSQL, on shutdown. Both are
started so that the kernel signals them if the server dies without a shutdown (SIGKILL
included), so no database outlives its server.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Collection
from pathlib import Path

from server.core import pgindex
from server.core.postgres import DATABASE, Cluster, ClusterError, find_pg_bin, guarded, wait_ready
from server.core.postgres import ensure_database as create_database

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STARTED_GRACE_SECONDS = 0.5  # FerretDB that cannot bind its port exits well within this
INSTALL_HINT = (
    "Circles needs FerretDB v1.24.2 for its embedded database, and could not find it.\n"
    "Install it with `scripts/install-ferretdb` (needs Go; it builds "
    "github.com/FerretDB/FerretDB/cmd/ferretdb v1.24.2 into .tools/bin), or put a `ferretdb` "
    "binary on PATH, or set FERRETDB_BIN, or point MONGODB_URL at a MongoDB server."
)


class EmbeddedDatabaseError(RuntimeError):
    pass


def find_ferretdb(explicit: str | None) -> str:
    local = str(PROJECT_ROOT / ".tools" / "bin" / "ferretdb")
    candidates = [explicit, local, shutil.which("ferretdb")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise EmbeddedDatabaseError(INSTALL_HINT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def reserve_port(avoid: Collection[int] = ()) -> socket.socket:
    """A loopback port held until the process meant for it listens there: a socket bound to it
    (with SO_REUSEADDR, never listening), so the kernel hands it to nobody else in between,
    while PostgreSQL and FerretDB (both set SO_REUSEADDR) can still bind it. ``avoid``: ports
    chosen elsewhere but not bound yet (the server's own HTTP port binds after startup)."""
    while True:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        if s.getsockname()[1] not in avoid:
            return s
        s.close()


def ferretdb_command(binary: str, state_dir: Path, port: int) -> list[str]:
    """FerretDB on 127.0.0.1:``port`` on PostgreSQL; the PostgreSQL URL (with its password)
    goes in the environment as FERRETDB_POSTGRESQL_URL, not on the command line."""
    argv = [
        binary,
        "--handler=postgresql",
        f"--state-dir={state_dir}",
        f"--listen-addr=127.0.0.1:{port}",
        "--debug-addr=-",
        "--telemetry=disable",
        "--log-level=warn",
    ]
    return guarded(argv, "TERM")


async def wait_listening(port: int, proc: subprocess.Popen[bytes], limit: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while loop.time() < deadline:
        if proc.poll() is not None:
            raise EmbeddedDatabaseError(f"FerretDB exited with {proc.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise EmbeddedDatabaseError(f"FerretDB did not listen on {port} within {limit}s")


class EmbeddedDatabase:
    """PostgreSQL and FerretDB for one server process: start, watch, restart, stop."""

    def __init__(
        self,
        data_dir: Path,
        ferretdb_bin: str | None,
        postgres_bin: str | None,
        avoid_ports: Collection[int] = (),
    ) -> None:
        self.ferret_dir = (data_dir / "ferretdb").resolve()
        self.binary = find_ferretdb(ferretdb_bin)
        try:
            self.cluster = Cluster(data_dir / "postgres", find_pg_bin(postgres_bin))
        except ClusterError as exc:
            raise EmbeddedDatabaseError(str(exc)) from None
        self._reserved = [reserve_port(avoid_ports), reserve_port(avoid_ports)]
        self.pg_port, self.port = (int(s.getsockname()[1]) for s in self._reserved)
        self._pg: subprocess.Popen[bytes] | None = None
        self._ferret: subprocess.Popen[bytes] | None = None
        self._watch: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    @property
    def postgres_url(self) -> str:
        return self.cluster.url(self.pg_port, DATABASE)

    async def start(self) -> None:
        try:
            took = await asyncio.to_thread(self.cluster.prepare)
        except ClusterError as exc:
            raise EmbeddedDatabaseError(str(exc)) from None
        if took is not None:
            log.info(
                "first start: created the PostgreSQL cluster in %s in %.1fs",
                self.cluster.root,
                took,
            )
        try:
            await self._start_postgres()
            await create_database(self.postgres_url_of("postgres"), DATABASE)
            await pgindex.configure(self.postgres_url)  # before FerretDB opens its connections
            await self._start_ferretdb()
        except BaseException:
            await self.stop()
            raise
        self._watch = asyncio.create_task(self._supervise())
        log.info(
            "embedded FerretDB on %s, PostgreSQL on 127.0.0.1:%d, data in %s",
            self.url,
            self.pg_port,
            self.cluster.root.parent,
        )

    async def _start_postgres(self) -> None:
        # Spawned from the event loop's thread: the death signal follows the thread that forked.
        self._pg = self.cluster.spawn(self.pg_port)
        try:
            await wait_ready(self.postgres_url_of("postgres"), self._pg, self.cluster.log_path, 60)
        except ClusterError as exc:
            raise EmbeddedDatabaseError(str(exc)) from None

    def postgres_url_of(self, database: str) -> str:
        return self.cluster.url(self.pg_port, database)

    def _spawn_ferretdb(self) -> subprocess.Popen[bytes]:
        self.ferret_dir.mkdir(parents=True, exist_ok=True)
        with open(self.ferret_dir / "ferretdb.log", "ab") as out:
            return subprocess.Popen(
                ferretdb_command(self.binary, self.ferret_dir, self.port),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "FERRETDB_POSTGRESQL_URL": self.postgres_url},
                start_new_session=True,
            )

    async def _start_ferretdb(self) -> None:
        self._ferret = self._spawn_ferretdb()  # from the loop's thread, like PostgreSQL
        try:
            await wait_listening(self.port, self._ferret, 30)
            self._release()
            # Something else listening on the port (taken while it was not reserved) answers
            # the connection above while FerretDB fails to bind and exits: still running a
            # moment later means the listener is FerretDB.
            await asyncio.sleep(STARTED_GRACE_SECONDS)
            if self._ferret.poll() is not None:
                raise EmbeddedDatabaseError(
                    f"FerretDB exited with {self._ferret.returncode} right after starting"
                )
        except EmbeddedDatabaseError as exc:
            raise EmbeddedDatabaseError(f"{exc}; see {self.ferret_dir / 'ferretdb.log'}") from None

    async def _supervise(self) -> None:
        while not self._stopping:
            await asyncio.sleep(1.0)
            for name, proc, restart in (
                ("PostgreSQL", self._pg, self._start_postgres),
                ("FerretDB", self._ferret, self._start_ferretdb),
            ):
                if self._stopping or proc is None or proc.poll() is None:
                    continue
                log.error("embedded %s exited with %s; restarting", name, proc.returncode)
                try:
                    await restart()
                    log.warning("embedded %s restarted", name)
                except EmbeddedDatabaseError:
                    log.exception("embedded %s failed to restart; trying again", name)

    def _release(self) -> None:
        """Let go of the reserved ports (FerretDB listens on its own now, PostgreSQL long since:
        it starts first)."""
        for s in self._reserved:
            s.close()
        self._reserved = []

    async def stop(self) -> None:
        """FerretDB first (it holds PostgreSQL connections), then PostgreSQL (fast shutdown)."""
        self._stopping = True
        self._release()
        if self._watch is not None:
            self._watch.cancel()
        await _terminate(self._ferret, signal.SIGTERM, 10)
        await _terminate(self._pg, signal.SIGINT, 30)  # PostgreSQL's fast shutdown


async def _terminate(
    proc: subprocess.Popen[bytes] | None, sig: signal.Signals, grace: float
) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        await asyncio.to_thread(proc.wait, grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        await asyncio.to_thread(proc.wait, 5)
