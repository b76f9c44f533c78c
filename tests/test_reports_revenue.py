"""A circle's revenue report and its ledger as CSV (issue 13, item 3), and who may read the
reports (item "Done when": owners/admins only; members never see others' spending): exact
gross, refunds, fees and net per month, activity and provider, test money apart, manual
payments waiting for review, every ledger event in the CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from tests.support import infra
from tests.support.activities import activity, post_activity
from tests.support.client import Api
from tests.test_reports_activity import align, eventually, paid_by_transfer, signup

EUR = "EUR"


@pytest.fixture(scope="module")
def server(stack: Any) -> Any:
    """A server of this module's own, where anyone who may post activities may price them:
    these tests are about reports, not the organiser verification gate (server/trust/)."""
    env = stack.server_env(PAID_ACTIVITIES_REQUIRE_VERIFICATION="0")
    proc: infra.Proc = stack.start(**env)
    proc.extra.update(mongodb_url=env["MONGODB_URL"], mongodb_db=env["MONGODB_DB"])
    yield proc
    proc.stop()


def price(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": EUR}


def money(gross: int, refunds: int, **key: Any) -> dict[str, Any]:
    return {**key, "gross": gross, "refunds": refunds, "fees": 0, "net": gross - refunds}


async def sandbox_paid(payer: Api, act: dict[str, Any]) -> str:
    made = await payer.post(f"/api/activities/{act['id']}/payment", {"provider": "sandbox"})
    assert made.status_code == 201, made.text
    pid = str(made.json()["payment"]["id"])
    await payer.ok("POST", f"/api/payments/{pid}/sandbox/complete", {})

    async def paid() -> bool:
        found = await payer.ok("GET", f"/api/payments/{pid}")
        return bool(found["payment"]["status"] == "paid")

    await eventually(paid)
    return pid


async def ledger_events(organiser: Api, acts: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """(payment id, version) of every ledger event, as the activities' payment lists show."""
    found = []
    for act in acts:
        listed = await organiser.ok("GET", f"/api/activities/{act['id']}/payments")
        for item in listed["payments"]:
            found += [(item["payment"]["id"], e["version"]) for e in item["events"]]
    return sorted(found)


async def test_revenue_per_month_activity_and_provider_with_refunds_and_test_money(
    make_user, make_sock, clock
):
    d0 = align(clock)
    month1 = d0.strftime("%Y-%m")
    organiser = await make_user("organiser", display_name="Olga")
    circle = await organiser.create_circle("Paid club")
    hike = await post_activity(
        organiser, circle, d0, starts_in=timedelta(days=60), capacity=5, price=price(2000)
    )
    yoga = await post_activity(
        organiser,
        circle,
        d0,
        starts_in=timedelta(days=60),
        capacity=5,
        price=price(1000),
        title='Yoga, "deluxe"',
    )
    # another circle's money is not this circle's
    stranger = await make_user("stranger")
    elsewhere = await post_activity(
        stranger,
        await stranger.create_circle("Elsewhere"),
        d0,
        starts_in=timedelta(days=60),
        price=price(500),
    )
    alice, bob, carol, frank, grace, dave = [
        await make_user(n, display_name=n.title())
        for n in ("alice", "bob", "carol", "frank", "grace", "dave")
    ]
    # month 1: alice (hike) and bob (yoga) pay by transfer; grace pays the hike in the sandbox
    sa = await signup(make_sock, alice, hike)
    await paid_by_transfer(organiser, alice, hike, "IBAN alice")
    await signup(make_sock, bob, yoga)
    await paid_by_transfer(organiser, bob, yoga, "IBAN bob")
    await signup(make_sock, grace, hike)
    await sandbox_paid(grace, hike)
    await signup(make_sock, dave, elsewhere)
    await paid_by_transfer(stranger, dave, elsewhere, "IBAN dave")
    # month 2: alice cancels and is refunded by hand; carol pays the yoga; frank's transfer
    # reference waits for the organiser (a reference that would be a formula in a spreadsheet)
    clock.advance(25 * 24 * 3600)  # the next month (sessions last 30 days)
    month2 = clock.now().strftime("%Y-%m")
    await sa.ok("activity:cancel", {"activity_id": hike["id"]})
    alice_pid = (await activity(alice, hike["id"]))["my_signup"]["payment_id"]

    async def refund_started() -> bool:
        found = await alice.ok("GET", f"/api/payments/{alice_pid}")
        return bool(found["payment"]["status"] == "refund_pending")

    await eventually(refund_started)
    await organiser.ok("POST", f"/api/payments/{alice_pid}/refunded", {})
    await signup(make_sock, carol, yoga)
    await paid_by_transfer(organiser, carol, yoga, "IBAN carol")
    await signup(make_sock, frank, hike)
    made = await frank.post(f"/api/activities/{hike['id']}/payment", {"provider": "manual"})
    frank_pid = made.json()["payment"]["id"]
    await frank.ok("POST", f"/api/payments/{frank_pid}/proof", {"reference": "=HYPERLINK(1)"})

    found = await organiser.ok("GET", f"/api/circles/{circle['id']}/revenue")

    assert found["circle_id"] == circle["id"]
    assert found["totals"] == [
        money(4000, 2000, currency=EUR, test=False),
        money(2000, 0, currency=EUR, test=True),
    ]
    assert found["by_month"] == [
        money(3000, 0, month=month1, currency=EUR, test=False),
        money(2000, 0, month=month1, currency=EUR, test=True),
        money(1000, 2000, month=month2, currency=EUR, test=False),
    ]
    assert sorted(found["by_activity"], key=lambda r: (r["title"], r["test"])) == [
        money(2000, 2000, activity_id=hike["id"], title="Saturday hike", currency=EUR, test=False),
        money(2000, 0, activity_id=hike["id"], title="Saturday hike", currency=EUR, test=True),
        money(2000, 0, activity_id=yoga["id"], title='Yoga, "deluxe"', currency=EUR, test=False),
    ]
    assert found["by_provider"] == [
        money(4000, 2000, provider="manual", currency=EUR, test=False),
        money(2000, 0, provider="sandbox", currency=EUR, test=True),
    ]
    [waiting] = found["outstanding"]
    since = waiting.pop("since")
    assert datetime.fromisoformat(since.replace("Z", "+00:00")) <= clock.now()
    assert waiting == {
        "payment_id": frank_pid,
        "activity_id": hike["id"],
        "activity_title": "Saturday hike",
        "payer_id": frank.id,
        "payer_name": "Frank",
        "amount": 2000,
        "currency": EUR,
        "status": "pending",
        "reference": "=HYPERLINK(1)",
    }

    # The ledger: one CSV row per ledger event of every payment of the circle, oldest first.
    resp = await organiser.get(f"/api/circles/{circle['id']}/revenue/ledger.csv")
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "text/csv; charset=utf-8"
    assert resp.headers["content-disposition"] == (
        f'attachment; filename="ledger-{circle["id"]}.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    assert list(rows[0]) == [
        "at",
        "payment_id",
        "version",
        "status",
        "reason",
        "amount",
        "currency",
        "provider",
        "test",
        "activity_id",
        "activity_title",
        "payer_id",
        "payer_name",
        "reference",
    ]
    assert sorted((r["payment_id"], int(r["version"])) for r in rows) == await ledger_events(
        organiser, [hike, yoga]
    )
    assert [r["at"] for r in rows] == sorted(r["at"] for r in rows)
    alice_rows = [r for r in rows if r["payment_id"] == alice_pid]
    assert [r["status"] for r in alice_rows] == [
        "pending",
        "pending",
        "paid",
        "refund_pending",
        "refunded",
    ]
    assert {r["payer_name"] for r in alice_rows} == {"Alice"}
    assert {r["amount"] for r in alice_rows} == {"2000"}
    assert {(r["provider"], r["test"]) for r in rows if r["payer_name"] == "Grace"} == {
        ("sandbox", "true")
    }
    assert {r["activity_title"] for r in rows if r["payer_name"] == "Bob"} == {'Yoga, "deluxe"'}
    # a cell that a spreadsheet would run as a formula is written as text
    assert {r["reference"] for r in rows if r["payer_name"] == "Frank"} == {"'=HYPERLINK(1)"}
    assert "Dave" not in resp.text


async def test_a_circle_without_payments_has_empty_revenue_and_a_header_only_ledger(make_user):
    owner = await make_user("owner")
    circle = await owner.create_circle("Free things")
    found = await owner.ok("GET", f"/api/circles/{circle['id']}/revenue")
    assert found == {
        "circle_id": circle["id"],
        "totals": [],
        "by_month": [],
        "by_activity": [],
        "by_provider": [],
        "outstanding": [],
    }
    resp = await owner.get(f"/api/circles/{circle['id']}/revenue/ledger.csv")
    assert resp.status_code == 200
    assert resp.text.splitlines() == [
        "at,payment_id,version,status,reason,amount,currency,provider,test,activity_id,"
        "activity_title,payer_id,payer_name,reference"
    ]


async def test_money_of_an_activity_from_before_the_reports_is_counted(
    make_user, make_sock, clock, server
):
    """A store from an older version has paid activities the report's activity list never saw
    (their last change came before it existed): the first revenue read of the circle lists
    them."""
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Older club")
    act = await post_activity(organiser, circle, clock.now(), capacity=2, price=price(900))
    alice = await make_user("alice")
    await signup(make_sock, alice, act)
    await paid_by_transfer(organiser, alice, act, "IBAN alice")
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(server.extra["mongodb_url"])
    try:
        listed = client[server.extra["mongodb_db"]]["report_activities"]
        assert (await listed.delete_one({"_id": act["id"]})).deleted_count == 1
    finally:
        await client.close()
    found = await organiser.ok("GET", f"/api/circles/{circle['id']}/revenue")
    assert found["totals"] == [money(900, 0, currency=EUR, test=False)]
    assert [r["activity_id"] for r in found["by_activity"]] == [act["id"]]


def report_paths(circle: dict[str, Any], act: dict[str, Any]) -> list[str]:
    return [
        f"/api/activities/{act['id']}/report",
        f"/api/circles/{circle['id']}/revenue",
        f"/api/circles/{circle['id']}/revenue/ledger.csv",
    ]


async def test_only_owners_and_admins_read_reports(make_user, make_sock, clock):
    """A plain member is forbidden (they never see what others paid), an outsider of a private
    circle is told it does not exist, and nobody is served without a session."""
    owner = await make_user("owner")
    member, outsider = [await make_user(n) for n in ("member", "outsider")]
    private = await owner.create_circle("Private club", visibility="private")
    public = await owner.create_circle("Open club")
    for circle in (private, public):
        invite = await owner.ok("POST", f"/api/circles/{circle['id']}/invites", status=201)
        await member.join(circle["id"], invite["invite"])
    acts = {}
    for circle in (private, public):
        acts[circle["id"]] = act = await post_activity(
            owner, circle, clock.now(), capacity=3, price=price(700)
        )
        await signup(make_sock, member, act)
        await paid_by_transfer(owner, member, act, "IBAN member")
    for circle in (private, public):
        paths = report_paths(circle, acts[circle["id"]])
        for path in paths:
            assert (await owner.get(path)).status_code == 200, path
            refused = await member.get(path)
            assert refused.status_code == 403, (path, refused.text)
            assert refused.json()["error"]["code"] == "forbidden"
            assert "700" not in refused.text
            anonymous = await Api(owner.base_url).get(path)
            assert anonymous.status_code == 401
            assert anonymous.json()["error"]["code"] == "unauthorized"
    for path in report_paths(private, acts[private["id"]]):
        hidden = await outsider.get(path)
        assert hidden.status_code == 404, (path, hidden.text)
        assert hidden.json()["error"]["code"] == "not_found"
    # a visitor of a public circle is no reader either
    for path in report_paths(public, acts[public["id"]]):
        assert (await outsider.get(path)).status_code == 403
