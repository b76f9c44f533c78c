"""Manual payments and the seat hold (issue 9, item 4): a submitted transfer reference holds the
seat for the organiser's review window; the organiser can always confirm (seat back if one is
free, else the refund path) or reject, also for a proof that arrives or is reviewed late. A
rejection follows PROTOCOL §4: the sign-up stays `pending_payment`, but only for an ordinary hold
from the moment of rejection, so a made-up reference cannot keep a seat for the review window."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from tests.support.activities import activity, post_activity
from tests.support.client import Api, Sock

PRICE = {"amount": 2000, "currency": "EUR"}


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.1)


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def signed_up(make_user, make_sock, act, name) -> tuple[Api, Sock, dict[str, Any]]:
    user = await make_user(name)
    sock = await make_sock(user)
    signup = (await sock.ok("activity:signup", {"activity_id": act["id"]}))["signup"]
    return user, sock, signup


async def manual(user: Api, act) -> dict[str, Any]:
    resp = await user.post(f"/api/activities/{act['id']}/payment", {"provider": "manual"})
    assert resp.status_code == 201, resp.text
    return dict(resp.json()["payment"])


async def proof(user: Api, payment: dict[str, Any], reference: str) -> dict[str, Any]:
    resp = await user.post(f"/api/payments/{payment['id']}/proof", {"reference": reference})
    assert resp.status_code == 200, resp.text
    return dict(resp.json()["payment"])


async def status_of(api: Api, payment: dict[str, Any]) -> str:
    return str((await api.get(f"/api/payments/{payment['id']}")).json()["payment"]["status"])


async def my_status(api: Api, act) -> str | None:
    mine = (await activity(api, act["id"]))["my_signup"]
    return mine["status"] if mine else None


async def seats(api: Api, act) -> int:
    a = (await activity(api, act["id"]))["activity"]
    assert a["confirmed_count"] + a["held_count"] <= a["capacity"]  # S1
    return int(a["confirmed_count"] + a["held_count"])


async def test_the_review_window_is_an_activity_setting_with_a_range(make_user, clock):
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Paid things")
    for bad in (0, 721, "72", 1.5, None):
        body = {"payment_review_hours": bad}
        resp = await organiser.post(
            f"/api/circles/{circle['id']}/activities",
            {
                "title": "Bad window",
                "category": "outdoors",
                "starts_at": (clock.now() + timedelta(days=2)).isoformat(),
                "ends_at": (clock.now() + timedelta(days=2, hours=2)).isoformat(),
                "location": {"name": "Hall"},
                "capacity": 2,
                "price": PRICE,
                **body,
            },
        )
        assert resp.status_code == 422, (bad, resp.text)
        assert "payment_review_hours" in resp.json()["error"]["details"]["fields"]
    act = await post_activity(organiser, circle, clock.now(), price=PRICE)
    assert act["payment_review_hours"] == 72
    patched = await organiser.request(
        "PATCH", f"/api/activities/{act['id']}", json={"payment_review_hours": 24}
    )
    assert patched.status_code == 200 and patched.json()["activity"]["payment_review_hours"] == 24
    refused = await organiser.request(
        "PATCH", f"/api/activities/{act['id']}", json={"payment_review_hours": 0}
    )
    assert refused.status_code == 422
    assert (await activity(organiser, act["id"]))["activity"]["payment_review_hours"] == 24


async def test_a_submitted_reference_holds_the_seat_for_the_review_window(
    make_user, make_sock, clock
):
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Paid things")
    act = await post_activity(
        organiser,
        circle,
        clock.now(),
        starts_in=timedelta(days=5),
        capacity=1,
        price=PRICE,
        payment_review_hours=48,
    )
    alice, sa, _ = await signed_up(make_user, make_sock, act, "alice")
    bob, sb, waiting = await signed_up(make_user, make_sock, act, "bob")
    assert waiting["status"] == "waitlisted"
    payment = await manual(alice, act)
    sent = await proof(alice, payment, "IBAN transfer 4711")
    assert sent["status"] == "pending" and sent["reference"] == "IBAN transfer 4711"
    hold = at((await activity(alice, act["id"]))["my_signup"]["hold_expires_at"])
    assert hold >= clock.now() + timedelta(hours=47)
    assert hold <= at(payment["created_at"]) + timedelta(hours=48, seconds=1)

    clock.advance(16 * 60)  # past the 15 minute hold an unproven payment gets
    await asyncio.sleep(1.0)  # several sweeps
    assert await status_of(alice, payment) == "pending"
    assert await my_status(alice, act) == "pending_payment"
    assert await my_status(bob, act) == "waitlisted"
    assert await seats(organiser, act) == 1

    clock.advance(48 * 3600)  # the organiser never looked: the review window runs out
    await eventually(lambda: _is(status_of(alice, payment), "expired"))
    await eventually(lambda: _is(my_status(bob, act), "offered"))
    assert await seats(organiser, act) == 1


async def test_the_review_window_never_runs_past_the_start(make_user, make_sock, clock):
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Paid things")
    act = await post_activity(
        organiser, circle, clock.now(), starts_in=timedelta(hours=10), capacity=2, price=PRICE
    )
    alice, sa, _ = await signed_up(make_user, make_sock, act, "alice")
    await proof(alice, await manual(alice, act), "TX 1")
    hold = (await activity(alice, act["id"]))["my_signup"]["hold_expires_at"]
    assert at(hold) == at(act["starts_at"])


async def test_moving_the_start_earlier_cuts_a_review_hold_to_the_new_start(
    make_user, make_sock, clock
):
    """The review window was capped at the old start; an edit that brings the start forward
    must not leave the seat held past the new one."""
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Paid things")
    act = await post_activity(
        organiser, circle, clock.now(), starts_in=timedelta(days=5), capacity=1, price=PRICE
    )
    alice, sa, _ = await signed_up(make_user, make_sock, act, "alice")
    bob, sb, _ = await signed_up(make_user, make_sock, act, "bob")
    payment = await manual(alice, act)
    await proof(alice, payment, "TX 5")
    reviewed = at((await activity(alice, act["id"]))["my_signup"]["hold_expires_at"])
    assert reviewed > clock.now() + timedelta(hours=70)

    new_start = (clock.now() + timedelta(hours=2)).replace(microsecond=0)
    moved = await organiser.request(
        "PATCH",
        f"/api/activities/{act['id']}",
        json={
            "starts_at": new_start.isoformat(),
            "ends_at": (new_start + timedelta(hours=2)).isoformat(),
        },
    )
    assert moved.status_code == 200, moved.text
    assert at(moved.json()["activity"]["starts_at"]) == new_start
    mine = (await activity(alice, act["id"]))["my_signup"]
    assert mine["status"] == "pending_payment"
    assert at(mine["hold_expires_at"]) <= new_start
    assert await seats(organiser, act) == 1

    clock.advance(2 * 3600 + 60)  # past the new start: the hold ends, nobody is offered a seat
    await eventually(lambda: _is(my_status(alice, act), "cancelled"))
    await eventually(lambda: _is(status_of(alice, payment), "expired"))
    assert await my_status(bob, act) == "waitlisted"
    assert await seats(organiser, act) == 0


async def test_late_proofs_can_still_be_confirmed_or_rejected(make_user, make_sock, clock):
    """The holds ran out before the references arrived: confirming gives the seat back while
    one is free; rejecting a late proof leaves the seat with whoever has it."""
    organiser = await make_user("organiser")
    so = await make_sock(organiser)
    circle = await organiser.create_circle("Paid things")
    act = await post_activity(organiser, circle, clock.now(), capacity=2, price=PRICE)
    alice, sa, _ = await signed_up(make_user, make_sock, act, "alice")
    carol, sc, _ = await signed_up(make_user, make_sock, act, "carol")
    pa, pc = await manual(alice, act), await manual(carol, act)
    clock.advance(16 * 60)
    await eventually(lambda: _is(status_of(alice, pa), "expired"))
    await eventually(lambda: _is(status_of(carol, pc), "expired"))
    assert await my_status(alice, act) == "cancelled"

    late = await proof(alice, pa, "Sent yesterday, ref 99")
    assert late["status"] == "expired" and late["reference"] == "Sent yesterday, ref 99"
    told = await so.wait_for(
        "notification",
        lambda e: (
            e["notification"]["kind"] == "payment_proof"
            and e["notification"]["data"]["payment_id"] == pa["id"]
        ),
    )
    assert "Sent yesterday, ref 99" in told["notification"]["body"]
    await proof(carol, pc, "bogus")

    confirmed = await organiser.post(f"/api/payments/{pa['id']}/confirm", {})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["payment"]["status"] == "paid"
    assert await my_status(alice, act) == "confirmed"
    assert (await activity(alice, act["id"]))["my_signup"]["payment_id"] == pa["id"]
    await sa.wait_for("notification", lambda e: e["notification"]["kind"] == "payment_succeeded")

    rejected = await organiser.post(f"/api/payments/{pc['id']}/reject", {"reason": "no money"})
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["payment"]["status"] == "failed"
    assert await my_status(carol, act) == "cancelled"
    assert await seats(organiser, act) == 1


async def test_a_late_confirm_without_a_free_seat_is_refunded_and_the_payer_told(
    make_user, make_sock, clock
):
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Paid things")
    act = await post_activity(
        organiser, circle, clock.now(), capacity=1, price=PRICE, payment_review_hours=1
    )
    alice, sa, _ = await signed_up(make_user, make_sock, act, "alice")
    bob, sb, _ = await signed_up(make_user, make_sock, act, "bob")
    payment = await manual(alice, act)
    await proof(alice, payment, "TX 2")
    clock.advance(61 * 60)  # the one-hour review window passes
    await eventually(lambda: _is(my_status(bob, act), "offered"))
    accepted = (await sb.ok("activity:accept_offer", {"activity_id": act["id"]}))["signup"]
    assert accepted["status"] == "pending_payment"
    assert await status_of(alice, payment) == "expired"

    confirmed = await organiser.post(f"/api/payments/{payment['id']}/confirm", {})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["payment"]["status"] == "refund_pending"
    told = await sa.wait_for(
        "notification", lambda e: e["notification"]["kind"] == "refund_started"
    )
    assert told["notification"]["data"]["payment_id"] == payment["id"]
    assert await my_status(alice, act) == "cancelled"
    assert await my_status(bob, act) == "pending_payment"
    assert await seats(organiser, act) == 1
    done = await organiser.post(f"/api/payments/{payment['id']}/refunded", {})
    assert done.json()["payment"]["status"] == "refunded"


async def rejected_in_review(make_user, make_sock, clock):
    """alice holds the only seat with a reference under review, bob waits; the organiser rejects
    the reference."""
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Paid things")
    act = await post_activity(
        organiser, circle, clock.now(), starts_in=timedelta(days=5), capacity=1, price=PRICE
    )
    alice, sa, _ = await signed_up(make_user, make_sock, act, "alice")
    bob, sb, _ = await signed_up(make_user, make_sock, act, "bob")
    payment = await manual(alice, act)
    await proof(alice, payment, "TX 3")
    clock.advance(30 * 60)  # well into the review window, past the first 15 minute hold
    reviewed = at((await activity(alice, act["id"]))["my_signup"]["hold_expires_at"])
    assert reviewed > clock.now() + timedelta(hours=70)
    rejected_at = clock.now()
    rejected = await organiser.post(
        f"/api/payments/{payment['id']}/reject", {"reason": "nothing arrived"}
    )
    assert rejected.status_code == 200 and rejected.json()["payment"]["status"] == "failed"
    return organiser, act, (alice, sa, payment), (bob, sb), rejected_at


async def test_a_rejected_reference_leaves_an_ordinary_hold_to_pay_again(
    make_user, make_sock, clock
):
    organiser, act, (alice, sa, payment), (bob, sb), rejected_at = await rejected_in_review(
        make_user, make_sock, clock
    )
    mine = (await activity(alice, act["id"]))["my_signup"]
    assert mine["status"] == "pending_payment"
    hold = at(mine["hold_expires_at"])  # back to the 15 minute hold, from the rejection
    assert rejected_at + timedelta(minutes=14) < hold <= clock.now() + timedelta(minutes=15)
    assert await my_status(bob, act) == "waitlisted"
    assert await seats(organiser, act) == 1
    failed = await sa.wait_for(
        "notification", lambda e: e["notification"]["kind"] == "payment_failed"
    )
    assert "nothing arrived" in failed["notification"]["body"]
    assert "pay again" in failed["notification"]["body"]
    # the rejected payment takes no new reference; a new payment does
    again = await alice.post(f"/api/payments/{payment['id']}/proof", {"reference": "TX 4"})
    assert again.status_code == 409, again.text
    assert (await alice.get(f"/api/payments/{payment['id']}")).json()["payment"]["reference"] == (
        "TX 3"
    )

    clock.advance(10 * 60)  # within the new hold
    retry = await alice.post(f"/api/activities/{act['id']}/payment", {"provider": "sandbox"})
    assert retry.status_code == 201, retry.text
    fresh = retry.json()["payment"]
    assert fresh["id"] != payment["id"] and fresh["status"] == "pending"
    # a new payment does not win back the review window either
    assert at((await activity(alice, act["id"]))["my_signup"]["hold_expires_at"]) == hold
    paid = await alice.post(f"/api/payments/{fresh['id']}/sandbox/complete", {})
    assert paid.status_code == 200 and paid.json()["payment"]["status"] == "paid", paid.text
    assert await my_status(alice, act) == "confirmed"
    clock.advance(10 * 60)  # past where the hold was: nothing moves any more
    await asyncio.sleep(1.0)
    assert await my_status(alice, act) == "confirmed"
    assert await my_status(bob, act) == "waitlisted"
    assert await seats(organiser, act) == 1


async def test_a_rejected_reference_not_paid_again_releases_the_seat_at_the_hold(
    make_user, make_sock, clock
):
    organiser, act, (alice, sa, payment), (bob, sb), _ = await rejected_in_review(
        make_user, make_sock, clock
    )
    clock.advance(10 * 60)  # still held
    await asyncio.sleep(1.0)  # several sweeps
    assert await my_status(alice, act) == "pending_payment"
    assert await my_status(bob, act) == "waitlisted"
    clock.advance(6 * 60)  # the hold from the rejection runs out
    await eventually(lambda: _is(my_status(bob, act), "offered"))
    await sb.wait_for("notification", lambda e: e["notification"]["kind"] == "offer")
    assert await my_status(alice, act) == "cancelled"
    assert await status_of(alice, payment) == "expired"
    assert await seats(organiser, act) == 1


async def _is(value: Awaitable[Any], expected: Any) -> bool:
    return (await value) == expected
