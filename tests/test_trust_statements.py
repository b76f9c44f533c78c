"""Payout statements from the payments ledger: a known set of payments and a refund give exact
numbers, in JSON and CSV, for the circle's owner only (the shared server: the gate is off)."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta
from typing import Any

from tests.support.activities import post_activity
from tests.support.client import Api
from tests.support.payments import deliver, event

PRICE = {"amount": 1500, "currency": "EUR"}


async def paid_by(make_user: Any, make_sock: Any, act: dict[str, Any], name: str, how: str):
    user = await make_user(name)
    sock = await make_sock(user)
    await sock.ok("activity:signup", {"activity_id": act["id"]})
    resp = await user.post(f"/api/activities/{act['id']}/payment", {"provider": how})
    assert resp.status_code == 201, resp.text
    return user, sock, resp.json()["payment"]


def period(clock: Any, days_from: int, days_to: int) -> str:
    today = clock.now().date()
    return f"from={today + timedelta(days=days_from)}&to={today + timedelta(days=days_to)}"


async def test_statement_sums_collections_and_refunds_exactly(
    make_user: Any, make_sock: Any, clock: Any, server: Any
) -> None:
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Statement circle")
    act = await post_activity(
        organiser, circle, clock.now(), capacity=5, price=PRICE, refund_cutoff_hours=24,
        title="=HYPERLINK(1)",
    )  # fmt: skip
    other = await post_activity(
        organiser, circle, clock.now(), capacity=5, price={"amount": 999, "currency": "USD"}
    )
    payers = {}
    for name in ("alice", "bob", "carol"):
        user, sock, p = await paid_by(make_user, make_sock, act, name, "manual")
        await user.ok("POST", f"/api/payments/{p['id']}/proof", {"reference": f"tx {name}"})
        await organiser.ok("POST", f"/api/payments/{p['id']}/confirm", {})
        payers[name] = (user, sock, p)
    _, _, usd = await paid_by(make_user, make_sock, other, "frank", "manual")
    await organiser.ok("POST", f"/api/payments/{usd['id']}/confirm", {})
    # a sandbox payment: test money, summed apart
    _, _, test = await paid_by(make_user, make_sock, act, "dave", "sandbox")
    assert (await deliver(server.url, event(test))).json()["outcome"] == "applied"
    # an unpaid hold counts nowhere
    await paid_by(make_user, make_sock, act, "gina", "manual")
    alice, sa, pa = payers["alice"]
    await sa.ok("activity:cancel", {"activity_id": act["id"]})
    for _ in range(100):  # the refund starts after the cancellation is stored
        status = (await alice.ok("GET", f"/api/payments/{pa['id']}"))["payment"]["status"]
        if status == "refund_pending":
            break
        await asyncio.sleep(0.05)
    assert status == "refund_pending"
    refunded = await organiser.ok("POST", f"/api/payments/{pa['id']}/refunded", {})
    assert refunded["payment"]["status"] == "refunded"

    base = f"/api/circles/{circle['id']}/payout-statement"
    body = await organiser.ok("GET", f"{base}?{period(clock, -1, 1)}")
    assert body["totals"] == [
        {"currency": "EUR", "collected": 4500, "refunded": 1500, "due": 3000},
        {"currency": "USD", "collected": 999, "refunded": 0, "due": 999},
    ]
    assert body["test_totals"] == [
        {"currency": "EUR", "collected": 1500, "refunded": 0, "due": 1500}
    ]
    kinds = sorted((ln["kind"], ln["payment_id"]) for ln in body["lines"])
    expected = [("collected", p["id"]) for _, _, p in payers.values()]
    expected += [("collected", usd["id"]), ("collected", test["id"]), ("refunded", pa["id"])]
    assert kinds == sorted(expected)
    # another period: nothing
    empty = await organiser.ok("GET", f"{base}?{period(clock, -30, -20)}")
    assert (empty["totals"], empty["test_totals"], empty["lines"]) == ([], [], [])

    resp = await organiser.get(f"{base}.csv?{period(clock, -1, 1)}")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    assert "attachment" in resp.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    assert len(rows) == 6
    real_eur = [r for r in rows if r["test"] == "no" and r["currency"] == "EUR"]
    assert sum(int(r["amount"]) for r in real_eur) == 3000
    assert {r["activity"] for r in real_eur} == {"'=HYPERLINK(1)"}  # inert in a spreadsheet


async def test_only_owners_and_admins_see_a_statement(make_user: Any, clock: Any) -> None:
    owner, member, eve = [await make_user(n) for n in ("owner", "member", "eve")]
    public = await owner.create_circle("Public books")
    private = await owner.create_circle("Private books", visibility="private")
    await member.join(public["id"])
    q = period(clock, 0, 0)
    for suffix in ("", ".csv"):
        path = f"/api/circles/{public['id']}/payout-statement{suffix}?{q}"
        assert (await owner.get(path)).status_code == 200
        for who in (member, eve):
            resp = await who.get(path)
            assert resp.status_code == 403 and resp.json()["error"]["code"] == "forbidden"
        hidden = await eve.get(f"/api/circles/{private['id']}/payout-statement{suffix}?{q}")
        assert hidden.status_code == 404


async def test_a_bad_period_is_named(make_user: Any) -> None:
    owner: Api = await make_user("owner")
    circle = await owner.create_circle("Periods")
    base = f"/api/circles/{circle['id']}/payout-statement"
    for query, field in (
        ("", "from"),
        ("from=2026-01-01", "to"),
        ("from=2026-13-01&to=2026-12-31", "from"),
        ("from=2026-02-01&to=2026-01-01", "to"),
        ("from=2024-01-01&to=2026-01-01", "to"),
        ("from=yesterday&to=2026-01-01", "from"),
        ("from=9999-12-31&to=9999-12-31", "to"),
        ("from=0000-01-01&to=2026-01-01", "from"),
    ):
        resp = await owner.get(f"{base}?{query}")
        assert resp.status_code == 422, (query, resp.text)
        assert field in resp.json()["error"]["details"]["fields"], (query, resp.text)
