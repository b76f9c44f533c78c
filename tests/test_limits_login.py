"""Login limits per client address and per (address, handle), with backoff (issue 9, item 12).

The client address is the ASGI peer address. Test clients bind distinct loopback source
addresses (127.0.x.y all reach a server listening on 127.0.0.1), so each test attacks from an
address of its own. ``X-Forwarded-For`` counts only from a peer listed in ``TRUSTED_PROXIES``
(default: none).
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.support.client import PASSWORD, unique_handle
from tests.support.security_infra import Dedicated, start_dedicated

AUTH_PER_MINUTE = 20
FREE_FAILURES = 3
PROXY = "127.0.0.9"
LIMITS = {
    "RATE_LIMIT_AUTH_PER_MINUTE": str(AUTH_PER_MINUTE),
    "LOGIN_FAILURES_BEFORE_BACKOFF": str(FREE_FAILURES),
}
_addresses = (f"127.0.{a}.{b}" for a, b in itertools.product(range(20, 250), range(2, 250)))


@pytest.fixture(scope="module")
def login_server(stack: Any) -> Iterator[Dedicated]:
    d = start_dedicated(stack, **LIMITS)
    yield d
    d.proc.stop()


@pytest.fixture(scope="module")
def proxied_server(stack: Any) -> Iterator[Dedicated]:
    d = start_dedicated(stack, TRUSTED_PROXIES=PROXY, **LIMITS)
    yield d
    d.proc.stop()


@asynccontextmanager
async def client_from(
    base_url: str, address: str | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client whose connections come from ``address`` (a fresh one by default)."""
    transport = httpx.AsyncHTTPTransport(local_address=address or next(_addresses))
    async with httpx.AsyncClient(base_url=base_url, transport=transport, timeout=60) as http:
        yield http


async def registered(base_url: str) -> str:
    handle = unique_handle("real")
    async with client_from(base_url) as http:
        resp = await http.post(
            "/api/auth/register",
            json={"handle": handle, "password": PASSWORD, "display_name": "Real"},
        )
    assert resp.status_code == 201, resp.text
    return handle


async def login(
    http: httpx.AsyncClient, handle: str, password: str, **headers: str
) -> httpx.Response:
    return await http.post(
        "/api/auth/login", json={"handle": handle, "password": password}, headers=headers
    )


def retry_after(resp: httpx.Response) -> int:
    assert resp.status_code == 429, resp.text
    error = resp.json()["error"]
    assert error["code"] == "rate_limited", error
    seconds = error["details"]["retry_after"]
    assert isinstance(seconds, int) and seconds >= 1, error
    assert resp.headers["Retry-After"] == str(seconds)
    return seconds


async def fail_until_refused(http: httpx.AsyncClient, handle: str, most: int, **h: str) -> int:
    """Wrong passwords until the server refuses; returns how many were answered 401."""
    for tries in range(most + 1):
        resp = await login(http, handle, "wrong password " + uuid.uuid4().hex[:6], **h)
        if resp.status_code != 401:
            retry_after(resp)
            return tries
    raise AssertionError(f"{most + 1} wrong passwords in a row were all answered 401")


async def test_wrong_passwords_from_one_address_do_not_lock_out_the_real_user_elsewhere(
    login_server: Dedicated,
) -> None:
    handle = await registered(login_server.url)
    async with client_from(login_server.url) as attacker:
        # The attacker is stopped after a few guesses ...
        assert await fail_until_refused(attacker, handle, AUTH_PER_MINUTE) == FREE_FAILURES
        # ... even with the right password, from that address ...
        retry_after(await login(attacker, handle, PASSWORD))
    # ... while the real user, from another address, logs in at once.
    async with client_from(login_server.url) as real:
        resp = await login(real, handle, PASSWORD)
        assert resp.status_code == 200, resp.text


async def test_repeated_failures_back_off_longer_each_time(login_server: Dedicated) -> None:
    handle = await registered(login_server.url)
    async with client_from(login_server.url) as http:
        assert await fail_until_refused(http, handle, AUTH_PER_MINUTE) == FREE_FAILURES
        waits = [retry_after(await login(http, handle, "still wrong"))]
        for _ in range(2):
            assert waits[-1] <= 8, waits  # keeps the test short
            await asyncio.sleep(waits[-1] + 0.3)
            # One more guess is answered once the lock ends; the next lock is longer.
            assert (await login(http, handle, "wrong again")).status_code == 401
            waits.append(retry_after(await login(http, handle, "still wrong")))
        assert waits[0] < waits[1] < waits[2], waits
        # A successful login clears the failures of that address and handle.
        await asyncio.sleep(waits[-1] + 0.3)
        assert (await login(http, handle, PASSWORD)).status_code == 200
        assert (await login(http, handle, "a fresh mistake")).status_code == 401


async def test_spraying_many_handles_from_one_address_is_limited(
    login_server: Dedicated,
) -> None:
    real = await registered(login_server.url)
    # From 127.0.0.1, with a different X-Forwarded-For each time: without TRUSTED_PROXIES the
    # header is ignored, so every attempt counts against the one peer address.
    async with client_from(login_server.url, "127.0.0.1") as sprayer:
        statuses = []
        for i in range(AUTH_PER_MINUTE * 2):
            resp = await login(
                sprayer,
                unique_handle("victim"),
                "Summer2024!",
                **{"X-Forwarded-For": f"198.51.100.{i + 1}"},
            )
            statuses.append(resp.status_code)
            if resp.status_code == 429:
                retry_after(resp)
                break
        assert statuses[-1] == 429, statuses
        assert len(statuses) <= AUTH_PER_MINUTE + 1, statuses
        retry_after(await login(sprayer, real, PASSWORD, **{"X-Forwarded-For": "203.0.113.50"}))
    async with client_from(login_server.url) as elsewhere:
        assert (await login(elsewhere, real, PASSWORD)).status_code == 200


async def test_a_trusted_proxy_passes_on_the_client_address(proxied_server: Dedicated) -> None:
    handle = await registered(proxied_server.url)
    async with client_from(proxied_server.url, PROXY) as proxy:
        attacker = {"X-Forwarded-For": "203.0.113.7"}
        assert await fail_until_refused(proxy, handle, AUTH_PER_MINUTE, **attacker) == (
            FREE_FAILURES
        )
        retry_after(await login(proxy, handle, PASSWORD, **attacker))
        # The same proxy forwarding another client: that client logs in.
        resp = await login(proxy, handle, PASSWORD, **{"X-Forwarded-For": "203.0.113.8"})
        assert resp.status_code == 200, resp.text
        # A client that puts itself behind the attacker's address does not fool the proxy
        # (the proxy appends the real peer; the rightmost untrusted entry counts).
        spoofed = {"X-Forwarded-For": "203.0.113.7, 203.0.113.9"}
        assert (await login(proxy, handle, PASSWORD, **spoofed)).status_code == 200
