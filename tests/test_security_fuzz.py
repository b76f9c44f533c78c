"""Fuzzing (TESTING.md item 19).

- Schemathesis drives every operation of ``/openapi.json`` with schema-valid and schema-violating
  data: no 5xx, responses match the document, every error is ``{"error": {"code", "message"}}``.
- Raw JSON bodies carry what a JSON library would never produce (``1e309``, ``NaN``, 2^64, lone
  surrogates, deep nesting...) into every field of every JSON route.
- Hypothesis-generated payloads for every Socket.IO event: every ack is a structured answer.
- Hand-made malformed Socket.IO frames: answered or the connection closed, nothing else.
Afterwards the server's log shows no unhandled exception.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.client import PASSWORD, Api
from tests.support.security_infra import (
    Dedicated,
    LogMark,
    People,
    RawSock,
    event_frame,
    shared_dedicated,
)

CODES = {
    "bad_request": 400,
    "invalid": 422,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "rate_limited": 429,
    "unavailable": 503,
}
EVENT_FIELDS: dict[str, list[str]] = {
    "conversations": [],
    "message:send": ["conversation_id", "client_id", "text", "reply_to", "attachments"],
    "message:edit": ["message_id", "text"],
    "message:delete": ["message_id"],
    "reaction:add": ["message_id", "emoji"],
    "reaction:remove": ["message_id", "emoji"],
    "message:pin": ["message_id"],
    "message:unpin": ["message_id"],
    "pins": ["conversation_id"],
    "history": ["conversation_id", "before_seq", "limit"],
    "sync": ["conversation_id", "since_rev", "limit"],
    "read": ["conversation_id", "seq"],
    "typing": ["conversation_id"],
    "dm:open": ["user_id"],
    "activity:signup": ["activity_id"],
    "activity:cancel": ["activity_id"],
    "activity:accept_offer": ["activity_id"],
    "activity:decline_offer": ["activity_id"],
    "activity:reconfirm": ["activity_id", "going"],
}
NASTY_STRINGS = [
    "\ud800",  # a lone surrogate
    "a\udfffb",
    "nul\x00inside",
    "\u202eevil\u202c",  # bidi override
    "\u200b\u200d\ufeff",  # zero-width
    "e" + "\u0301" * 500,  # 500 combining marks
    "x" * 20_000,
    "",
    " ",
    "$gt",
    "../../etc/passwd",
    "<img src=x onerror=alert(1)>",
]
NASTY_NUMBERS = [float("inf"), float("-inf"), float("nan"), 2**64, -(2**63), 2**53 + 1, 1.0, -1, 0]


@pytest.fixture(scope="session")
def dedicated(stack: Any) -> Iterator[Dedicated]:
    d = shared_dedicated(stack)
    yield d
    d.proc.stop()


def structured_error(status: int, body: Any) -> None:
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error, dict) and {"code", "message"} <= set(error), body
    assert set(error) <= {"code", "message", "details"}, body
    assert isinstance(error["message"], str) and error["code"] in CODES, body
    assert CODES[error["code"]] == status, (status, body)
    assert isinstance(error.get("details", {}), dict), body


# Schemathesis -------------------------------------------------------------------------------

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def register_sync(base_url: str) -> tuple[str, str]:
    handle = f"fuzz_{uuid.uuid4().hex[:12]}"
    resp = httpx.post(
        base_url + "/api/auth/register",
        json={"handle": handle, "password": PASSWORD, "display_name": "Fuzz"},
        timeout=30,
    )
    assert resp.status_code == 201, resp.text
    return handle, str(resp.json()["token"])


def test_schemathesis_finds_no_server_error_and_only_structured_errors(
    dedicated: Dedicated,
) -> None:
    url = dedicated.url
    mark = LogMark(dedicated.proc)
    handle, token = register_sync(url)
    schema = schemathesis.openapi.from_url(url + "/openapi.json")
    failures: list[str] = []
    unsatisfiable: list[str] = []
    calls = 0
    started = time.monotonic()

    def fresh_token() -> str:
        resp = httpx.post(
            url + "/api/auth/login", json={"handle": handle, "password": PASSWORD}, timeout=30
        )
        return str(resp.json()["token"])

    def prober(operation: Any, mode: GenerationMode) -> Any:
        logout = operation.path == "/api/auth/logout"

        @settings(
            max_examples=3 if logout else 5,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def probe(case: Any) -> None:
            nonlocal calls
            headers = {}
            if not schema.is_security_param_negated(case):
                # Logging out revokes the token: that operation gets a token of its own.
                headers["Authorization"] = f"Bearer {fresh_token() if logout else token}"
            response = case.call(base_url=url, headers=headers, timeout=30)
            calls += 1
            case.validate_response(response, checks=CHECKS)
            if response.status_code >= 400:
                structured_error(response.status_code, response.json())

        return probe

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                prober(operation, mode)()
            except Unsatisfiable:
                # Nothing in the operation can be made schema-violating (e.g. a webhook whose only
                # parameter is a free string): only positive data exists for it.
                assert mode is GenerationMode.NEGATIVE, operation.path
                unsatisfiable.append(operation.path)
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a group
                label = f"{operation.method.upper()} {operation.path} [{mode.value}]"
                failures.append(f"{label}: {str(exc)[:1500]}")
    assert failures == [], "\n\n".join(failures)
    assert calls > 80, calls
    assert len(unsatisfiable) <= 2, unsatisfiable
    assert time.monotonic() - started < 120
    assert mark.problems() == []


# raw JSON bodies ----------------------------------------------------------------------------

# Never valid for any field: refused as `invalid`.
RAW_NEVER_VALID = [
    "1e309",
    "-1e309",
    "NaN",
    "Infinity",
    "-Infinity",
    str(2**64),
    "-9223372036854775809",
    "[" * 5000 + "]" * 5000,
    '{"$gt": ""}',
    '[{"$ne": null}]',
]
# Bad for most fields (a few accept some of them, e.g. `true` for a boolean): a 4xx, structured.
RAW_VALUES = [
    "1.0",
    "true",
    "null",
    '"1"',
    "[1]",
    '"\\ud800"',
    '"\\udfff\\ud800"',
    '"a\\u0000b"',
    '"\\u202e\\u2066x\\u2069"',
    '"e' + "\\u0301" * 500 + '"',
    '"' + "y" * 60_000 + '"',
    '{"unknown": {"deeper": [1, {"x": null}]}}',
]
HUGE_ARRAY = "[" + ",".join(["0"] * 20_000) + "]"  # sent once per route, in its first field
WHOLE_BODIES = [
    b"1e309",
    b"NaN",
    b"[" * 100_000 + b"]" * 100_000,
    b"[" * 30_000,
    b'"' + b"z" * 100_000 + b'"',
    b"\xff\xfe\x00",
    b'{"a":',
    b"",
    b"null",
    b"[]",
    b'"\\ud800"',
]


async def test_raw_json_bodies_are_refused_with_structured_errors(
    dedicated: Dedicated,
) -> None:
    people = People(dedicated.url)
    mark = LogMark(dedicated.proc)
    try:
        alice = await people.user("alice")
        async with httpx.AsyncClient(base_url=dedicated.url, timeout=30) as http:
            openapi = (await http.get("/openapi.json")).json()
            schemas = openapi["components"]["schemas"]
            headers = {"Authorization": f"Bearer {alice.token}", "content-type": "application/json"}
            probed = 0
            for path, methods in openapi["paths"].items():
                for method, op in methods.items():
                    body_schema = (
                        op.get("requestBody", {})
                        .get("content", {})
                        .get("application/json", {})
                        .get("schema")
                    )
                    if body_schema is None or "webhook" in path:
                        continue
                    name = body_schema["$ref"].rsplit("/", 1)[-1]
                    fields = list(schemas[name].get("properties", {}))
                    # every path parameter a well-formed id (a malformed one is not_found
                    # before the body is read, e.g. .../holds/{hold_id}/approve)
                    url = re.sub(r"{\w+}", "abc123", path)
                    cases = [(f, raw) for f in fields for raw in RAW_NEVER_VALID + RAW_VALUES]
                    cases += [(fields[0], HUGE_ARRAY)] if fields else []
                    answers = await asyncio.gather(
                        *[
                            http.request(
                                method,
                                url,
                                content=f'{{"{field}": {raw}}}'.encode(),
                                headers=headers,
                            )
                            for field, raw in cases
                        ]
                    )
                    for (field, raw), resp in zip(cases, answers, strict=True):
                        what = (method, path, field, raw[:40], resp.status_code)
                        if raw in RAW_NEVER_VALID:
                            assert resp.status_code == 422, what
                        assert resp.status_code < 500, what
                        if resp.status_code >= 400:
                            structured_error(resp.status_code, resp.json())
                        probed += 1
                    answers = await asyncio.gather(
                        *[
                            http.request(method, url, content=content, headers=headers)
                            for content in WHOLE_BODIES
                        ]
                    )
                    for content, resp in zip(WHOLE_BODIES, answers, strict=True):
                        assert 400 <= resp.status_code < 500, (method, path, content[:20])
                        structured_error(resp.status_code, resp.json())
        assert probed > 100
    finally:
        await people.aclose()
    assert mark.problems() == []


# Socket.IO events ---------------------------------------------------------------------------

scalars = st.one_of(
    st.sampled_from(NASTY_STRINGS),
    st.sampled_from(NASTY_NUMBERS),
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=[])),
    st.text(st.characters(exclude_categories=[]), max_size=10),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["$gt", "$ne", "$where", "a", "_id"]), inner, max_size=3),
    ),
    max_leaves=12,
)


def payloads(fields: list[str]) -> st.SearchStrategy[Any]:
    shaped = st.fixed_dictionaries(
        {}, optional={**{f: values for f in fields}, "extra": values, "$where": values}
    )
    return st.one_of(shaped, shaped, values)


def ack_is_structured(ack: Any) -> None:
    assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), ack
    if ack["ok"]:
        assert set(ack) == {"ok", "data"} and isinstance(ack["data"], dict), ack
    else:
        assert set(ack) == {"ok", "error"}, ack
        structured_error(CODES.get(ack["error"].get("code"), 0), {"error": ack["error"]})


def generated_payloads(event: str, fields: list[str], count: int) -> list[Any]:
    found: list[Any] = []

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(payloads(fields))
    def collect(payload: Any) -> None:
        encoded = json.dumps(payload)
        assume(len(encoded) < 50_000)  # below MAX_FRAME_BYTES: oversize frames are item 20
        found.append(payload)

    collect()
    return found


@pytest.fixture
async def room(dedicated: Dedicated) -> AsyncIterator[tuple[People, Api, Api, dict[str, Any]]]:
    people = People(dedicated.url)
    alice, bob = await people.user("alice"), await people.user("bob")
    circle = await alice.create_circle("Fuzz room")
    await bob.join(circle["id"])
    yield people, alice, bob, circle
    await people.aclose()


async def test_every_event_answers_every_generated_payload(
    dedicated: Dedicated, room: tuple[People, Api, Api, dict[str, Any]]
) -> None:
    people, alice, bob, circle = room
    mark = LogMark(dedicated.proc)
    conv = circle["conversation_id"]
    fuzzer = await people.sock(alice)
    bystander = await people.sock(bob)
    calls = 0
    names = [*EVENT_FIELDS, "no:such:event", "connect", "disconnect", "", "message", "x" * 500]
    for event in names:
        fields = EVENT_FIELDS.get(event, ["conversation_id", "text"])
        batch = generated_payloads(event, fields, 25)
        # Ids that exist, so that some payloads get past validation into the services.
        batch += [
            {"conversation_id": conv, "client_id": "\u202e" * 64, "text": "e" + "\u0301" * 3000},
            {"conversation_id": conv, "since_rev": 2**53, "limit": 500},
            {"conversation_id": conv, "seq": 2**53, "before_seq": 1},
            {"user_id": bob.id, "activity_id": conv, "going": False},
        ]
        acks = await asyncio.gather(*[fuzzer.sio.call(event, p, timeout=20) for p in batch])
        for payload, ack in zip(batch, acks, strict=True):
            try:
                ack_is_structured(ack)
            except AssertionError:
                raise AssertionError((event, payload, ack)) from None
        calls += len(batch)
    # A numeric event name, and events with no payload or several.
    for args in [(7, {}), ("history",), ("history", ({"conversation_id": conv}, {"x": 1}))]:
        ack_is_structured(await fuzzer.sio.call(*args, timeout=20))
    assert calls > 400
    # The fuzzing client is still connected and served; other clients were unaffected.
    sent = await fuzzer.ok(
        "message:send", {"conversation_id": conv, "client_id": uuid.uuid4().hex, "text": "still"}
    )
    await bystander.wait_for("message:new", lambda e: e["message"]["id"] == sent["message"]["id"])
    assert mark.problems() == []


# malformed frames ---------------------------------------------------------------------------

MALFORMED_FRAMES = [
    "42garbage",
    '42{"not": "a list"}',
    "4210[]",
    '4211["message:send"',
    "42" + "[" * 30_000 + "]" * 30_000,
    '42[["nested", "event name"], {}]',
    "43999[{}]",  # an ack for nothing
    '45-["x"]',  # a binary event with no attachments count
    "4",
    "4x",
    "49[]",
    '42/nope,12["conversations",{}]',  # an unknown namespace
    "4\x00",
]
# Not listed: an Engine.IO packet of unknown type (e.g. the frame "9"). python-engineio closes the
# connection but first logs "Unknown receive error" with an IndexError from its own log line
# (engineio/async_socket.py receive()); there is no hook for the server to intercept it.


async def test_malformed_frames_are_answered_or_closed_and_never_crash_a_handler(
    dedicated: Dedicated, room: tuple[People, Api, Api, dict[str, Any]]
) -> None:
    people, alice, bob, circle = room
    mark = LogMark(dedicated.proc)
    conv = circle["conversation_id"]
    bystander = await people.sock(bob)
    for frame in MALFORMED_FRAMES:
        async with RawSock.open(dedicated.url) as raw:
            assert (await raw.handshake({"token": alice.token})).startswith("40{")
            await raw.send(frame)
            # Then a well-formed event: answered if the connection survived the bad frame.
            await raw.send(event_frame(1, "conversations", {}))
            frames = await raw.frames_for(0.5)
            acks = [f for f in frames if f.startswith("431[")]
            if acks:
                ack_is_structured(json.loads(acks[0][3:])[0])
            else:  # an Engine.IO CLOSE packet, or the websocket itself closed
                assert "1" in frames or await raw.closed(5), (frame[:40], frames[-3:])
    assert mark.problems() == [], mark.text()[-3000:]
    # Other clients were unaffected.
    sock = await people.sock(alice)
    sent = await sock.ok("message:send", {"conversation_id": conv, "client_id": "ok", "text": "k"})
    await bystander.wait_for("message:new", lambda e: e["message"]["id"] == sent["message"]["id"])
