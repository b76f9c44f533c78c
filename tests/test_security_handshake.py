"""Handshake and token security (TESTING.md items 16 and 22).

Every token that is not a live session token of an existing user (garbage, tampered, signed with
another key, expired, minted for another purpose, revoked, of a deleted user) is refused, on the
Socket.IO handshake before any handler runs and on every authenticated HTTP route. Logout
disconnects every socket of that token on every server process. Passwords are stored as argon2id.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.client import PASSWORD, Api, refused
from tests.support.security_infra import (
    Dedicated,
    People,
    RawSock,
    event_frame,
    flip_char,
    log_problems,
    mint,
    session_claims,
    shared_dedicated,
)

REFUSED = {"message": "unauthorized", "data": {"code": "unauthorized"}}
DAY = 24 * 3600
MONTH = 31 * DAY  # more than the default SESSION_TTL_DAYS (30)


@pytest.fixture(scope="session")
def dedicated(stack: Any) -> Iterator[Dedicated]:
    """A server whose database these tests read and write directly."""
    d = shared_dedicated(stack)
    yield d
    d.proc.stop()


@pytest.fixture
async def people(dedicated: Dedicated) -> AsyncIterator[People]:
    p = People(dedicated.url)
    yield p
    await p.aclose()


async def login(base_url: str, handle: str) -> str:
    async with httpx.AsyncClient(base_url=base_url) as http:
        resp = await http.post("/api/auth/login", json={"handle": handle, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["token"])


async def accepted(api: Api, token: str) -> bool:
    return (await api.get("/api/me", token=token)).status_code == 200


def with_payload(token: str, payload: dict[str, Any]) -> str:
    """``token``'s timestamp and signature, with another payload: a forged token."""
    _, stamp, sig = token.rsplit(".", 2)
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body.decode().rstrip('=')}.{stamp}.{sig}"


def server_now(stack: Any) -> float:
    """The servers' clock (other tests may have moved it: tests/conftest.py ``Clock``)."""
    return float(stack.clock.now().timestamp())


async def bad_tokens(
    stack: Any, d: Dedicated, people: People, victim: Api, owner: Api
) -> dict[str, str]:
    """Every kind of token that must not authenticate, most of them carrying the victim's real
    user id and session id so that only the property under test differs from a good token."""
    claims = session_claims(victim.token)
    # Controls: the same claims, minted with the right key, purpose and a fresh timestamp, are a
    # working session token. So each refusal below is caused by the one thing that differs.
    assert await accepted(victim, mint("session", claims, issued_at=server_now(stack)))
    assert await accepted(victim, mint("session", claims, issued_at=server_now(stack) - 29 * DAY))

    private = await owner.create_circle("Invite source", visibility="private")
    invite = (await owner.post(f"/api/circles/{private['id']}/invites")).json()["invite"]

    revoked_token = await login(d.url, victim.user["handle"])
    assert (await victim.post("/api/auth/logout", token=revoked_token)).status_code == 204

    db_expired = await login(d.url, victim.user["handle"])
    ghost = await people.user("ghost")
    assert await accepted(ghost, ghost.token)
    async with d.database() as db:
        result = await db["sessions"].update_one(
            {"_id": session_claims(db_expired)["j"]},
            {"$set": {"expires_at": stack.clock.now() - timedelta(seconds=1)}},
        )
        assert result.modified_count == 1
        assert (await db["users"].delete_one({"_id": ghost.id})).deleted_count == 1

    other_jti = session_claims(owner.token)["j"]
    return {
        "garbage": "not-a-token",
        "empty": "",
        "overlong": "a" * 5000,
        "tampered_signature": flip_char(victim.token, len(victim.token) - 2),
        "tampered_payload": with_payload(victim.token, {"u": owner.id, "j": claims["j"]}),
        "wrong_key": mint(
            "session", claims, secret="some-other-secret-key", issued_at=server_now(stack)
        ),
        "expired": mint("session", claims, issued_at=server_now(stack) - MONTH),
        "invite_from_api": invite,
        "calendar_purpose": mint("calendar", claims, issued_at=server_now(stack)),
        "ticket_purpose": mint("ticket", claims, issued_at=server_now(stack)),
        "share_purpose": mint("share", claims, issued_at=server_now(stack)),
        "revoked": revoked_token,
        "expired_in_database": db_expired,
        "deleted_user": ghost.token,
        "unknown_session": mint(
            "session", {"u": victim.id, "j": uuid.uuid4().hex}, issued_at=server_now(stack)
        ),
        "another_users_session": mint(
            "session", {"u": victim.id, "j": other_jti}, issued_at=server_now(stack)
        ),
        "operator_in_claims": mint(
            "session", {"u": victim.id, "j": {"$ne": None}}, issued_at=server_now(stack)
        ),
        "operator_user": mint(
            "session", {"u": {"$gt": ""}, "j": claims["j"]}, issued_at=server_now(stack)
        ),
        "not_an_object": mint("session", [victim.id, claims["j"]], issued_at=server_now(stack)),
    }


async def test_bad_tokens_are_refused_at_the_handshake_before_any_handler_runs(
    stack: Any, dedicated: Dedicated, people: People
) -> None:
    owner, victim = await people.user("owner"), await people.user("victim")
    circle = await owner.create_circle("Handshake")
    await victim.join(circle["id"])
    observer = await people.sock(owner)
    tokens = await bad_tokens(stack, dedicated, people, victim, owner)

    for name, token in tokens.items():
        assert await refused(dedicated.url, {"token": token}) == REFUSED, name
    for auth in [None, {}, {"token": None}, {"token": 5}, {"token": ["x"]}, {"token": {}}]:
        assert await refused(dedicated.url, auth) == REFUSED, auth
    for auth in [{"token": {"$ne": None}}, {"token": {"$gt": ""}}, "a-string", 5, [victim.token]]:
        assert await refused(dedicated.url, auth) == REFUSED, auth

    # No connect handler got past authentication: the victim never came online...
    await asyncio.sleep(0.7)
    assert [e for e in observer.events.get("presence", []) if e["user_id"] == victim.id] == []
    # ...which the observer would have seen (control): a good token brings the victim online.
    await people.sock(victim)
    await observer.wait_for("presence", lambda e: e == {"user_id": victim.id, "online": True})
    assert log_problems(dedicated.proc.log()) == []


async def test_events_sent_around_a_refused_handshake_are_never_handled(
    stack: Any, dedicated: Dedicated, people: People
) -> None:
    owner, victim = await people.user("owner"), await people.user("victim")
    circle = await owner.create_circle("Raw wire")
    await victim.join(circle["id"])
    conv = circle["conversation_id"]

    def send(ack_id: int, client_id: str) -> str:
        return event_frame(
            ack_id, "message:send", {"conversation_id": conv, "client_id": client_id, "text": "x"}
        )

    # Control: this raw client, with a good token, does get its event handled.
    async with RawSock.open(dedicated.url) as raw:
        assert (await raw.handshake({"token": victim.token})).startswith("40{")
        await raw.send(send(1, "control"))
        assert (await raw.ack(1))["ok"] is True

    revoked = await login(dedicated.url, victim.user["handle"])
    await victim.post("/api/auth/logout", token=revoked)
    bad = {
        "revoked": revoked,
        "expired": mint(
            "session", session_claims(victim.token), issued_at=server_now(stack) - MONTH
        ),
        "garbage": "garbage",
    }
    sent: list[str] = []
    for name, token in bad.items():
        async with RawSock.open(dedicated.url) as raw:
            # Events before any namespace CONNECT at all.
            await raw.send(send(1, f"{name}-before"))
            # A CONNECT with a bad token, with events pipelined right behind it.
            await raw.send("40" + json.dumps({"token": token}))
            await raw.send(send(2, f"{name}-pipelined"))
            await raw.send(event_frame(3, "conversations", {}))
            answer = await raw.next_frame(lambda f: f.startswith(("40", "44")))
            assert answer.startswith("44") and json.loads(answer[2:]) == REFUSED, (name, answer)
            # And after the refusal.
            await raw.send(send(4, f"{name}-after"))
            frames = await raw.frames_for(0.7)
            assert not [f for f in frames if f.startswith("43")], (name, frames)
            sent += [f"{name}-before", f"{name}-pipelined", f"{name}-after"]

    history = await (await people.sock(owner)).ok("history", {"conversation_id": conv})
    assert [m["client_id"] for m in history["messages"]] == ["control"]
    assert not set(sent) & {m["client_id"] for m in history["messages"]}


async def test_logout_disconnects_every_socket_of_that_token_on_every_process(
    server_pair: Any,
) -> None:
    a, b = server_pair
    people = People(a.url)
    try:
        alice, bob = await people.user("alice"), await people.user("bob")
        circle = await alice.create_circle("Two processes")
        await bob.join(circle["id"])
        other_token = await login(a.url, alice.user["handle"])

        doomed = [
            await people.sock(alice, a.url),
            await people.sock(alice, b.url),
            await people.sock(alice, b.url),
        ]
        survivor = await people.sock(alice, b.url, token=other_token)
        bystander = await people.sock(bob, a.url)

        async with httpx.AsyncClient(base_url=b.url) as http:
            resp = await http.post(
                "/api/auth/logout", headers={"Authorization": f"Bearer {alice.token}"}
            )
        assert resp.status_code == 204
        await asyncio.wait_for(asyncio.gather(*[s.disconnected.wait() for s in doomed]), 5)

        for proc in (a, b):
            assert await refused(proc.url, {"token": alice.token}) == REFUSED
            async with httpx.AsyncClient(base_url=proc.url) as http:
                me = await http.get("/api/me", headers={"Authorization": f"Bearer {alice.token}"})
            assert me.status_code == 401 and me.json()["error"]["code"] == "unauthorized"

        # The other session of the same user, and other users, are untouched.
        assert not survivor.disconnected.is_set() and not bystander.disconnected.is_set()
        conv = circle["conversation_id"]
        sent = await survivor.ok(
            "message:send", {"conversation_id": conv, "client_id": "after-logout", "text": "hi"}
        )
        await bystander.wait_for(
            "message:new", lambda e: e["message"]["id"] == sent["message"]["id"]
        )
    finally:
        await people.aclose()


async def race_logout(
    base_url: str, api: Api, token: str, delay: float, raws: list[RawSock]
) -> None:
    """Start a handshake with ``token`` on each raw socket, 4 ms apart, and log the token out
    ``delay`` seconds after the first."""

    async def handshake(i: int, raw: RawSock) -> None:
        await asyncio.sleep(i * 0.004)
        await raw.send("40" + json.dumps({"token": token}))

    async def logout() -> None:
        await asyncio.sleep(delay)
        assert (await api.post("/api/auth/logout", token=token)).status_code == 204

    await asyncio.gather(logout(), *[handshake(i, r) for i, r in enumerate(raws)])


async def test_a_logout_racing_handshakes_leaves_no_socket_that_can_send(
    dedicated: Dedicated, people: People
) -> None:
    """Issue 9 item 11: a socket whose handshake is under way when its session is revoked is
    refused or disconnected; none survives to send. Each round starts handshakes with a token
    and revokes it at a different moment among them."""
    alice = await people.user("alice")
    circle = await alice.create_circle("Racing")
    conv = circle["conversation_id"]
    survivors: list[tuple[int, float]] = []
    accepted_total = 0
    # The last round logs out well after the handshakes: they are accepted, then disconnected.
    for round_no, delay in enumerate([0.0, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.5]):
        token = await login(dedicated.url, alice.user["handle"])
        async with contextlib.AsyncExitStack() as stack:
            raws = [await stack.enter_async_context(RawSock.open(dedicated.url)) for _ in range(12)]
            await race_logout(dedicated.url, alice, token, delay, raws)
            answers = [
                await raw.next_frame(lambda f: f.startswith(("40", "44")), timeout=15)
                for raw in raws
            ]
            await asyncio.sleep(0.5)  # let the disconnects land
            accepted = [(i, raws[i]) for i, a in enumerate(answers) if a.startswith("40{")]
            accepted_total += len(accepted)
            for i, raw in accepted:  # the others were refused: they cannot send
                body = {"conversation_id": conv, "client_id": f"race-{round_no}-{i}", "text": "x"}
                with contextlib.suppress(ConnectionClosed):
                    await raw.send(event_frame(1, "message:send", body))
            await asyncio.sleep(1.0)
            for _, raw in accepted:
                acks = [f for f in await raw.frames_for(0.05) if f.startswith("431[")]
                if acks and json.loads(acks[0][3:])[0]["ok"]:
                    survivors.append((round_no, delay))
    assert survivors == [], f"sockets that could still send after logout: {survivors}"
    history = await (await people.sock(alice)).ok("history", {"conversation_id": conv})
    assert history["messages"] == []
    # Control: some handshakes did win the race (and were then disconnected), so the rounds
    # really raced the logout rather than all arriving after it.
    assert accepted_total > 0


# HTTP (item 22) -----------------------------------------------------------------------------


def secured_operations(openapi: dict[str, Any]) -> list[tuple[str, str]]:
    ops = []
    for path, methods in openapi["paths"].items():
        for method, op in methods.items():
            if op.get("security"):
                ops.append((method.upper(), re.sub(r"{\w+}", "abc123", path)))
    return ops


async def test_bad_tokens_are_refused_on_every_authenticated_route(
    stack: Any, dedicated: Dedicated, people: People
) -> None:
    owner, victim = await people.user("owner"), await people.user("victim")
    tokens = await bad_tokens(stack, dedicated, people, victim, owner)
    async with httpx.AsyncClient(base_url=dedicated.url) as http:
        openapi = (await http.get("/openapi.json")).json()
        ops = secured_operations(openapi)
        assert ("GET", "/api/me") in ops and ("POST", "/api/circles/abc123/join") in ops

        async def assert_refused(method: str, path: str, headers: dict[str, str], why: str) -> None:
            resp = await http.request(method, path, headers=headers, json={})
            assert resp.status_code == 401, (why, method, path, resp.status_code, resp.text)
            assert resp.json()["error"]["code"] == "unauthorized", (why, resp.text)
            assert set(resp.json()["error"]) <= {"code", "message", "details"}
            assert resp.headers.get("www-authenticate") == "Bearer", why

        for name, token in tokens.items():
            header = f"Bearer {token}".strip()  # "Bearer " is not a legal header value
            await assert_refused("GET", "/api/me", {"Authorization": header}, name)
        malformed_headers = [
            {},
            {"Authorization": ""},
            {"Authorization": "Bearer"},
            {"Authorization": "Bearer  x"},
            {"Authorization": f"Basic {victim.token}"},
            {"Authorization": victim.token},
            {"Authorization": f"Token {victim.token}"},
            {"Cookie": f"token={victim.token}"},
        ]
        for headers in malformed_headers:
            await assert_refused("GET", "/api/me", headers, str(headers))
        resp = await http.get("/api/me", params={"token": victim.token})
        assert resp.status_code == 401

        # Every route that needs a token refuses the main kinds of bad ones, before looking at the
        # path or the body.
        for method, path in ops:
            for name in ("expired", "invite_from_api", "revoked", "deleted_user"):
                headers = {"Authorization": f"Bearer {tokens[name]}"}
                await assert_refused(method, path, headers, name)
            await assert_refused(method, path, {}, "no header")

    # The victim's own token still works: nothing above revoked it.
    assert await accepted(victim, victim.token)


async def test_only_register_login_and_webhooks_are_open_without_a_token(
    dedicated: Dedicated,
) -> None:
    async with httpx.AsyncClient(base_url=dedicated.url) as http:
        openapi = (await http.get("/openapi.json")).json()
    open_ops = {
        (method.upper(), path)
        for path, methods in openapi["paths"].items()
        for method, op in methods.items()
        if path.startswith("/api") and not op.get("security")
    }
    allowed = {
        ("POST", "/api/auth/register"),
        ("POST", "/api/auth/login"),
        ("POST", "/api/payments/webhook/{provider}"),
        # Calendar apps cannot send a bearer token: a signed calendar-only key (PROTOCOL §3).
        ("GET", "/api/activities/{id}/calendar.ics"),
        # An invite link's landing page names the circle before sign-in: the signed invite in
        # the body is the credential, and it grants the circle's name only.
        ("POST", "/api/circles/{id}/invite-preview"),
    }
    assert open_ops <= allowed, open_ops - allowed
    assert {("POST", "/api/auth/register"), ("POST", "/api/auth/login")} <= open_ops


async def test_a_session_token_is_not_an_invite(
    stack: Any, dedicated: Dedicated, people: People
) -> None:
    owner, eve = await people.user("owner"), await people.user("eve")
    private = await owner.create_circle("Not with that", visibility="private")
    owner_claims = session_claims(owner.token)
    for invite in [
        owner.token,
        eve.token,
        mint(
            "invite",
            {"c": private["id"]},
            secret="some-other-secret-key",
            issued_at=server_now(stack),
        ),
        mint("session", {"c": private["id"], "n": "x"}, issued_at=server_now(stack)),
        mint("invite", {"c": private["id"], "n": "x"}, issued_at=server_now(stack) - 15 * DAY),
        mint("invite", owner_claims, issued_at=server_now(stack)),
    ]:
        resp = await eve.post(f"/api/circles/{private['id']}/join", {"invite": invite})
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"
    # Control: a minted invite for this circle, fresh, with the right key, does work.
    good = mint("invite", {"c": private["id"], "n": "x"}, issued_at=server_now(stack))
    assert (
        await eve.post(f"/api/circles/{private['id']}/join", {"invite": good})
    ).status_code == 200


async def test_passwords_are_stored_as_argon2id_and_tokens_are_not_stored(
    dedicated: Dedicated, people: People
) -> None:
    alice = await people.user("alice")
    second = await login(dedicated.url, alice.user["handle"])
    async with dedicated.database() as db:
        user = await db["users"].find_one({"_id": alice.id})
        sessions = [d async for d in db["sessions"].find({"user_id": alice.id})]
    assert user is not None
    assert user["password_hash"].startswith("$argon2id$"), user["password_hash"][:20]
    assert PASSWORD not in json.dumps(user, default=str)
    assert len(sessions) == 2
    dumped = json.dumps(sessions, default=str)
    for token in (alice.token, second):
        assert token not in dumped
        assert token.split(".")[2] not in dumped  # not even the signature
    me = (await alice.get("/api/me")).json()["user"]
    assert set(me) <= {"id", "handle", "display_name", "bio", "avatar_url", "created_at"}
