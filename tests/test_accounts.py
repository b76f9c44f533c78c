"""Accounts and tokens through the real HTTP API (PROTOCOL §1)."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.support.client import PASSWORD, Sock, refused, unique_handle


async def test_register_login_me_and_logout_revokes_token(server, make_user):
    alice = await make_user("alice")
    me = await alice.get("/api/me")
    assert me.status_code == 200 and me.json()["user"]["handle"] == alice.user["handle"]
    assert me.json()["user"]["created_at"].endswith("Z")

    login = await alice.post(
        "/api/auth/login", {"handle": alice.user["handle"], "password": PASSWORD}
    )
    assert login.status_code == 200
    second_token = login.json()["token"]

    assert (await alice.post("/api/auth/logout")).status_code == 204
    revoked = await alice.get("/api/me")
    assert revoked.status_code == 401
    assert revoked.json()["error"]["code"] == "unauthorized"
    # The other session is untouched.
    assert (await alice.get("/api/me", token=second_token)).status_code == 200


async def test_duplicate_handle_is_conflict_and_concurrent_registers_create_one(server):
    handle = unique_handle("dup")
    async with httpx.AsyncClient(base_url=server.url) as http:
        body = {"handle": handle, "password": PASSWORD, "display_name": "Dup"}
        results = await asyncio.gather(
            *[http.post("/api/auth/register", json=body) for _ in range(5)]
        )
    codes = sorted(r.status_code for r in results)
    assert codes == [201, 409, 409, 409, 409]
    assert all(r.json()["error"]["code"] == "conflict" for r in results if r.status_code == 409)


async def test_register_validation_names_the_fields(server):
    async with httpx.AsyncClient(base_url=server.url) as http:
        bad = await http.post(
            "/api/auth/register", json={"handle": "A!", "password": "short", "display_name": ""}
        )
        assert bad.status_code == 422
        fields = bad.json()["error"]["details"]["fields"]
        assert {"handle", "password", "display_name"} <= set(fields)
        malformed = await http.post(
            "/api/auth/register", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert malformed.status_code == 422 and malformed.json()["error"]["code"] == "invalid"


async def test_wrong_password_is_401_and_takes_as_long_as_unknown_user(server, make_user):
    alice = await make_user("alice")
    async with httpx.AsyncClient(base_url=server.url) as http:

        async def timed(handle: str) -> float:
            start = time.perf_counter()
            r = await http.post(
                "/api/auth/login", json={"handle": handle, "password": "wrong-pw-123"}
            )
            assert r.status_code == 401
            return time.perf_counter() - start

        wrong = sorted([await timed(alice.user["handle"]) for _ in range(5)])[2]
        unknown = sorted([await timed(unique_handle("ghost")) for _ in range(5)])[2]
    # Both paths verify an argon2 hash; the medians are within a factor of two.
    assert 0.5 < wrong / unknown < 2.0, (wrong, unknown)


async def test_logout_disconnects_that_tokens_sockets(server, make_user):
    alice = await make_user("alice")
    s1 = await Sock(server.url, alice.token).connect()
    s2 = await Sock(server.url, alice.token).connect()
    assert (await alice.post("/api/auth/logout")).status_code == 204
    await asyncio.wait_for(s1.disconnected.wait(), 5)
    await asyncio.wait_for(s2.disconnected.wait(), 5)
    error = await refused(server.url, {"token": alice.token})
    assert error == {"message": "unauthorized", "data": {"code": "unauthorized"}}


async def test_a_password_of_only_whitespace_is_refused_and_creates_nothing(server):
    async with httpx.AsyncClient(base_url=server.url) as http:
        for password in [" " * 12, "\t\n  \r\n\t  ", "\u00a0" * 8 + "\u3000" * 4]:
            handle = unique_handle("blankpw")
            resp = await http.post(
                "/api/auth/register",
                json={"handle": handle, "password": password, "display_name": "Blank"},
            )
            assert resp.status_code == 422, resp.text
            error = resp.json()["error"]
            assert error["code"] == "invalid" and set(error["details"]["fields"]) == {"password"}
            login = await http.post(
                "/api/auth/login", json={"handle": handle, "password": password}
            )
            assert login.status_code == 401
        # Spaces inside a password are fine, and kept as typed.
        spaced = {
            "handle": unique_handle("spaced"),
            "password": "  two words  ",
            "display_name": "S",
        }
        assert (await http.post("/api/auth/register", json=spaced)).status_code == 201
        login = await http.post(
            "/api/auth/login", json={"handle": spaced["handle"], "password": "  two words  "}
        )
        assert login.status_code == 200
