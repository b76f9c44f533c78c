"""Actions that cost something ask first and say the consequence (issue 15, item 4): "Cancel my
spot" (the seat is given away; in a full activity signing up again means the back of the queue;
a paid seat is refunded only under the refund rule) and "Leave circle", through one shared
<dialog>. Dismissing changes nothing; confirming does it.

Personas: olga (owns the circle, organises), ann (signs up, pays, cancels), bob (leaves).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Locator, expect

from tests.browser.helpers import Client, Server, User, api_create_circle, api_join_circle

pytestmark = pytest.mark.browser

OpenClient = Callable[[str], Client]
MakeUser = Callable[..., User]


def make_activity(
    server: Server, owner: User, circle: dict, capacity: int, price: dict | None = None, **extra
) -> dict:
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    body = {
        "title": f"Row {uuid.uuid4().hex[:6]}",
        "category": "outdoors",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "ends_at": (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "location": {"name": "Boathouse"},
        "capacity": capacity,
        **extra,
    }
    if price:
        body["price"] = price
    return server.api("POST", f"/api/circles/{circle['id']}/activities", body, token=owner.token)[
        "activity"
    ]


def my_status(server: Server, user: User, activity_id: str) -> str | None:
    out = server.api("GET", f"/api/activities/{activity_id}", token=user.token)
    return (out["my_signup"] or {}).get("status")


def mine(client: Client) -> Locator:
    return client.page.get_by_test_id("activity-my-section").get_by_test_id("activity-mine")


def sign_up_and_pay(client: Client, activity_id: str) -> None:
    """From the activity page: sign up, pay on the sandbox checkout, back confirmed."""
    page = client.page
    client.goto(f"#/activity/{activity_id}")
    mine(client).get_by_test_id("activity-signup").click()
    expect(mine(client)).to_have_attribute("data-my-status", "pending_payment")
    section = page.get_by_test_id("activity-my-section")
    section.get_by_test_id("payment-pay-sandbox").click()
    expect(page.get_by_test_id("checkout-view")).to_have_attribute("data-state", "ready")
    page.get_by_test_id("checkout-pay").click()
    expect(page).to_have_url(re.compile(rf"#/activity/{re.escape(activity_id)}$"))
    expect(mine(client)).to_have_attribute("data-my-status", "confirmed")


def test_cancel_my_spot_asks_and_only_confirming_cancels(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    olga, ann = make_user("olga"), make_user("ann")
    circle = api_create_circle(server, olga, f"Rowers {uuid.uuid4().hex[:6]}")
    api_join_circle(server, ann, circle)
    activity = make_activity(server, olga, circle, capacity=1)
    ann_c = open_client("ann")
    ann_c.login(ann)
    ann_c.goto(f"#/activity/{activity['id']}")
    page = ann_c.page
    mine(ann_c).get_by_test_id("activity-signup").click()
    expect(mine(ann_c)).to_have_attribute("data-my-status", "confirmed")

    # asks, saying the seat goes and that the activity (now full) means the back of the queue
    mine(ann_c).get_by_test_id("activity-cancel").click()
    dialog = page.get_by_role("dialog", name="Cancel your spot?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_test_id("confirm-message")).to_contain_text("Your seat is given away")
    expect(dialog.get_by_test_id("confirm-message")).to_contain_text("back of the waitlist")
    expect(dialog.get_by_test_id("confirm-keep")).to_be_focused()
    ann_c.screenshot("confirm-cancel-spot")

    # Escape and "Keep my spot" both leave everything as it was
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("confirm-dialog")).to_have_count(0)
    mine(ann_c).get_by_test_id("activity-cancel").click()
    page.get_by_test_id("confirm-keep").click()
    expect(page.get_by_test_id("confirm-dialog")).to_have_count(0)
    expect(mine(ann_c)).to_have_attribute("data-my-status", "confirmed")
    assert my_status(server, ann, activity["id"]) == "confirmed"

    # confirming cancels
    mine(ann_c).get_by_test_id("activity-cancel").click()
    page.get_by_test_id("confirm-ok").click()
    expect(mine(ann_c)).to_have_attribute("data-my-status", "cancelled")
    assert my_status(server, ann, activity["id"]) == "cancelled"


def test_leave_circle_asks_and_only_confirming_leaves(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    olga, bob = make_user("olga"), make_user("bob")
    name = f"Quiet {uuid.uuid4().hex[:6]}"
    circle = api_create_circle(server, olga, name, visibility="private")
    invite = server.api("POST", f"/api/circles/{circle['id']}/invites", {}, token=olga.token)
    server.api(
        "POST", f"/api/circles/{circle['id']}/join", {"invite": invite["invite"]}, token=bob.token
    )
    bob_c = open_client("bob")
    bob_c.login(bob)
    bob_c.open_conversation(name)
    page = bob_c.page

    page.get_by_test_id("leave-button").click()
    dialog = page.get_by_role("dialog", name=f"Leave {name}?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_test_id("confirm-message")).to_contain_text("need a new invite")
    page.get_by_test_id("confirm-keep").click()
    expect(page.get_by_test_id("confirm-dialog")).to_have_count(0)
    expect(page.get_by_test_id("chat-title")).to_have_text(name)
    members = server.api("GET", f"/api/circles/{circle['id']}/members", token=olga.token)
    assert bob.id in [m["user"]["id"] for m in members["members"]]

    page.get_by_test_id("leave-button").click()
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_test_id("explore-view")).to_be_visible()
    expect(bob_c.conversation_item(name)).to_have_count(0)
    members = server.api("GET", f"/api/circles/{circle['id']}/members", token=olga.token)
    assert bob.id not in [m["user"]["id"] for m in members["members"]]


def test_paid_cancellation_names_the_refund_under_the_rule(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    olga, ann = make_user("olga"), make_user("ann")
    circle = api_create_circle(server, olga, f"Rowers {uuid.uuid4().hex[:6]}")
    api_join_circle(server, ann, circle)
    eur = {"amount": 1250, "currency": "EUR"}
    # starts in 3 days: a 24-hour cutoff is ahead (refund), a 100-hour one has passed (none)
    refundable = make_activity(server, olga, circle, 5, eur, refund_cutoff_hours=24)
    too_late = make_activity(server, olga, circle, 5, eur, refund_cutoff_hours=100)
    ann_c = open_client("ann")
    ann_c.login(ann)
    page = ann_c.page

    sign_up_and_pay(ann_c, too_late["id"])
    mine(ann_c).get_by_test_id("activity-cancel").click()
    refund = page.get_by_test_id("confirm-dialog").get_by_test_id("confirm-refund")
    expect(refund).to_have_attribute("data-refund", "none")
    expect(refund).to_contain_text("No refund")
    expect(refund).to_contain_text("12.50")
    expect(page.get_by_test_id("confirm-message")).to_contain_text("100 hours before the start")
    page.get_by_test_id("confirm-keep").click()
    assert my_status(server, ann, too_late["id"]) == "confirmed"

    sign_up_and_pay(ann_c, refundable["id"])
    mine(ann_c).get_by_test_id("activity-cancel").click()
    refund = page.get_by_test_id("confirm-dialog").get_by_test_id("confirm-refund")
    expect(refund).to_have_attribute("data-refund", "full")
    expect(refund).to_contain_text("refunded")
    expect(refund).to_contain_text("12.50")
    expect(refund).to_contain_text("test payment")
    expect(page.get_by_test_id("confirm-message")).to_contain_text("24 hours before the start")
    ann_c.screenshot("confirm-paid-cancel")
    page.get_by_test_id("confirm-ok").click()
    expect(mine(ann_c)).to_have_attribute("data-my-status", "cancelled")
    panel = page.get_by_test_id("activity-my-section").get_by_test_id("payment-panel")
    expect(panel.get_by_test_id("payment-status")).to_have_attribute(
        "data-status", re.compile(r"^refund(ed|_pending)$")
    )
