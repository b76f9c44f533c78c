"""A refused request changes nothing (issue 9, item 2), for every HTTP route and client event.

One server with its own database and a small world in it (a public and a private circle, free,
full, cancelled and paid activities, payments in several states, messages, a DM). Each case of the
table below is a request that must be refused: a wrong actor, an invalid body, or a conflicting
state. The test reads every collection of the server's database directly before and after the
request (and a moment later, for work that runs after the answer) and requires them identical.
No collection is excluded: nothing in the database legitimately changes on a refused request
(rate-limit counters and presence live in Redis).

The table must cover the route table: a route in ``/openapi.json`` or an event in the server's
event table without a case (and not listed in ``NOT_REFUSABLE`` with a reason) fails the test.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.support.activities import iso, post_activity
from tests.support.client import Api, Sock
from tests.support.payments import deliver, event, signed
from tests.support.security_infra import Dedicated, People, start_dedicated
from tests.test_refusals_table import CASES, NOT_REFUSABLE, Case

SETTLE = 0.25  # seconds for work a handler left running after it answered


@dataclass
class World:
    """Who is who and the ids the table's placeholders name."""

    dedicated: Dedicated
    api: dict[str, Api] = field(default_factory=dict)
    sock: dict[str, Sock] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.dedicated.url

    def fill(self, value: Any) -> Any:
        """Placeholders like ``{A}`` in strings (also inside lists and objects) become ids."""
        if isinstance(value, str):
            return value.format(**self.ids) if "{" in value else value
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        return value


@pytest.fixture(scope="module")
def dedicated(stack: Any) -> Iterator[Dedicated]:
    d = start_dedicated(stack, HOLD_MINUTES="600")  # no hold runs out during the module
    yield d
    d.proc.stop()


async def _world(d: Dedicated, clock: Any) -> World:
    w = World(d)
    people = People(d.url)
    for name in ("owner", "alice", "bob", "carol", "dave", "wendy", "eve"):
        w.api[name] = await people.user(name)
        w.sock[name] = await people.sock(w.api[name])
    w.ids.update({f"{n}_id": a.id for n, a in w.api.items()})
    w.ids["owner_handle"] = w.api["owner"].user["handle"]
    w.ids["alice_handle"] = w.api["alice"].user["handle"]
    owner = w.api["owner"]
    public = await owner.create_circle("Refusals public")
    private = await owner.create_circle("Refusals private", visibility="private")
    invite = (await owner.post(f"/api/circles/{private['id']}/invites")).json()["invite"]
    w.ids["public_invite"] = (await owner.post(f"/api/circles/{public['id']}/invites")).json()[
        "invite"
    ]
    for name in ("alice", "bob", "carol", "dave", "wendy"):
        await w.api[name].join(public["id"])
    await w.api["alice"].join(private["id"], invite)
    w.ids.update(P=public["id"], Q=private["id"])
    w.ids.update(convP=public["conversation_id"], convQ=private["conversation_id"])
    now = clock.now()
    full = await post_activity(owner, public, now, capacity=2, title="Full")
    done = await post_activity(owner, public, now, capacity=1, title="Checked in")
    gone = await post_activity(owner, public, now, capacity=5, title="Called off")
    paid = await post_activity(
        owner, public, now, capacity=5, title="Paid", price={"amount": 500, "currency": "EUR"}
    )
    secret = await post_activity(owner, private, now, title="Secret")
    w.ids.update(A=full["id"], T=done["id"], X=gone["id"], M=paid["id"], Qa=secret["id"])
    for name, act in (("alice", "A"), ("bob", "A"), ("wendy", "A"), ("alice", "T")):
        await w.sock[name].ok("activity:signup", {"activity_id": w.ids[act]})
    ticket = (await w.api["alice"].get(f"/api/activities/{w.ids['T']}/ticket")).json()["code"]
    assert (
        await owner.post(f"/api/activities/{w.ids['T']}/checkin", {"code": ticket})
    ).status_code == 200
    assert (await owner.post(f"/api/activities/{w.ids['X']}/cancel", {})).status_code == 200
    for name in ("carol", "dave"):
        await w.sock[name].ok("activity:signup", {"activity_id": w.ids["M"]})
    manual = await w.api["carol"].post(
        f"/api/activities/{w.ids['M']}/payment", {"provider": "manual"}
    )
    sandbox = await w.api["dave"].post(
        f"/api/activities/{w.ids['M']}/payment", {"provider": "sandbox"}
    )
    assert manual.status_code == 201 and sandbox.status_code == 201, (manual.text, sandbox.text)
    w.ids.update(pm=manual.json()["payment"]["id"], ps=sandbox.json()["payment"]["id"])
    paid_event = await deliver(d.url, event(sandbox.json()["payment"]))
    assert paid_event.json()["outcome"] == "applied", paid_event.text
    sent = await w.sock["alice"].ok(
        "message:send", {"conversation_id": w.ids["convP"], "client_id": "c1", "text": "hi"}
    )
    w.ids["msg"] = sent["message"]["id"]
    w.ids["dm"] = (await w.sock["alice"].ok("dm:open", {"user_id": w.ids["bob_id"]}))[
        "conversation"
    ]["id"]
    w.ids["nosuch"] = "Zz9nosuchthing0000000000000000000"
    w.ids["start"] = iso(now + timedelta(days=3))
    w.ids["late"] = iso(now + timedelta(days=3, hours=5))
    w.ids["early"] = iso(now - timedelta(days=400))
    w._people = people  # type: ignore[attr-defined]
    return w


@pytest.fixture(scope="module")
async def world(dedicated: Dedicated, stack: Any) -> AsyncIterator[World]:
    w = await _world(dedicated, stack.clock)
    await settled(w)
    yield w
    await w._people.aclose()  # type: ignore[attr-defined]


async def snapshot(w: World | Dedicated) -> dict[str, list[dict[str, Any]]]:
    """Every document of every collection of the server's database, in ``_id`` order."""
    d = w.dedicated if isinstance(w, World) else w
    async with d.database() as db:
        out = {}
        for name in sorted(await db.list_collection_names()):
            docs = [d async for d in db[name].find({})]
            out[name] = sorted(docs, key=lambda d: repr(d["_id"]))
        return out


async def settled(w: World | Dedicated, timeout: float = 15) -> dict[str, list[dict[str, Any]]]:
    """Wait until the world's own after-effects (cards, notifications) are all written."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last = await snapshot(w)
    while True:
        await asyncio.sleep(0.5)
        now = await snapshot(w)
        if now == last:
            return now
        assert loop.time() < deadline, "the database never settled"
        last = now


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    out = []
    for name in sorted(set(before) | set(after)):
        old = {repr(d["_id"]): d for d in before.get(name, [])}
        new = {repr(d["_id"]): d for d in after.get(name, [])}
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                out.append(f"{name} {key}: {old.get(key)!r} -> {new.get(key)!r}"[:600])
    return out


async def send(w: World, case: Case) -> tuple[int | None, dict[str, Any]]:
    """Send the case's request; returns (HTTP status or None for an event, error object)."""
    body = case.body(w) if callable(case.body) else case.body
    if inspect.isawaitable(body):
        body = await body
    body = w.fill(body)
    if case.route.startswith("sio "):
        ack = await w.sock[case.who].call(case.route[4:], body)
        assert ack.get("ok") is False, ack
        return None, dict(ack["error"])
    method = case.route.split()[0]
    path = w.fill(case.path)
    async with httpx.AsyncClient(base_url=w.url, timeout=30) as http:
        headers = dict(case.headers)
        if case.who in w.api:
            headers["Authorization"] = f"Bearer {w.api[case.who].token}"
        content: bytes | None = None
        if case.signed:
            content, signature = signed(body)
            headers.update(signature)
        elif body is not ...:
            content = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        resp = await http.request(
            method, path, content=content, headers=headers, params=w.fill(case.params)
        )
    try:
        error = resp.json()["error"]
    except (ValueError, KeyError, TypeError):
        error = {"code": None, "body": resp.text[:200]}
    return resp.status_code, dict(error)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_a_refused_request_changes_nothing(world: World, case: Case) -> None:
    before = await snapshot(world)
    status, error = await send(world, case)
    assert error.get("code") == case.expect, (status, error)
    if case.reason is not None:
        assert (error.get("details") or {}).get("reason") == case.reason, error
    assert not differences(before, await snapshot(world)), differences(
        before, await snapshot(world)
    )
    await asyncio.sleep(SETTLE)
    late = differences(before, await snapshot(world))
    assert not late, late


async def test_every_route_and_event_has_a_refusal_case(world: World, stack: Any) -> None:
    async with httpx.AsyncClient(base_url=world.url) as http:
        paths = (await http.get("/openapi.json")).json()["paths"]
    routes = {f"{m.upper()} {p}" for p, ops in paths.items() for m in ops}
    events = {f"sio {name}" for name in await event_names(stack)}
    covered = {c.route for c in CASES}
    missing = sorted((routes | events) - covered - set(NOT_REFUSABLE))
    assert not missing, f"no refusal case for: {missing}"
    stale = sorted((covered | set(NOT_REFUSABLE)) - routes - events)
    assert not stale, f"cases for routes or events that do not exist: {stale}"


async def event_names(stack: Any) -> list[str]:
    """The server's own event table, as the container builds it (nothing is connected)."""
    from server.container import build
    from server.settings import Settings

    env = stack.server_env()
    settings = Settings(
        mongodb_url=env["MONGODB_URL"],
        mongodb_db=env["MONGODB_DB"],
        secret_key=env["SECRET_KEY"],
        data_dir=stack.tmp / "refusal-events",
        payment_providers=["manual", "sandbox"],
    )
    c = build(settings, env["MONGODB_URL"])
    try:
        return sorted(c.events)
    finally:
        await c.mongo.close()
