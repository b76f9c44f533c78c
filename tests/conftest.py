"""Shared fixtures: real FerretDB, Redis and server processes, and clients that talk to them."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support import infra
from tests.support.client import Api, Sock, register
from tests.support.security_infra import InProcess, People, in_process_server

ARTIFACTS = infra.ROOT / "test-artifacts"
LOGS = ARTIFACTS / "logs"

FAST_LIMITS = {
    "SEED_DEMO": "0",
    "RATE_LIMIT_AUTH_PER_MINUTE": "1000000",
    "RATE_LIMIT_MESSAGES_PER_MINUTE": "1000000",
    "RATE_LIMIT_SCALE": "1000",  # every other per-user budget, 1000 times the production one
    "PRESENCE_GRACE_SECONDS": "0.5",
    # argon2id at its cheapest allowed cost: the suite registers thousands of users
    "PASSWORD_TIME_COST": "1",
    "PASSWORD_MEMORY_KIB": "8192",
    "LOG_LEVEL": "warning",
    # The test provider is off unless enabled (production default: manual only).
    "PAYMENT_PROVIDERS": "manual,sandbox",
    # No join/leave system messages: tests count the messages of their conversations
    # (tests/test_system_messages.py turns them on).
    "MEMBER_NOTICE_SECONDS": "0",
    # Search indexes at once: tests that wait for the database to settle after a request must
    # not see a round written seconds later (tests/test_search.py tests the rounds).
    "SEARCH_INDEX_DELAY_SECONDS": "0",
    # The circle report's sweeper sweeps once at start-up only: its writes would come seconds
    # after a test's requests (tests/test_reports_circle.py and test_index_use.py run it fast).
    "REPORT_ROLLUP_SECONDS": "3600",
    # ... and when a test server sweeps, a message reaches the rollups at the next sweep
    # (tests/test_reports_rollup_cost.py tests the production default)
    "REPORT_CHAT_ROLLUP_SECONDS": "0",
    # Tests post paid activities without verifying anyone; tests/test_trust_*.py turn the gate
    # on for servers of their own.
    "PAID_ACTIVITIES_REQUIRE_VERIFICATION": "0",
}


class Clock:
    """The servers' clock offset (CIRCLES_CLOCK_FILE): tests move time instead of waiting."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0.0
        path.write_text("0")

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def advance(self, seconds: float) -> None:
        self.offset += seconds
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(repr(self.offset))
        os.replace(tmp, self.path)


class Stack:
    """The dependencies a test run shares: one PostgreSQL cluster with FerretDB on it, and
    Redis (or MONGODB_URL from outside). Modules that need a FerretDB of their own (to stop it,
    or to watch its queries) start one on the same cluster with ``ferretdb()``."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.clock = Clock(tmp / "clock")
        self.ferret: infra.Proc | None = None
        self.postgres: infra.Postgres | None = None
        self.postgres_url = ""
        if os.environ.get("MONGODB_URL"):
            self.mongo_url = os.environ["MONGODB_URL"]
        else:
            self.pg_dir = infra.temp_dir("circles-test-pg-")  # the cluster's user must reach it
            self.postgres = infra.start_postgres(self.pg_dir, LOGS)
            self.ferret = self.ferretdb()
            self.mongo_url = self.ferret.url
            self.postgres_url = self.ferret.extra["postgres_url"]
        self.redis = infra.start_redis(LOGS)
        self.redis_url = self.redis.url

    def ferretdb(self, settings: dict[str, str] | None = None) -> infra.Proc:
        """A FerretDB on a new database of the session's cluster (with per-database
        PostgreSQL ``settings``); its ``extra["postgres_url"]`` names that database."""
        assert self.postgres is not None, "needs the embedded stack, not MONGODB_URL"
        return infra.start_ferretdb(
            self.tmp / f"ferretdb_{uuid.uuid4().hex[:8]}",
            LOGS,
            postgres=self.postgres,
            settings=settings,
        )

    def server_env(self, db: str | None = None, redis: bool = True, **extra: str) -> dict[str, str]:
        env = {
            **FAST_LIMITS,
            "MONGODB_URL": self.mongo_url,
            "MONGODB_DB": db or f"t_{uuid.uuid4().hex[:12]}",
            "DATA_DIR": str(self.tmp / f"data_{uuid.uuid4().hex[:8]}"),
            "SECRET_KEY": "test-secret-key-for-the-whole-run",
            "PAYMENT_WEBHOOK_SECRET": "whsec_test",
            "DB_TIMEOUT_MS": "2000",
            "CIRCLES_CLOCK_FILE": str(self.clock.path),
            "SWEEP_INTERVAL_SECONDS": "0.2",
        }
        if self.postgres_url:
            env["FERRETDB_POSTGRESQL_URL"] = self.postgres_url
        if redis:
            env["REDIS_URL"] = self.redis_url
        env.update(extra)
        return env

    def start(self, **env: str) -> infra.Proc:
        return infra.start_server(env, LOGS)

    def stop(self) -> None:
        self.redis.stop()
        if self.ferret is not None:
            self.ferret.stop()
        if self.postgres is not None:
            self.postgres.stop()
            shutil.rmtree(self.pg_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    s = Stack(tmp_path_factory.mktemp("stack"))
    yield s
    s.stop()


@pytest.fixture(scope="session")
def server(stack: Stack) -> Iterator[infra.Proc]:
    """One Circles process (with Redis) shared by the tests that need no special setup."""
    proc = stack.start(**stack.server_env())
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
async def in_process(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[InProcess]:
    """The app served in this process, with Redis, for tests that watch or replace a piece of
    its container (a background job's rest, a model builder) while a client drives it."""
    async with in_process_server(
        stack.mongo_url, stack.redis_url, tmp_path_factory.mktemp("inproc")
    ) as running:
        yield running


@pytest.fixture
async def rollup_keeper(in_process: InProcess, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The in-process server's report rollup keeper, swept by the test alone (its periodic
    sweep stopped), chat news taken at every sweep."""
    keeper = in_process.container.rollups
    await keeper.stop()
    monkeypatch.setattr(keeper, "_chat_every", 0.0)
    return keeper


@pytest.fixture
async def in_process_people(in_process: InProcess) -> AsyncIterator[People]:
    """Users and sockets of the in-process server, closed after the test."""
    people = People(in_process.url)
    yield people
    await people.aclose()


@pytest.fixture(scope="session")
def server_pair(stack: Stack) -> Iterator[tuple[infra.Proc, infra.Proc]]:
    """Two Circles processes sharing one database and one Redis."""
    env = stack.server_env()
    a = stack.start(**env)
    b = stack.start(**env)
    yield a, b
    a.stop()
    b.stop()


@pytest.fixture
def clock(stack: Stack) -> Clock:
    return stack.clock


UserFactory = Callable[..., Awaitable[Api]]


@pytest.fixture
async def make_user(server: infra.Proc) -> AsyncIterator[UserFactory]:
    made: list[Api] = []

    async def make(
        prefix: str = "user", base_url: str | None = None, display_name: str | None = None
    ) -> Api:
        api = await register(base_url or server.url, prefix, display_name)
        made.append(api)
        return api

    yield make
    for api in made:
        await api.aclose()


SockFactory = Callable[..., Awaitable[Sock]]


@pytest.fixture
async def make_sock(server: infra.Proc) -> AsyncIterator[SockFactory]:
    made: list[Sock] = []

    async def make(api: Api, base_url: str | None = None) -> Sock:
        sock = await Sock(base_url or server.url, api.token).connect()
        made.append(sock)
        return sock

    yield make
    for sock in made:
        await sock.close()


def pytest_sessionstart(session: Any) -> None:
    LOGS.mkdir(parents=True, exist_ok=True)
