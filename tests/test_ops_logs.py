"""Structured logs (issue 16, item 5): with LOG_FORMAT=json every line the server writes is one
JSON object, HTTP lines carry their request id and socket events their sid and user id, and no
password, token or message text is ever written."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx

from tests.support.chat import circle_with, say
from tests.support.client import PASSWORD, Sock, register
from tests.support.security_infra import start_dedicated


def lines_of(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            parsed = json.loads(line)
        except json.JSONDecodeError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
        assert isinstance(parsed, dict), line
        for key in ("ts", "level", "logger", "msg"):
            assert key in parsed, (key, line)
        out.append(parsed)
    return out


async def test_json_lines_with_ids_and_no_secrets(stack):
    dedicated = start_dedicated(stack, LOG_LEVEL="info", LOG_FORMAT="json")
    url = dedicated.url
    secret_text = f"my api key is sk_live_{uuid.uuid4().hex}"
    wrong_password = f"not-my-password-{uuid.uuid4().hex}"
    query_secret = f"qs{uuid.uuid4().hex}"  # a client may put a key in the socket's URL
    try:
        alice = await register(url, "alice")
        bob = await register(url, "bob")
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            login = await http.post(
                "/api/auth/login", json={"handle": alice.user["handle"], "password": PASSWORD}
            )
            assert login.status_code == 200, login.text
            token = login.json()["token"]
            failed = await http.post(
                "/api/auth/login",
                json={"handle": alice.user["handle"], "password": wrong_password},
            )
            assert failed.status_code == 401, failed.text
            request_id = failed.headers["x-request-id"]
        conv = (await circle_with(alice, bob))["conversation_id"]
        sock = await Sock(f"{url}/?key={query_secret}", token).connect()
        try:
            sent = await say(sock, conv, secret_text)
            refused = await sock.call("typing", {"conversation_id": "nope"})
            assert refused["ok"] is False
        finally:
            await sock.close()
        await alice.aclose()
        await bob.aclose()
        await asyncio.sleep(0.5)  # the last lines are written after the answers
    finally:
        dedicated.proc.stop()

    text = dedicated.proc.log()
    lines = lines_of(text)
    assert lines, "the server logged nothing"

    http_lines = [x for x in lines if x["logger"] == "circles.access"]
    assert {x["request_id"] for x in http_lines} >= {request_id}
    failed_line = next(x for x in http_lines if x["request_id"] == request_id)
    assert failed_line | {"ms": 0, "ts": ""} == {
        "ts": "",
        "level": "info",
        "logger": "circles.access",
        "msg": "http",
        "request_id": request_id,
        "method": "POST",
        "route": "/api/auth/login",
        "status": 401,
        "ms": 0,
    }
    assert all(len(x["request_id"]) == 16 for x in http_lines)
    assert len({x["request_id"] for x in http_lines}) == len(http_lines), "ids are per request"

    event_lines = [x for x in lines if x["logger"] == "circles.events"]
    send = next(x for x in event_lines if x["event"] == "message:send")
    assert send["outcome"] == "ok" and send["user_id"] == alice.id and send["sid"]
    assert any(x["event"] == "typing" and x["outcome"] != "ok" for x in event_lines)
    assert all(x["sid"] and x["user_id"] == alice.id for x in event_lines)
    for what in ("socket connected", "socket disconnected"):
        assert [(x["sid"], x["user_id"]) for x in lines if x["msg"] == what] == [
            (send["sid"], alice.id)
        ], what

    for secret in (PASSWORD, wrong_password, token, alice.token, bob.token, secret_text,
                   sent["text"], "sk_live_", query_secret):  # fmt: skip
        assert secret not in text, f"{secret[:12]}... is in the server log"
