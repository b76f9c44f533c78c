"""Helpers for the discovery and following tests: unique slugs, listing, polling."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from tests.support.client import Api


def slug(prefix: str = "t") -> str:
    """A category or tag no other test uses (the tests share one server and database)."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


async def listing(api: Api, **params: Any) -> dict[str, Any]:
    resp = await api.get("/api/activities", params=params)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def ids(api: Api, **params: Any) -> list[str]:
    return [i["id"] for i in (await listing(api, **params))["items"]]


async def all_pages(api: Api, **params: Any) -> list[str]:
    found: list[str] = []
    cursor = None
    for _ in range(50):
        page = await listing(api, **params, **({"cursor": cursor} if cursor else {}))
        found += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return found
    raise AssertionError("paging did not end")


async def discover(api: Api, **params: Any) -> dict[str, list[dict[str, Any]]]:
    resp = await api.get("/api/discover", params=params)
    assert resp.status_code == 200, resp.text
    return {s["key"]: s["items"] for s in resp.json()["sections"]}


async def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll an async check until it returns something truthy (after-commit work is async)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        got = await check()
        if got or asyncio.get_running_loop().time() > deadline:
            return got
        await asyncio.sleep(0.1)
