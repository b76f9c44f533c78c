"""Readiness and draining (issue 16, item 3): ``/readyz`` says whether a load balancer may send
this process new work, and a process told to stop (SIGTERM) first drains: not ready, refusing
new sockets, still answering the open ones."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support import infra
from tests.support.chat import circle_with, say
from tests.support.client import Sock, refused, register

LOGS = infra.ROOT / "test-artifacts" / "logs"
METRICS_TOKEN = "readyz-metrics"


async def counter(url: str, name: str, **labels: str) -> float:
    """The sum of a series' samples with these labels in /metrics (0 while it has none)."""
    async with httpx.AsyncClient(timeout=30) as http:
        resp = await http.get(
            url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        )
    assert resp.status_code == 200, resp.text
    return sum(
        float(s.value)
        for family in text_string_to_metric_families(resp.text)
        for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


async def readyz(url: str, timeout: float = 10) -> httpx.Response:
    async with httpx.AsyncClient(timeout=timeout) as http:
        return await http.get(url + "/readyz")


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not {what} after {timeout}s")
        await asyncio.sleep(0.2)


async def status_is(url: str, code: int) -> bool:
    try:
        return (await readyz(url, timeout=5)).status_code == code
    except httpx.HTTPError:
        return False


class Own:
    """A FerretDB and a Redis of this module's own, so stopping them breaks no other test."""

    def __init__(self, stack: Any, tmp: Path) -> None:
        self.ferret = stack.ferretdb()
        self.redis = infra.start_redis(LOGS)
        self.env = {
            **stack.server_env(redis=False),
            "MONGODB_URL": self.ferret.url,
            "FERRETDB_POSTGRESQL_URL": self.ferret.extra["postgres_url"],
            "REDIS_URL": self.redis.url,
            "DATA_DIR": str(tmp / f"data_{uuid.uuid4().hex[:8]}"),
            "METRICS_TOKEN": METRICS_TOKEN,
        }
        self.server = infra.start_server(self.env, LOGS)

    def close(self) -> None:
        self.server.stop()
        for dep in (self.redis, self.ferret):
            dep.resume()
            dep.stop()


@pytest.fixture(scope="module")
async def own(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Own]:
    o = Own(stack, tmp_path_factory.mktemp("readyz"))
    yield o
    o.close()


async def test_a_normal_server_is_ready_and_says_what_it_checked(server):
    resp = await readyz(server.url)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "status": "ready",
        "failing": [],
        "checks": {
            "database": "ok",
            "redis": "ok",
            "storage": "ok",
            "draining": "no",
        },
    }


async def test_not_ready_while_the_database_is_stopped_and_ready_again_after(own):
    assert (await readyz(own.server.url)).status_code == 200
    errors = "circles_db_errors_total"
    before = await counter(own.server.url, errors, kind="unavailable")
    own.ferret.pause()  # SIGSTOP: the database answers nothing
    try:
        # a request that needs the database is refused, and counted as a database error
        async with httpx.AsyncClient(timeout=60) as http:
            resp = await http.post(
                own.server.url + "/api/auth/login", json={"handle": "nobody", "password": "x" * 12}
            )
        assert resp.status_code == 503 and resp.json()["error"]["code"] == "unavailable"
        resp = await readyz(own.server.url)
        assert resp.status_code == 503, resp.text
        body = resp.json()
        assert body["status"] == "not_ready"
        assert body["failing"] == ["database"]
        assert body["checks"]["database"].startswith("failed"), body
        assert body["checks"]["redis"] == "ok"
        # alive all the same: the process is fine, its dependency is not
        assert own.server.popen.poll() is None
    finally:
        own.ferret.resume()
    await eventually(lambda: status_is(own.server.url, 200), 30, "ready again")
    assert await counter(own.server.url, errors, kind="unavailable") >= before + 1


async def test_not_ready_while_redis_is_down_and_ready_again_after(own):
    alice = await register(own.server.url, "alice")
    assert (await readyz(own.server.url)).status_code == 200
    before = await counter(own.server.url, "circles_redis_errors_total")
    own.redis.stop()
    try:
        # the request's budget is charged on Redis first: that failure is counted (and the
        # request decided locally)
        assert (await alice.get("/api/me")).status_code == 200
        resp = await readyz(own.server.url)
        assert resp.status_code == 503, resp.text
        assert resp.json()["failing"] == ["redis"]
        assert resp.json()["checks"]["database"] == "ok"
    finally:
        own.redis = infra.start_redis(LOGS, port=own.redis.port)
        await alice.aclose()
    await eventually(lambda: status_is(own.server.url, 200), 30, "ready again")
    assert await counter(own.server.url, "circles_redis_errors_total") >= before + 1


async def test_sigterm_drains_refusing_new_sockets_while_open_ones_are_answered(stack):
    drain, grace = 12.0, 3.0
    proc = stack.start(
        **stack.server_env(DRAIN_SECONDS=str(drain), SHUTDOWN_GRACE_SECONDS=str(grace))
    )
    alice = await register(proc.url, "alice")
    bob = await register(proc.url, "bob")
    old = await Sock(proc.url, alice.token).connect()
    try:
        conv = (await circle_with(alice, bob))["conversation_id"]
        await say(old, conv, "before the signal")

        proc.popen.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        await eventually(lambda: status_is(proc.url, 503), 5, "draining")
        body = (await readyz(proc.url)).json()
        assert body["failing"] == ["draining"] and body["checks"]["draining"] == "yes", body
        assert body["checks"]["database"] == "ok"

        # a new socket is refused with a reason the client can act on (try another process)
        refusal = await refused(proc.url, {"token": bob.token})
        assert refusal == {
            "message": "unavailable",
            "data": {"code": "unavailable", "reason": "draining"},
        }, refusal
        # the open socket is still served, and its send is stored
        sent = await say(old, conv, "during the drain")
        assert sent["text"] == "during the drain"
        assert time.monotonic() - signalled < drain, "the checks above outlasted the drain"
        assert proc.popen.poll() is None, "exited before its drain was over"

        try:
            code = await asyncio.to_thread(proc.popen.wait, drain + grace + 20)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running:\n{proc.log()[-3000:]}") from None
        took = time.monotonic() - signalled
        assert drain - 0.5 <= took <= drain + grace + 10, took
        assert code in (0, -signal.SIGTERM), code
    finally:
        await old.close()
        await alice.aclose()
        await bob.aclose()
        proc.stop()
