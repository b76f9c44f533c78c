"""Security headers on every HTTP response (issue 9 item 17).

Pages, assets, API answers, errors (the app's, Starlette's, Engine.IO's and the body guard's)
and the payment checkout all carry a Content-Security-Policy that forbids framing and foreign
scripts, ``X-Content-Type-Options: nosniff`` and a Referrer-Policy. The policy allows exactly
what the built web client needs (tests/browser/test_transport_csp.py shows it in Chromium).
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.support.activities import post_activity
from tests.support.client import Api
from tests.support.infra import Proc
from tests.support.transport_probe import POLLING


def directives(policy: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def assert_secured(resp: httpx.Response) -> None:
    where = f"{resp.request.method} {resp.request.url.path} -> {resp.status_code}"
    h = resp.headers
    assert h.get("x-content-type-options") == "nosniff", where
    assert h.get("referrer-policy") == "no-referrer", where
    assert h.get("x-frame-options") == "DENY", where
    assert len(h.get_list("content-security-policy")) == 1, where
    csp = directives(h["content-security-policy"])
    assert csp["frame-ancestors"] == ["'none'"], (where, csp)
    assert csp["default-src"] == ["'self'"], (where, csp)
    assert csp["script-src"] == ["'self'"], (where, csp)  # no inline script, no eval, no CDN
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"], (where, csp)
    assert csp["form-action"] == ["'self'"], (where, csp)
    assert set(csp["img-src"]) == {"'self'", "data:", "blob:"}, (where, csp)  # QR codes
    assert csp["connect-src"] == ["'self'"], (where, csp)  # Socket.IO on the same origin
    assert "'unsafe-inline'" not in csp["style-src"], (where, csp)


async def test_every_kind_of_response_carries_the_security_headers(
    server: Proc, make_user: Any
) -> None:
    alice: Api = await make_user("alice")
    auth = {"Authorization": f"Bearer {alice.token}"}
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        page = await http.get("/")
        assert page.status_code == 200 and '<div id="app">' in page.text
        asset = re.search(r'src="\.?(/assets/[^"]+\.js)"', page.text)
        assert asset is not None, page.text
        responses = [
            page,
            await http.get(asset.group(1)),
            await http.get("/assets/no-such-file.js"),  # Starlette's own 404
            await http.get("/healthz"),
            await http.get("/openapi.json"),
            await http.get("/api/me", headers=auth),
            await http.get("/api/me"),  # 401
            await http.get(f"/api/circles/{'x' * 10}", headers=auth),  # 404 JSON
            await http.post("/api/auth/login", content=b"{"),  # 422 malformed
            await http.post("/api/auth/login", content=b" " * (64 * 1024 + 1)),  # body guard
            await http.get(POLLING),  # Engine.IO handshake
            await http.get(f"{POLLING}&sid=nope"),  # Engine.IO error
            await http.delete("/healthz"),  # 405
        ]
    statuses = [r.status_code for r in responses]
    assert statuses == [200, 200, 404, 200, 200, 200, 401, 404, 422, 422, 200, 400, 405]
    for resp in responses:
        assert_secured(resp)
    # Where a response says it is JSON, nosniff makes browsers believe it.
    assert responses[5].headers["content-type"].startswith("application/json")


async def test_the_payment_checkout_carries_the_security_headers(
    server: Proc, make_user: Any, make_sock: Any, clock: Any
) -> None:
    organiser: Api = await make_user("organiser")
    circle = await organiser.create_circle("Paid")
    price = {"amount": 1500, "currency": "EUR"}
    act = await post_activity(organiser, circle, clock.now(), capacity=1, price=price)
    alice: Api = await make_user("alice")
    sock = await make_sock(alice)
    await sock.ok("activity:signup", {"activity_id": act["id"]})
    resp = await alice.post(f"/api/activities/{act['id']}/payment", {"provider": "sandbox"})
    assert resp.status_code == 201, resp.text
    url = resp.json()["payment"]["checkout_url"]
    assert url.startswith(server.url), url
    async with httpx.AsyncClient(timeout=10) as http:
        checkout = await http.get(url, headers={"Authorization": f"Bearer {alice.token}"})
    assert checkout.status_code == 200 and "text/html" in checkout.headers["content-type"]
    assert_secured(checkout)
