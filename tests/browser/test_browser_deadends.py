"""Dead ends (issue 15, item 6): a private circle's link opened by a non-member says so instead
of loading forever; the member count in the chat header follows joins and leaves live
(`circle:members`); the sandbox checkout is branded as a test payment with a way back; and the
browser's Back after paying shows the paid state, never a live Pay button.

Personas: olga (owns the circles, organises), eve (not a member), bob (joins and leaves),
ann (pays).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    Client,
    Server,
    User,
    activity_card,
    api_create_circle,
    api_join_circle,
)

pytestmark = pytest.mark.browser

OpenClient = Callable[[str], Client]
MakeUser = Callable[..., User]


def test_private_circle_link_tells_a_non_member_to_ask_for_an_invite(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    olga, eve = make_user("olga"), make_user("eve")
    name = f"Hidden {uuid.uuid4().hex[:6]}"
    circle = api_create_circle(server, olga, name, visibility="private", description="secret")
    eve_c = open_client("eve")
    eve_c.login(eve)
    page = eve_c.page

    eve_c.goto(f"#/c/{circle['conversation_id']}")
    private = page.get_by_test_id("chat-private")
    expect(private).to_contain_text("This circle is private: ask for an invite")
    expect(page.get_by_test_id("chat-loading")).to_have_count(0)
    expect(private).not_to_contain_text(name)  # nothing of the circle leaks, not even its name
    eve_c.screenshot("private-circle-link")

    # a fresh load of the link (the conversation list comes after the page) ends the same way
    page.reload()
    expect(page.get_by_test_id("chat-private")).to_be_visible()

    # opened signed out, the link survives signing in and ends the same way
    later = open_client("eve-later")
    later.goto(f"#/c/{circle['conversation_id']}")
    expect(later.page.get_by_test_id("login-view")).to_be_visible()
    later.login(eve)
    expect(later.page.get_by_test_id("chat-private")).to_be_visible()

    # once invited and joined, the same link opens the chat
    invite = server.api("POST", f"/api/circles/{circle['id']}/invites", {}, token=olga.token)
    eve_c.page.goto(invite["url"])
    expect(page.get_by_test_id("chat-title")).to_have_text(name)
    eve_c.goto(f"#/c/{circle['conversation_id']}")
    expect(page.get_by_test_id("chat-title")).to_have_text(name)
    expect(page.get_by_test_id("chat-private")).to_have_count(0)


def test_member_count_in_the_chat_header_follows_joins_and_leaves(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    olga, bob, cat = make_user("olga"), make_user("bob"), make_user("cat")
    name = f"Open {uuid.uuid4().hex[:6]}"
    circle = api_create_circle(server, olga, name)
    olga_c = open_client("olga")
    olga_c.login(olga)
    olga_c.open_conversation(name)
    count = olga_c.page.get_by_test_id("chat-member-count")
    expect(count).to_have_text("1 member")

    api_join_circle(server, bob, circle)
    expect(count).to_have_text("2 members")
    api_join_circle(server, cat, circle)
    expect(count).to_have_text("3 members")
    server.api("POST", f"/api/circles/{circle['id']}/leave", {}, token=bob.token)
    expect(count).to_have_text("2 members")


def test_checkout_is_a_branded_test_page_and_back_after_paying_shows_it_paid(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    olga, ann = make_user("olga"), make_user("ann")
    circle = api_create_circle(server, olga, f"Rowers {uuid.uuid4().hex[:6]}")
    api_join_circle(server, ann, circle)
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    activity = server.api(
        "POST",
        f"/api/circles/{circle['id']}/activities",
        {
            "title": f"Row {uuid.uuid4().hex[:6]}",
            "category": "outdoors",
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "ends_at": (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "location": {"name": "Boathouse"},
            "capacity": 4,
            "price": {"amount": 900, "currency": "EUR"},
        },
        token=olga.token,
    )["activity"]
    activity_id = activity["id"]
    ann_c = open_client("ann")
    ann_c.login(ann)
    page = ann_c.page
    # from the chat card, the way most people get there
    ann_c.open_conversation(circle["name"])
    card = activity_card(ann_c, activity["title"])
    card.get_by_test_id("activity-signup").click()
    expect(card).to_have_attribute("data-my-status", "pending_payment")
    card.get_by_test_id("payment-pay-sandbox").click()
    section = page.get_by_test_id("activity-my-section")

    # branded as a test payment, with a way back to the activity
    checkout = page.get_by_test_id("checkout-view")
    expect(checkout).to_have_attribute("data-state", "ready")
    expect(checkout.get_by_test_id("checkout-test-notice")).to_contain_text("TEST PAYMENT")
    expect(checkout.get_by_test_id("checkout-test-notice")).to_contain_text("no money moves")
    expect(checkout.get_by_test_id("checkout-back")).to_have_attribute(
        "href", f"#/activity/{activity_id}"
    )
    expect(checkout.get_by_test_id("checkout-pay")).to_contain_text("test, no money moves")
    payment_id = checkout.get_attribute("data-payment-id")
    page.get_by_test_id("checkout-pay").click()
    expect(page).to_have_url(re.compile(rf"#/activity/{re.escape(activity_id)}$"))
    panel = section.get_by_test_id("payment-panel")
    expect(panel.get_by_test_id("payment-status")).to_have_attribute("data-status", "paid")

    # Back: the checkout says paid, with no Pay button
    page.go_back()
    expect(page).to_have_url(re.compile(r"#/pay/"))
    expect(checkout).to_have_attribute("data-status", "paid")
    expect(checkout.get_by_test_id("checkout-status")).to_have_attribute("data-status", "paid")
    expect(checkout.get_by_test_id("checkout-pay")).to_have_count(0)
    # Back again: the chat card shows the seat confirmed and the payment paid, nothing to pay
    page.go_back()
    expect(page).to_have_url(re.compile(r"#/c/"))
    expect(card).to_have_attribute("data-my-status", "confirmed")
    expect(card.get_by_test_id("payment-status")).to_have_attribute("data-status", "paid")
    expect(card.get_by_test_id("payment-pay-sandbox")).to_have_count(0)
    ann_c.screenshot("back-after-paying")

    # the checkout link itself, opened again later, says it is paid
    ann_c.goto(f"#/pay/{payment_id}")
    expect(checkout).to_have_attribute("data-state", "closed")
    expect(checkout.get_by_test_id("checkout-status")).to_have_attribute("data-status", "paid")
    expect(checkout.get_by_test_id("checkout-pay")).to_have_count(0)
