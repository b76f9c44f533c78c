"""The embedded database: a supervised FerretDB (SQLite backend) whose files live under DATA_DIR."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmbeddedFerretDB:
    """Starts FerretDB on a free loopback port, restarts it if it dies, stops it on exit."""

    def __init__(self, data_dir: Path, binary: str | None) -> None:
        self.dir = (data_dir / "ferretdb").resolve()
        self.binary = find_ferretdb(binary)
        self.port = _free_port()
        self._proc: subprocess.Popen[bytes] | None = None
        self._watch: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    def _spawn(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        log_file = open(self.dir / "ferretdb.log", "ab")
        self._proc = subprocess.Popen(
            [
                self.binary,
                "--handler=sqlite",
                f"--sqlite-url=file:{self.dir}/",
                f"--state-dir={self.dir}",
                f"--listen-addr=127.0.0.1:{self.port}",
                "--debug-addr=-",
                "--telemetry=disable",
                "--log-level=warn",
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    async def start(self) -> None:
        self._spawn()
        await self._wait_ready()
        self._watch = asyncio.create_task(self._supervise())
        log.info("embedded FerretDB on %s, data in %s", self.url, self.dir)

    async def _wait_ready(self, limit: float = 30.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while loop.time() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise EmbeddedDatabaseError(
                    f"FerretDB exited with {self._proc.returncode}; see {self.dir / 'ferretdb.log'}"
                )
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.05)
        raise EmbeddedDatabaseError(f"FerretDB did not listen on {self.port} within {limit}s")

    async def _supervise(self) -> None:
        while not self._stopping:
            await asyncio.sleep(1.0)
            if self._proc is not None and self._proc.poll() is not None and not self._stopping:
                log.error("embedded FerretDB exited with %s; restarting", self._proc.returncode)
                self._spawn()
                try:
                    await self._wait_ready()
                except EmbeddedDatabaseError:
                    log.exception("embedded FerretDB failed to restart")

    async def stop(self) -> None:
        self._stopping = True
        if self._watch is not None:
            self._watch.cancel()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                await asyncio.to_thread(proc.wait, 10)
            except subprocess.TimeoutExpired:
                proc.kill()
