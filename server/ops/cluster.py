"""Reaching the embedded store's PostgreSQL cluster from an operator command.

A running server's cluster listens on a loopback port chosen at start; PostgreSQL writes it in
``postmaster.pid`` (its fourth line), so a command finds it there. A stopped DATA_DIR's cluster
is started by the command itself on a free loopback port for as long as it needs it, and
stopped after (fast shutdown); the server must not be started meanwhile (PostgreSQL's lock file
refuses a second postmaster on one data directory).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass

from server.core.embedded import free_port
from server.core.postgres import DATABASE, PG_USER, Cluster, wait_ready


@dataclass(frozen=True)
class Endpoint:
    """Where a cluster answers, and how to log in: for libpq's tools (environment) and psycopg."""

    cluster: Cluster
    port: int

    def env(self) -> dict[str, str]:
        # The password goes in the environment, never on a command line (ps shows those).
        return {
            **os.environ,
            "PGHOST": "127.0.0.1",
            "PGPORT": str(self.port),
            "PGUSER": PG_USER,
            "PGPASSWORD": self.cluster.password,
            "PGDATABASE": DATABASE,
        }

    def url(self, database: str = DATABASE) -> str:
        return self.cluster.url(self.port, database)


def running_port(cluster: Cluster) -> int | None:
    """The port of the postmaster serving ``cluster`` now, or None when none runs."""
    try:
        lines = (cluster.data / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # left by a crash: PostgreSQL itself replaces it on the next start
    except PermissionError:
        pass  # alive, run by the cluster's own user
    return port


@contextlib.asynccontextmanager
async def reach(cluster: Cluster) -> AsyncIterator[Endpoint]:
    """The running cluster, or the cluster started for the block and stopped after it."""
    port = running_port(cluster)
    if port is not None:
        yield Endpoint(cluster, port)
        return
    async with started(cluster) as endpoint:
        yield endpoint


@contextlib.asynccontextmanager
async def started(cluster: Cluster) -> AsyncIterator[Endpoint]:
    """``cluster`` (existing, stopped) started on a free loopback port for the block."""
    port = free_port()
    proc = cluster.spawn(port)
    try:
        await wait_ready(cluster.url(port, "postgres"), proc, cluster.log_path, 60)
        yield Endpoint(cluster, port)
    finally:
        await asyncio.to_thread(_stop, proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
