"""Payments (PROTOCOL §4): holds, sandbox and manual providers, signed webhooks, cards, refunds."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx

from tests.support.activities import activity, post_activity
from tests.support.client import Api
from tests.support.payments import SECRET, deliver, event, signed

PRICE = {"amount": 1500, "currency": "EUR"}


async def paid_setup(make_user, make_sock, clock, capacity=1, **extra):
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Paid things")
    act = await post_activity(
        organiser, circle, clock.now(), capacity=capacity, price=PRICE, **extra
    )
    return organiser, circle, act


async def hold(make_user, make_sock, act, name="alice"):
    user = await make_user(name)
    sock = await make_sock(user)
    signup = (await sock.ok("activity:signup", {"activity_id": act["id"]}))["signup"]
    return user, sock, signup


async def pay(user: Api, act, provider="sandbox"):
    resp = await user.post(f"/api/activities/{act['id']}/payment", {"provider": provider})
    assert resp.status_code == 201, resp.text
    return resp.json()["payment"]


async def payment_of(api: Api, payment_id: str):
    resp = await api.get(f"/api/payments/{payment_id}")
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_sandbox_checkout_confirms_posts_payment_card_and_updates_counts(
    make_user, make_sock, clock
):
    organiser, circle, act = await paid_setup(make_user, make_sock, clock)
    so = await make_sock(organiser)
    alice, sa, signup = await hold(make_user, make_sock, act)
    assert signup["status"] == "pending_payment" and signup["hold_expires_at"]
    detail = (await activity(organiser, act["id"]))["activity"]
    assert detail["held_count"] == 1 and detail["status"] == "full"
    payment = await pay(alice, act)
    assert payment["status"] == "pending" and payment["amount"] == 1500
    assert payment["checkout_url"].startswith("http")
    again = await pay(alice, act)
    assert again["id"] == payment["id"]  # a pending payment is reused, not duplicated
    assert payment["test"] is True  # the sandbox moves no money
    # the web client's checkout page completes it for the payer's own session
    done = await alice.post(f"/api/payments/{payment['id']}/sandbox/complete", {})
    assert done.status_code == 200 and done.json()["payment"]["status"] == "paid", done.text
    card = await sa.wait_for(
        "message:new", lambda e: (e["message"]["card"] or {}).get("type") == "payment"
    )
    assert card["message"]["card"]["status"] == "paid"
    assert card["message"]["card"]["payment_id"] == payment["id"]
    await so.wait_for(
        "message:new", lambda e: (e["message"]["card"] or {}).get("payment_id") == payment["id"]
    )
    note = await sa.wait_for(
        "notification", lambda e: e["notification"]["kind"] == "payment_succeeded"
    )
    assert note["notification"]["data"]["payment_id"] == payment["id"]
    mine = await activity(alice, act["id"])
    assert mine["my_signup"]["status"] == "confirmed"
    assert mine["my_signup"]["payment_id"] == payment["id"]
    assert (mine["activity"]["confirmed_count"], mine["activity"]["held_count"]) == (1, 0)
    history = await payment_of(alice, payment["id"])
    assert [e["status"] for e in history["events"]] == ["pending", "paid"]
    assert (await payment_of(organiser, payment["id"]))["payment"]["status"] == "paid"
    stranger = await make_user("stranger")
    assert (await stranger.get(f"/api/payments/{payment['id']}")).status_code == 404


async def test_webhook_refuses_anything_not_signed_right_and_changes_nothing(
    make_user, make_sock, clock, server
):
    organiser, circle, act = await paid_setup(make_user, make_sock, clock)
    alice, sa, _ = await hold(make_user, make_sock, act)
    payment = await pay(alice, act)
    body = event(payment)
    raw, good = signed(body)
    reserialized = json.dumps(body, indent=2).encode()
    attempts = [
        lambda: (raw, {"Content-Type": "application/json"}),  # missing header
        lambda: (raw, signed(body, secret="wrong")[1]),
        lambda: (reserialized, good),  # signature over other bytes
        lambda: (raw, signed(body, at=int(time.time()) - 330)[1]),  # stale
        lambda: (raw, signed(body, at=int(time.time()) + 330)[1]),  # from the future
        lambda: (raw, {"Circles-Signature": "t=abc,v1=00"}),
        lambda: (raw, {"Circles-Signature": good["Circles-Signature"].replace("v1=", "v1=0")}),
    ]
    for i, attempt in enumerate(attempts):
        content, headers = attempt()
        async with httpx.AsyncClient(base_url=server.url) as http:
            r = await http.post("/api/payments/webhook/sandbox", content=content, headers=headers)
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request", (i, r.text)
    assert (await payment_of(alice, payment["id"]))["payment"]["status"] == "pending"
    assert (await activity(alice, act["id"]))["my_signup"]["status"] == "pending_payment"


async def test_same_event_five_times_concurrently_changes_state_once(
    make_user, make_sock, clock, server
):
    organiser, circle, act = await paid_setup(make_user, make_sock, clock)
    alice, sa, _ = await hold(make_user, make_sock, act)
    payment = await pay(alice, act)
    body = event(payment)
    results = await asyncio.gather(*[deliver(server.url, body) for _ in range(5)])
    assert all(r.status_code == 200 for r in results)
    outcomes = sorted(r.json()["outcome"] for r in results)
    assert outcomes.count("applied") == 1 and outcomes.count("duplicate") == 4
    history = await payment_of(alice, payment["id"])
    assert [e["status"] for e in history["events"]] == ["pending", "paid"]
    await asyncio.sleep(0.5)
    cards = [
        e for e in sa.events["message:new"] if (e["message"]["card"] or {}).get("type") == "payment"
    ]
    assert len(cards) == 1


async def test_rotated_secrets_amount_mismatch_and_out_of_order_events(
    make_user, make_sock, clock, stack
):
    env = stack.server_env(PAYMENT_WEBHOOK_SECRET="whsec_new, " + SECRET)
    proc = stack.start(**env)
    try:
        from tests.support.client import Sock, register

        organiser = await register(proc.url, "organiser")
        circle = await organiser.create_circle("Rotation")
        act = await post_activity(organiser, circle, clock.now(), capacity=2, price=PRICE)
        alice = await register(proc.url, "alice")
        sa = await Sock(proc.url, alice.token).connect()
        await sa.ok("activity:signup", {"activity_id": act["id"]})
        payment = await pay(alice, act)
        # a refund before any payment: recorded, ignored
        early = await deliver(proc.url, event(payment, "refund.succeeded"))
        assert early.status_code == 200 and early.json()["outcome"] == "ignored"
        # a verified event for another amount or currency is recorded, answered 200 (a provider
        # retries anything else forever) and confirms nothing (PROTOCOL §4)
        wrong = await deliver(proc.url, event(payment, amount=1))
        assert wrong.status_code == 200 and wrong.json()["outcome"] == "amount_mismatch"
        other = await deliver(proc.url, event(payment, currency="USD"))
        assert other.status_code == 200 and other.json()["outcome"] == "amount_mismatch"
        assert (await payment_of(alice, payment["id"]))["payment"]["status"] == "pending"
        assert (await activity(alice, act["id"]))["my_signup"]["status"] == "pending_payment"
        ok = await deliver(proc.url, event(payment), secret="whsec_new")
        assert ok.json()["outcome"] == "applied"
        old = await deliver(proc.url, event(payment), secret=SECRET)
        assert old.status_code == 200 and old.json()["outcome"] == "ignored"
        reasons = [e["reason"] for e in (await payment_of(alice, payment["id"]))["events"]]
        assert reasons == ["created", "amount_mismatch", "amount_mismatch", "webhook"]
        await sa.close()
    finally:
        proc.stop()


async def test_manual_proof_confirm_and_reject(make_user, make_sock, clock):
    organiser, circle, act = await paid_setup(make_user, make_sock, clock, capacity=2)
    alice, sa, _ = await hold(make_user, make_sock, act, "alice")
    bob, sb, _ = await hold(make_user, make_sock, act, "bob")
    so = await make_sock(organiser)
    pa = await pay(alice, act, "manual")
    assert pa["checkout_url"] is None
    proof = await alice.post(f"/api/payments/{pa['id']}/proof", {"reference": "IBAN tx 42"})
    assert proof.status_code == 200 and proof.json()["payment"]["reference"] == "IBAN tx 42"
    told = await so.wait_for("notification", lambda e: e["notification"]["kind"] == "payment_proof")
    assert "IBAN tx 42" in told["notification"]["body"]
    assert told["notification"]["data"]["payment_id"] == pa["id"]
    assert (await bob.post(f"/api/payments/{pa['id']}/confirm", {})).status_code == 404
    assert (await alice.post(f"/api/payments/{pa['id']}/confirm", {})).status_code == 403
    confirmed = await organiser.post(f"/api/payments/{pa['id']}/confirm", {})
    assert confirmed.status_code == 200 and confirmed.json()["payment"]["status"] == "paid"
    assert (await activity(alice, act["id"]))["my_signup"]["status"] == "confirmed"

    pb = await pay(bob, act, "manual")
    held = (await activity(bob, act["id"]))["my_signup"]["hold_expires_at"]
    rejected = await organiser.post(f"/api/payments/{pb['id']}/reject", {"reason": "not received"})
    assert rejected.json()["payment"]["status"] == "failed"
    assert rejected.json()["payment"]["failure_reason"] == "not received"
    failed = await sb.wait_for(
        "notification", lambda e: e["notification"]["kind"] == "payment_failed"
    )
    assert "not received" in failed["notification"]["body"]
    # PROTOCOL §4: the sign-up stays pending_payment until its hold expires (a hold without a
    # review window is not shortened or lengthened), so bob can try again
    mine = (await activity(bob, act["id"]))["my_signup"]
    assert mine["status"] == "pending_payment" and mine["hold_expires_at"] == held
    retry = await pay(bob, act, "manual")
    assert retry["id"] != pb["id"] and retry["status"] == "pending"

    # Switching provider ends the open payment: only one can be confirmed for a seat.
    switched = await pay(bob, act, "sandbox")
    assert (await payment_of(bob, retry["id"]))["payment"]["status"] == "expired"
    listed = (await organiser.get(f"/api/activities/{act['id']}/payments")).json()["payments"]
    by_id = {item["payment"]["id"]: item for item in listed}
    assert by_id[switched["id"]]["payer"]["id"] == bob.id
    assert by_id[pa["id"]]["payer"]["display_name"]


async def test_expired_hold_offers_seat_on_and_a_late_payment_is_refunded(
    make_user, make_sock, clock, server
):
    organiser, circle, act = await paid_setup(make_user, make_sock, clock, capacity=1)
    alice, sa, _ = await hold(make_user, make_sock, act, "alice")
    bob, sb, signup = await hold(make_user, make_sock, act, "bob")
    assert signup["status"] == "waitlisted"
    payment = await pay(alice, act)
    clock.advance(16 * 60)  # past the 15 minute hold
    await sb.wait_for("notification", lambda e: e["notification"]["kind"] == "offer")
    await sa.wait_for("notification", lambda e: e["notification"]["kind"] == "hold_expired")
    accepted = (await sb.ok("activity:accept_offer", {"activity_id": act["id"]}))["signup"]
    assert accepted["status"] == "pending_payment"
    for _ in range(50):
        if (await payment_of(alice, payment["id"]))["payment"]["status"] == "expired":
            break
        await asyncio.sleep(0.1)
    assert (await payment_of(alice, payment["id"]))["payment"]["status"] == "expired"
    late = await deliver(server.url, event(payment))
    assert late.status_code == 200
    for _ in range(100):
        status = (await payment_of(alice, payment["id"]))["payment"]["status"]
        if status == "refunded":
            break
        await asyncio.sleep(0.1)
    assert status == "refunded"
    states = [e["status"] for e in (await payment_of(alice, payment["id"]))["events"]]
    assert states == ["pending", "expired", "paid", "refund_pending", "refunded"]
    detail = (await activity(organiser, act["id"]))["activity"]
    assert detail["confirmed_count"] + detail["held_count"] == 1  # no overbooking
    assert (await activity(alice, act["id"]))["my_signup"]["status"] == "cancelled"
    refunded = await sa.wait_for(
        "notification", lambda e: e["notification"]["kind"] == "refund_succeeded"
    )
    assert "15.00 EUR" in refunded["notification"]["body"]  # minor units, in words


async def test_refunds_on_cancel_cutoff_and_ledger_totals(make_user, make_sock, clock, server):
    organiser, circle, act = await paid_setup(
        make_user, make_sock, clock, capacity=3, refund_cutoff_hours=24
    )
    people = []
    for name in ("alice", "bob", "carol"):
        user, sock, _ = await hold(make_user, make_sock, act, name)
        p = await pay(user, act)
        assert (await deliver(server.url, event(p))).json()["outcome"] == "applied"
        people.append((user, sock, p))
    (alice, sa, pa), (bob, sb, pb), (carol, sc, pc) = people
    # alice cancels two days before: refunded in full
    await sa.ok("activity:cancel", {"activity_id": act["id"]})
    await sa.wait_for("notification", lambda e: e["notification"]["kind"] == "refund_succeeded")
    # bob cancels inside the cutoff: no refund
    clock.advance(40 * 3600)
    await sb.ok("activity:cancel", {"activity_id": act["id"]})
    await asyncio.sleep(0.5)
    assert (await payment_of(bob, pb["id"]))["payment"]["status"] == "paid"
    # the organiser cancels the activity: carol is refunded
    await organiser.post(f"/api/activities/{act['id']}/cancel", {"reason": "venue closed"})
    await sc.wait_for("notification", lambda e: e["notification"]["kind"] == "refund_succeeded")
    refund_cards = [
        e["message"]["card"]["status"]
        for e in sc.events["message:new"]
        if (e["message"]["card"] or {}).get("type") == "payment"
    ]
    assert refund_cards == ["paid", "refund_pending", "refunded"]
    ledger = (await organiser.get(f"/api/activities/{act['id']}/payments")).json()
    # sandbox money is test money: summed apart, never as real money
    assert ledger["totals"] == {
        "currency": "EUR",
        "gross": 0,
        "refunded": 0,
        "net": 0,
        "test": {"gross": 4500, "refunded": 3000, "net": 1500},
    }
    assert {p["payment"]["status"] for p in ledger["payments"]} == {"refunded", "paid"}
    assert (await alice.get(f"/api/activities/{act['id']}/payments")).status_code == 403
    locked = await organiser.request(
        "PATCH", f"/api/activities/{act['id']}", json={"price": {"amount": 1, "currency": "EUR"}}
    )
    assert (
        locked.status_code == 409 and locked.json()["error"]["details"]["reason"] == "price_locked"
    )


def test_money_is_written_in_the_currency_s_own_minor_unit():
    from server.payments.money import format_money

    assert format_money(1250, "EUR") == "12.50 EUR"
    assert format_money(5, "USD") == "0.05 USD"
    assert format_money(1500, "JPY") == "1500 JPY"
    assert format_money(1234, "KWD") == "1.234 KWD"


async def test_a_webhook_whose_processing_died_is_finished_by_the_provider_s_retry(
    stack, make_user, make_sock, clock
):
    """The event was recorded, then the attempt died before applying it (the provider got an
    error and retries). The retry must finish it, once, instead of answering "duplicate"."""
    from pymongo import AsyncMongoClient

    db_name = f"t_{uuid.uuid4().hex[:12]}"
    proc = stack.start(**stack.server_env(db=db_name))
    mongo: AsyncMongoClient[dict] = AsyncMongoClient(stack.mongo_url, tz_aware=True)
    try:
        organiser = await make_user("organiser", base_url=proc.url)
        circle = await organiser.create_circle("Paid things")
        act = await post_activity(organiser, circle, clock.now(), capacity=2, price=PRICE)
        alice = await make_user("alice", base_url=proc.url)
        sa = await make_sock(alice, proc.url)
        assert (await sa.ok("activity:signup", {"activity_id": act["id"]}))["signup"][
            "status"
        ] == "pending_payment"
        payment = await pay(alice, act)
        body = event(payment)
        record = {
            "body": body,
            "received_at": clock.now(),
            "outcome": None,
        }
        events = mongo[db_name]["webhook_events"]
        # Still being processed (recorded just now): a copy is a duplicate and changes nothing.
        await events.insert_one({"_id": f"sandbox:{body['id']}", **record, "t": time.time()})
        same = await deliver(proc.url, body)
        assert same.json()["outcome"] == "duplicate"
        assert (await payment_of(alice, payment["id"]))["payment"]["status"] == "pending"
        # Abandoned long ago: the retry applies it, with the card and the notification, once.
        await events.update_one(
            {"_id": f"sandbox:{body['id']}"}, {"$set": {"t": time.time() - 120}}
        )
        retried = await deliver(proc.url, body)
        assert retried.status_code == 200 and retried.json()["outcome"] == "applied"
        assert (await payment_of(alice, payment["id"]))["payment"]["status"] == "paid"
        assert (await activity(alice, act["id"]))["my_signup"]["status"] == "confirmed"
        await sa.wait_for(
            "notification", lambda e: e["notification"]["kind"] == "payment_succeeded"
        )
        again = await deliver(proc.url, body)
        assert again.json()["outcome"] == "duplicate"
        # Finishing again (an organiser confirming twice, say) posts no second card.
        dm = (await sa.ok("dm:open", {"user_id": organiser.id}))["conversation"]["id"]
        history = await sa.ok("history", {"conversation_id": dm, "limit": 50})
        cards = [
            m
            for m in history["messages"]
            if m["kind"] == "card" and m["card"]["payment_id"] == payment["id"]
        ]
        assert [c["card"]["status"] for c in cards] == ["paid"]
    finally:
        await mongo.close()
        proc.stop()
