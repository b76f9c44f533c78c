"""Operator injection and mass assignment (TESTING.md item 18).

The app runs in this process with a PyMongo command listener, so the test sees every command the
server sends to the database. Every field of every Socket.IO event and every JSON route (taken from
the app's own event and route tables, so new ones are covered as they are added) receives MongoDB
operator objects, arrays and nested objects: each is refused as ``invalid`` naming that field, and
none of them, nor any string a client sent, ever reaches a command as a key or a sub-document.
"""

from __future__ import annotations

import asyncio
import re
import types
import typing
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel

from tests.support.client import Api, Sock
from tests.support.security_infra import (
    InProcess,
    People,
    in_process_server,
    log_problems,
    walk,
)

CANARY = f"cnry{uuid.uuid4().hex[:10]}"
INJECTIONS: list[Any] = [
    {"$gt": ""},
    {"$ne": None},
    {"$where": "1"},
    {"$regex": ".*"},
    {"$in": [CANARY]},
    {"$exists": True},
    {"$expr": {"$eq": [1, 1]}},
    {"$function": {"body": "function() { return true }", "args": [], "lang": "js"}},
    ["$gt", ""],
    [{"$ne": None}],
    {f"{CANARY}key": {"$ne": None}},
    {"deep": {"deeper": {"$gt": ""}}},
]
MASS_ASSIGNMENT = {
    "role": "owner",
    "status": "confirmed",
    "seq": 1,
    "sender_id": "someone",
    "confirmed_count": 0,
    "_id": "chosen",
    "owner_id": "someone",
    "member_count": 1000,
}
FORBIDDEN_OPERATORS = {"$where", "$function", "$expr", "$accumulator"}
_LOC_SAFE = re.compile(r"[^A-Za-z0-9_.\[\]-]")  # as server/core/schemas.py names fields
ID = "abcdef0123456789"


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


SOON = datetime.now(UTC) + timedelta(days=3)
# Valid payloads, so that an injected field is the only thing wrong. Events and routes not listed
# here (added later) are still probed, starting from an empty payload.
EVENT_BASES: dict[str, dict[str, Any]] = {
    "conversations": {},
    "message:send": {"conversation_id": ID, "client_id": "c1", "text": "hi"},
    "message:edit": {"message_id": ID, "text": "hi"},
    "message:delete": {"message_id": ID},
    "history": {"conversation_id": ID, "before_seq": 5, "limit": 10},
    "sync": {"conversation_id": ID, "since_rev": 0, "limit": 10},
    "read": {"conversation_id": ID, "seq": 1},
    "typing": {"conversation_id": ID},
    "dm:open": {"user_id": ID},
    "activity:signup": {"activity_id": ID},
    "activity:cancel": {"activity_id": ID},
    "activity:accept_offer": {"activity_id": ID},
    "activity:decline_offer": {"activity_id": ID},
    "activity:reconfirm": {"activity_id": ID, "going": True},
}
ACTIVITY = {
    "title": "Hike",
    "description": "",
    "category": "outdoors",
    "tags": ["hiking"],
    "starts_at": iso(SOON),
    "ends_at": iso(SOON + timedelta(hours=2)),
    "location": {"name": "Trailhead", "address": "1 Forest Rd", "lat": 1.5, "lng": 2.5},
    "capacity": 10,
    "price": {"amount": 0, "currency": "EUR"},
    "signup_deadline": iso(SOON - timedelta(hours=1)),
}
ROUTE_BASES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/auth/register"): {
        "handle": "inj_never_created",
        "password": "long enough pw",
        "display_name": "X",
    },
    ("POST", "/api/auth/login"): {"handle": "nobody_here", "password": "long enough pw"},
    ("POST", "/api/circles"): {
        "name": "N",
        "description": "d",
        "category": "c",
        "tags": ["t"],
        "visibility": "public",
    },
    ("POST", "/api/circles/{id}/join"): {"invite": "x"},
    ("POST", "/api/circles/{id}/activities"): {
        **ACTIVITY,
        "offer_window_minutes": 30,
        "refund_cutoff_hours": 24,
    },
    ("PATCH", "/api/activities/{id}"): {**ACTIVITY, "refund_cutoff_hours": 24},
    ("POST", "/api/activities/{id}/cancel"): {"reason": "rain"},
    ("POST", "/api/activities/{id}/checkin"): {"code": "x"},
    ("POST", "/api/notifications/read"): {"ids": [ID]},
    ("POST", "/api/activities/{id}/payment"): {"provider": "manual"},
    ("POST", "/api/payments/{id}/proof"): {"reference": "r", "note": "n"},
    ("POST", "/api/payments/{id}/confirm"): {},
    ("POST", "/api/payments/{id}/reject"): {"reason": "no"},
    ("POST", "/api/payments/{id}/refunded"): {},
}


@pytest.fixture(scope="module")
async def app(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[InProcess]:
    async with in_process_server(
        stack.mongo_url, None, tmp_path_factory.mktemp("inproc")
    ) as running:
        yield running


@pytest.fixture(scope="module")
async def alice(app: InProcess) -> AsyncIterator[tuple[Api, Sock]]:
    people = People(app.url)
    api = await people.user("alice")
    yield api, await people.sock(api)
    await people.aclose()


# the payloads ------------------------------------------------------------------------------


def _unwrap(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """(the pydantic model inside an annotation, whether it is a list of it or of anything)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found, is_list = _unwrap(arg)
            if found is not None or is_list:
                return found, is_list
        return None, False
    if origin is list:
        return None, True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False


def field_paths(model: type[BaseModel], prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every field, nested models' fields and list elements included."""
    for name, info in model.model_fields.items():
        path = (*prefix, name)
        yield path
        inner, is_list = _unwrap(info.annotation)
        if inner is not None:
            yield from field_paths(inner, path)
        if is_list:
            yield (*path, 0)


def injected(base: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any] | None:
    """``base`` with ``value`` at ``path``, or None when the path's parent is not in ``base``."""
    out = _copy(base)
    node: Any = out
    for step in path[:-1]:
        if isinstance(node, dict) and isinstance(node.get(step), dict | list):
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
        else:
            return None
    last = path[-1]
    if isinstance(node, list):
        if not node:
            return None
        node[0] = value
    else:
        node[last] = value
    return out


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def probe(
    base: dict[str, Any], path: tuple[Any, ...], value: Any, known: bool
) -> tuple[dict[str, Any], tuple[Any, ...], bool]:
    """(payload, the field it must blame, whether nothing else may be blamed). A nested path
    whose parent the base lacks is probed at its top-level field instead."""
    payload = injected(base, path, value)
    if payload is None:
        return {**base, path[0]: value}, (path[0],), False
    return payload, path, known


def named(path: tuple[Any, ...]) -> str:
    return _LOC_SAFE.sub("_", ".".join(str(p) for p in path))


def check_refusal(error: dict[str, Any], path: tuple[Any, ...], exact: bool, what: str) -> None:
    assert error["code"] == "invalid", (what, error)
    fields = set(error["details"]["fields"])
    name = named(path)
    assert any(f == name or f.startswith(name + ".") for f in fields), (what, fields)
    if exact:  # the base payload was valid: nothing else is blamed
        assert all(f == name or f.startswith(name + ".") for f in fields), (what, fields)


# the recorded commands ---------------------------------------------------------------------


def offending(commands: list[tuple[str, dict[str, Any]]], sent: list[Any]) -> list[str]:
    """Where client input reached a database command: a forbidden operator, an injected object as
    a sub-document, or a client-made string (the canary) as a key."""
    shapes = [v for v in sent if isinstance(v, dict | list)]
    problems = []
    for name, command in commands:
        for path, value in walk(command):
            if isinstance(value, dict):
                for key in value:
                    if key in FORBIDDEN_OPERATORS or CANARY in key:
                        problems.append(f"{name}{path}: key {key!r}")
            if value in shapes:
                problems.append(f"{name}{path}: injected {value!r}")
    return problems


def test_the_recorder_would_catch_an_injection() -> None:
    """The checker itself can fail: it flags each kind of leak in a hand-made command."""
    leaks = [
        ("find", {"find": "users", "filter": {"handle": {"$gt": ""}}}),
        ("find", {"find": "users", "filter": {"$where": "1"}}),
        ("update", {"update": "x", "updates": [{"q": {f"{CANARY}key": 1}, "u": {}}]}),
        ("aggregate", {"pipeline": [{"$match": {"a": [{"$ne": None}]}}]}),
    ]
    for command in leaks:
        assert offending([command], INJECTIONS), command
    assert offending([("find", {"filter": {"_id": "x", "rev": {"$gt": 3}}})], INJECTIONS) == []


async def test_the_listener_sees_the_apps_commands(app: InProcess) -> None:
    start = len(app.recorder.commands)
    db = app.container.db
    try:
        await db["users"].find_one({"handle": {"$gt": ""}, "$where": "1"})
    except Exception:
        pass  # FerretDB refuses $where; the command was still sent and recorded
    caught = offending(app.recorder.commands[start:], INJECTIONS)
    assert any("$where" in p for p in caught) and any("injected" in p for p in caught)


# the tests ---------------------------------------------------------------------------------


async def test_every_event_field_refuses_operators_and_nothing_reaches_a_query(
    app: InProcess, alice: tuple[Api, Sock]
) -> None:
    _, sock = alice
    start = len(app.recorder.commands)
    events = app.container.events
    assert set(EVENT_BASES) <= set(events), set(EVENT_BASES) - set(events)
    probes = 0
    for event, entry in events.items():
        base = EVENT_BASES.get(event, {})
        known = event in EVENT_BASES
        for path in field_paths(entry.model):
            for value in INJECTIONS:
                payload, blamed, exact = probe(base, path, value, known)
                res = await sock.call(event, payload)
                assert res["ok"] is False, (event, path, value, res)
                check_refusal(res["error"], blamed, exact, f"{event} {path} {value!r}")
                probes += 1
        for field, value in MASS_ASSIGNMENT.items():
            if field in entry.model.model_fields:
                continue
            res = await sock.call(event, {**base, field: value})
            assert res["ok"] is False, (event, field, res)
            check_refusal(res["error"], (field,), known, f"{event} +{field}")
        for whole in INJECTIONS:  # the whole payload an operator object or array
            res = await sock.call(event, whole)
            assert res["ok"] is False and res["error"]["code"] == "invalid", (event, whole, res)
    assert probes > 200
    assert offending(app.recorder.commands[start:], INJECTIONS) == []
    assert log_problems("\n".join(r.getMessage() for r in app.logs)) == []


async def test_every_route_field_refuses_operators_and_nothing_reaches_a_query(
    app: InProcess, alice: tuple[Api, Sock]
) -> None:
    api, _ = alice
    start = len(app.recorder.commands)
    routes = [r for r in app.container.routes if r.body is not None and not r.raw_body]
    declared = {(r.method, r.path) for r in routes}
    assert set(ROUTE_BASES) <= declared, set(ROUTE_BASES) - declared
    for route in routes:
        base = ROUTE_BASES.get((route.method, route.path), {})
        known = (route.method, route.path) in ROUTE_BASES
        # every other path parameter a well-formed id too: a malformed one is not_found before
        # the body is read (e.g. .../holds/{hold_id}/approve)
        url = re.sub(r"{\w+}", ID, route.path.replace("{provider}", "sandbox"))
        cases = [(path, value) for path in field_paths(route.body) for value in INJECTIONS]
        probes = [probe(base, path, value, known) for path, value in cases]
        answers = await asyncio.gather(
            *[api.request(route.method, url, json=payload) for payload, _, _ in probes]
        )
        for (path, value), (_, blamed, exact), resp in zip(cases, probes, answers, strict=True):
            what = f"{route.method} {route.path} {path} {value!r}"
            assert resp.status_code == 422, (what, resp.status_code, resp.text)
            check_refusal(resp.json()["error"], blamed, exact, what)
        extras = [f for f in MASS_ASSIGNMENT if f not in route.body.model_fields]
        answers = await asyncio.gather(
            *[api.request(route.method, url, json={**base, f: MASS_ASSIGNMENT[f]}) for f in extras]
        )
        for field, resp in zip(extras, answers, strict=True):
            what = f"{route.method} {route.path} +{field}"
            assert resp.status_code == 422, (what, resp.status_code, resp.text)
            check_refusal(resp.json()["error"], (field,), known, what)
        answers = await asyncio.gather(
            *[api.request(route.method, url, json=whole) for whole in INJECTIONS]
        )
        for whole, resp in zip(INJECTIONS, answers, strict=True):
            assert resp.status_code == 422, (route.path, whole, resp.text)
    # Query strings: a bracketed key is never parsed into an operator object.
    for route in app.container.routes:
        if route.query is None:
            continue
        url = re.sub(r"{\w+}", ID, route.path)
        for name in route.query.model_fields:
            for key in (f"{name}[$ne]", f"{name}[$gt]", f"{name}[$regex]"):
                resp = await api.request(route.method, url, params={key: ".*"})
                assert resp.status_code == 422, (route.path, key, resp.text)
    # Path parameters carrying operators never reach a handler.
    for raw in ('{"$gt":""}', "$where", "[$ne]=1", "%24gt"):
        resp = await api.get(f"/api/circles/{raw}")
        assert resp.status_code == 404, (raw, resp.text)
    assert offending(app.recorder.commands[start:], INJECTIONS) == []
    assert log_problems("\n".join(r.getMessage() for r in app.logs)) == []


async def test_mass_assignment_creates_nothing(app: InProcess, alice: tuple[Api, Sock]) -> None:
    api, sock = alice
    circle = await api.create_circle("Mass assignment")
    conv = circle["conversation_id"]
    handle = f"mass_{uuid.uuid4().hex[:10]}"
    for field, value in MASS_ASSIGNMENT.items():
        reg = await api.post(
            "/api/auth/register",
            {"handle": handle, "password": "long enough pw", "display_name": "M", field: value},
            token="",
        )
        assert reg.status_code == 422 and field in reg.json()["error"]["details"]["fields"]
        made = await api.post(
            "/api/circles", {"name": f"mass {field}", "category": "c", field: value}
        )
        assert made.status_code == 422 and field in made.json()["error"]["details"]["fields"]
        sent = await sock.call(
            "message:send", {"conversation_id": conv, "client_id": field, "text": "x", field: value}
        )
        assert sent["ok"] is False and field in sent["error"]["details"]["fields"]
    login = await api.post(
        "/api/auth/login", {"handle": handle, "password": "long enough pw"}, token=""
    )
    assert login.status_code == 401
    mine = (await api.get("/api/circles", params={"q": "mass"})).json()["circles"]
    assert [c["id"] for c in mine] == [circle["id"]]
    history = await sock.ok("history", {"conversation_id": conv})
    assert history["messages"] == []
    got = (await api.get(f"/api/circles/{circle['id']}")).json()["circle"]
    assert got["owner_id"] == api.id and got["member_count"] == 1 and got["my_role"] == "owner"


async def test_operator_lookalike_strings_are_stored_as_text_never_used_as_keys(
    app: InProcess, alice: tuple[Api, Sock]
) -> None:
    api, sock = alice
    start = len(app.recorder.commands)
    words = [f"${CANARY}", f"{CANARY}.field", f"$where{CANARY}", f'{{"$ne": null}} {CANARY}']
    circle = await api.create_circle(words[0], description=words[1])
    conv = circle["conversation_id"]
    for i, word in enumerate(words):
        sent = await sock.ok(
            "message:send", {"conversation_id": conv, "client_id": f"{word}"[:64], "text": word}
        )
        assert sent["message"]["text"] == word
        edited = await sock.ok(
            "message:edit", {"message_id": sent["message"]["id"], "text": word + " (edited)"}
        )
        assert edited["message"]["text"] == word + " (edited)"
        found = (await api.get("/api/circles", params={"q": word})).json()["circles"]
        assert [c["id"] for c in found] == ([circle["id"]] if i == 0 else [])
    history = await sock.ok("history", {"conversation_id": conv})
    assert [m["text"] for m in history["messages"]] == [w + " (edited)" for w in words]
    problems = [p for p in offending(app.recorder.commands[start:], INJECTIONS) if "key" in p]
    assert problems == []
    # The words did reach the database, as values: the check above looked at the right commands.
    values = [v for _, c in app.recorder.commands[start:] for _, v in walk(c)]
    assert words[0] in values and words[3] in values
