"""Payment providers are configured, the sandbox pays only for its payer's own session, test money
is kept apart from real money, and malformed signed webhooks are refused cleanly (issue 9, items
1 and 15)."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.support.activities import activity, post_activity
from tests.support.client import Api, Sock
from tests.support.payments import deliver, event, signed

PRICE = {"amount": 1500, "currency": "EUR"}


async def setup(make_user, make_sock, clock, capacity=2, base_url=None):
    organiser = await make_user("organiser", base_url=base_url)
    circle = await organiser.create_circle("Paid things")
    act = await post_activity(organiser, circle, clock.now(), capacity=capacity, price=PRICE)
    return organiser, act


async def held(make_user, make_sock, act, name, base_url=None) -> tuple[Api, Sock]:
    user = await make_user(name, base_url=base_url)
    sock = await make_sock(user, base_url)
    signup = (await sock.ok("activity:signup", {"activity_id": act["id"]}))["signup"]
    assert signup["status"] == "pending_payment"
    return user, sock


async def start(user: Api, act, provider: str) -> dict[str, Any]:
    resp = await user.post(f"/api/activities/{act['id']}/payment", {"provider": provider})
    assert resp.status_code == 201, resp.text
    return dict(resp.json()["payment"])


async def ledger(api: Api, payment_id: str) -> list[str]:
    resp = await api.get(f"/api/payments/{payment_id}")
    assert resp.status_code == 200, resp.text
    return [e["reason"] for e in resp.json()["events"]]


def complete_path(payment_id: str) -> str:
    return f"/api/payments/{payment_id}/sandbox/complete"


async def test_sandbox_is_refused_unless_enabled_and_the_refusal_changes_nothing(
    stack, make_user, make_sock, clock
):
    env = stack.server_env()
    env.pop("PAYMENT_PROVIDERS", None)  # the production default: manual only
    proc = stack.start(**env)
    try:
        organiser, act = await setup(make_user, make_sock, clock, base_url=proc.url)
        alice, _ = await held(make_user, make_sock, act, "alice", base_url=proc.url)
        listed = await alice.get("/api/payments/providers")
        assert listed.status_code == 200 and listed.json() == {"providers": ["manual"]}
        refused = await alice.post(f"/api/activities/{act['id']}/payment", {"provider": "sandbox"})
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error["code"] == "invalid" and "provider" in error["details"]["fields"]
        mine = await activity(alice, act["id"])
        assert mine["my_signup"]["status"] == "pending_payment"
        assert mine["my_signup"]["payment_id"] is None
        payments = (await organiser.get(f"/api/activities/{act['id']}/payments")).json()
        assert payments["payments"] == []
        manual = await start(alice, act, "manual")
        assert manual["provider"] == "manual" and manual["test"] is False
        # a signed event for the disabled provider finds nothing to pay
        hook = await deliver(proc.url, event(manual))
        assert hook.status_code == 404, hook.text
    finally:
        proc.stop()


async def test_only_the_payer_s_own_session_completes_a_sandbox_checkout(
    server, make_user, make_sock, clock
):
    organiser, act = await setup(make_user, make_sock, clock)
    alice, sa = await held(make_user, make_sock, act, "alice")
    bob, _ = await held(make_user, make_sock, act, "bob")  # another attendee of the same activity
    stranger = await make_user("stranger")
    payment = await start(alice, act, "sandbox")
    assert payment["test"] is True
    url = payment["checkout_url"]
    assert url.startswith(server.url) and f"/pay/{payment['id']}" in url
    path = complete_path(payment["id"])

    async with httpx.AsyncClient(base_url=server.url, follow_redirects=False) as anonymous:
        assert (await anonymous.post(path, json={})).status_code == 401
        # the old unauthenticated completion, with whatever the checkout link carries
        query = urlsplit(url).query or urlsplit(urlsplit(url).fragment).query
        old = await anonymous.post(f"/pay/sandbox/{payment['id']}/complete?{query}")
        assert old.status_code in (401, 404, 405), old.status_code
    assert (await stranger.post(path, {})).status_code == 404
    assert (await bob.post(path, {})).status_code == 404
    by_organiser = await organiser.post(path, {})
    assert by_organiser.status_code == 403, by_organiser.text
    await asyncio.sleep(0.5)
    assert await ledger(alice, payment["id"]) == ["created"]
    mine = await activity(alice, act["id"])
    assert mine["my_signup"]["status"] == "pending_payment"
    assert mine["activity"]["confirmed_count"] == 0

    done = await alice.post(path, {})
    assert done.status_code == 200, done.text
    paid = done.json()["payment"]
    assert paid["status"] == "paid" and paid["test"] is True
    assert (await activity(alice, act["id"]))["my_signup"]["status"] == "confirmed"
    card = await sa.wait_for(
        "message:new", lambda e: (e["message"]["card"] or {}).get("type") == "payment"
    )
    assert card["message"]["card"]["test"] is True
    again = await alice.post(path, {})
    assert again.status_code == 409 and again.json()["error"]["details"]["reason"] == (
        "not_payable"
    )
    assert await ledger(alice, payment["id"]) == ["created", "webhook"]


async def test_organiser_totals_never_count_sandbox_money_as_real(
    server, make_user, make_sock, clock
):
    organiser, act = await setup(make_user, make_sock, clock, capacity=3)
    alice, _ = await held(make_user, make_sock, act, "alice")
    bob, _ = await held(make_user, make_sock, act, "bob")
    sandbox = await start(alice, act, "sandbox")
    assert (await alice.post(complete_path(sandbox["id"]), {})).status_code == 200
    manual = await start(bob, act, "manual")
    assert (await bob.post(f"/api/payments/{manual['id']}/proof", {"reference": "TX-1"})).is_success
    assert (await organiser.post(f"/api/payments/{manual['id']}/confirm", {})).is_success
    listed = (await organiser.get(f"/api/activities/{act['id']}/payments")).json()
    assert listed["totals"] == {
        "currency": "EUR",
        "gross": 1500,
        "refunded": 0,
        "net": 1500,
        "test": {"gross": 1500, "refunded": 0, "net": 1500},
    }
    flags = {item["payment"]["provider"]: item["payment"]["test"] for item in listed["payments"]}
    assert flags == {"sandbox": True, "manual": False}


# ---- webhooks: 4xx, never a 500 ----------------------------------------------------------------


def _tracebacks(log: str) -> int:
    return log.count("Traceback")


async def test_a_signature_timestamp_of_400_digits_is_refused_without_a_traceback(
    server, make_user, make_sock, clock
):
    organiser, act = await setup(make_user, make_sock, clock)
    alice, _ = await held(make_user, make_sock, act, "alice")
    payment = await start(alice, act, "sandbox")
    raw, headers = signed(event(payment))
    before = _tracebacks(server.log())
    for stamp in ("9" * 400, "1" + "0" * 399, "-" + "9" * 400, "1_700_000_000", "+1700000000"):
        forged = {**headers, "Circles-Signature": f"t={stamp},v1=00"}
        async with httpx.AsyncClient(base_url=server.url) as http:
            r = await http.post("/api/payments/webhook/sandbox", content=raw, headers=forged)
        assert r.status_code == 400, (stamp[:12], r.status_code, r.text)
        assert r.json()["error"]["code"] == "bad_request"
    await asyncio.sleep(0.3)
    assert _tracebacks(server.log()) == before
    assert await ledger(alice, payment["id"]) == ["created"]


async def test_signed_webhooks_with_a_huge_amount_are_refused_and_a_wrong_one_confirms_nothing(
    server, make_user, make_sock, clock
):
    """A malformed event (amount outside 0..100,000,000, currency not three capital letters) is
    422 `invalid` with nothing recorded and no traceback; a well-formed one for another amount or
    currency is recorded, answered 200 and confirms nothing (PROTOCOL §4)."""
    organiser, act = await setup(make_user, make_sock, clock)
    alice, _ = await held(make_user, make_sock, act, "alice")
    payment = await start(alice, act, "sandbox")
    before = _tracebacks(server.log())
    body = event(payment)
    for amount in (10**30, 2**63, 100_000_001, -1500):
        r = await deliver(server.url, {**body, "amount": amount})
        assert r.status_code == 422, (amount, r.status_code, r.text)
        assert r.json()["error"]["code"] == "invalid"
        assert "amount" in r.json()["error"]["details"]["fields"]
    for currency in ("eur", "EURO", "", "€"):
        r = await deliver(server.url, {**body, "currency": currency})
        assert r.status_code == 422, (currency, r.status_code, r.text)
        assert "currency" in r.json()["error"]["details"]["fields"]
    await asyncio.sleep(0.3)
    assert _tracebacks(server.log()) == before
    assert await ledger(alice, payment["id"]) == ["created"]

    for wrong in ({"amount": 1}, {"currency": "USD"}, {"amount": 1501, "currency": "JPY"}):
        r = await deliver(server.url, event(payment, **wrong))
        assert r.status_code == 200, (wrong, r.status_code, r.text)
        assert r.json()["outcome"] == "amount_mismatch"
    mismatched = {**event(payment), "amount": 100_000_000}
    assert (await deliver(server.url, mismatched)).json()["outcome"] == "amount_mismatch"
    again = await deliver(server.url, mismatched)  # the same event id again changes nothing
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert await ledger(alice, payment["id"]) == ["created"] + ["amount_mismatch"] * 4
    detail = (await alice.get(f"/api/payments/{payment['id']}")).json()
    assert detail["payment"]["status"] == "pending"
    assert detail["events"][-1]["data"]["amount"] == 100_000_000
    assert (await activity(alice, act["id"]))["my_signup"]["status"] == "pending_payment"
    assert _tracebacks(server.log()) == before

    # the event id refused as malformed was recorded nowhere: delivered right, it applies
    ok = await deliver(server.url, body)
    assert ok.status_code == 200 and ok.json()["outcome"] == "applied"
    assert (await activity(alice, act["id"]))["my_signup"]["status"] == "confirmed"
