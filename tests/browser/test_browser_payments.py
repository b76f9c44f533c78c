"""Payments in the web client, end to end: paying for a held seat from the chat card through the
sandbox (test) provider's checkout page in the app, which only the payer can complete and which
says that no money moves, the payment card in the payer's DM with the organiser, bank
transfer / cash payments with a reference that the organiser confirms or rejects in the payment
review list, and a manual refund marked done. Real Chromium against a real server and database.

Personas: olga (owns the circle, organises), ann (signs up and pays), cat (watches the card).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Locator, expect

from tests.browser.helpers import (
    Client,
    Server,
    User,
    activity_card,
    api_create_activity,
    api_create_circle,
    api_join_circle,
    payment_rows,
)

pytestmark = pytest.mark.browser

OpenClient = Callable[[str], Client]
MakeUser = Callable[..., User]


def signed_in(client: Client, user: User, circle_name: str) -> None:
    client.login(user)
    client.open_conversation(circle_name)


def my_section(client: Client) -> Locator:
    return client.page.get_by_test_id("activity-my-section")


# ---- 1. sandbox: sign up from the card, pay on the test checkout page, see the card ------------


def test_attendee_pays_a_held_seat_through_the_sandbox_checkout(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    olga = make_user("olga", display_name="Olga Organiser")
    ann = make_user("ann", display_name="Ann Attendee")
    cat = make_user("cat", display_name="Cat Watcher")
    name = f"Rowers {uuid.uuid4().hex[:6]}"
    circle = api_create_circle(server, olga, name)
    api_join_circle(server, ann, circle)
    api_join_circle(server, cat, circle)

    olga_c, ann_c, cat_c = (open_client(n) for n in ("olga", "ann", "cat"))
    for client, user in ((olga_c, olga), (ann_c, ann), (cat_c, cat)):
        signed_in(client, user, name)

    # olga posts a paid activity (12.50 EUR, 3 seats) from the form in the circle view
    title = f"River tour {uuid.uuid4().hex[:4]}"
    start = (datetime.now() + timedelta(days=5)).replace(hour=10, minute=0, second=0, microsecond=0)
    page = olga_c.page
    page.get_by_test_id("new-activity-button").click()
    page.get_by_test_id("activity-form-title").fill(title)
    page.get_by_test_id("activity-form-category").fill("outdoors")
    page.get_by_test_id("activity-form-starts").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_test_id("activity-form-ends").fill(
        (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_test_id("activity-form-location-name").fill("Boathouse")
    page.get_by_test_id("activity-form-capacity").fill("3")
    page.get_by_test_id("activity-form-price-amount").fill("12.50")
    page.get_by_test_id("activity-form-price-currency").select_option("EUR")
    page.get_by_test_id("activity-form-submit").click()
    expect(page.get_by_test_id("chat-title")).to_have_text(name)

    ann_card = activity_card(ann_c, title)
    watched = activity_card(cat_c, title)
    expect(ann_card).to_have_count(1)
    expect(ann_card.get_by_test_id("activity-price")).to_contain_text("12.50")
    expect(watched).to_have_attribute("data-seats-left", "3")
    activity_id = ann_card.get_attribute("data-activity-id")
    assert activity_id

    # ann signs up from the card: her seat is held until she pays, with a countdown
    expect(ann_card.get_by_test_id("activity-signup")).to_contain_text("Sign up")
    ann_card.get_by_test_id("activity-signup").click()
    expect(ann_card).to_have_attribute("data-my-status", "pending_payment")
    countdown = ann_card.get_by_test_id("activity-hold-countdown")
    expect(countdown).to_have_text(re.compile(r"^\d+:\d\d$"))
    assert 13 * 60 <= int(countdown.get_attribute("data-remaining") or "0") <= 15 * 60
    panel = ann_card.get_by_test_id("payment-panel")
    expect(panel).to_have_attribute("data-state", "choose")
    expect(panel).to_contain_text("12.50")

    # cat's card follows live: one seat is held
    expect(watched).to_have_attribute("data-seats-left", "2")
    expect(watched.get_by_test_id("activity-held")).to_have_text("1 held")
    expect(watched.get_by_test_id("activity-confirmed")).to_have_text("0/3 going")
    ann_c.screenshot("payment-held")

    # The test payment: the app's checkout page says plainly that no money moves
    panel.get_by_test_id("payment-pay-sandbox").click()
    ann_page = ann_c.page
    expect(ann_page).to_have_url(re.compile(r"#/pay/[A-Za-z0-9_-]+$"))
    checkout = ann_page.get_by_test_id("checkout-view")
    expect(checkout).to_have_attribute("data-state", "ready")
    expect(checkout.get_by_test_id("checkout-test-notice")).to_contain_text("TEST PAYMENT")
    expect(checkout.get_by_test_id("checkout-test-notice")).to_contain_text("no money moves")
    expect(checkout.get_by_test_id("checkout-amount")).to_contain_text("12.50")
    expect(checkout.get_by_test_id("checkout-activity")).to_have_text(title)
    expect(checkout.get_by_test_id("checkout-pay")).to_contain_text("no money moves")
    payment_id = checkout.get_attribute("data-payment-id")
    assert payment_id
    ann_c.screenshot("payment-sandbox-checkout")

    # a way back without paying: the seat stays held, the payment pending
    checkout.get_by_test_id("checkout-back").click()
    expect(ann_page).to_have_url(re.compile(rf"/#/activity/{re.escape(activity_id)}$"))
    held_panel = my_section(ann_c).get_by_test_id("payment-panel")
    expect(held_panel).to_have_attribute("data-state", "checkout")

    # the organiser opening the same checkout link cannot pay it
    olga_c.goto(f"#/pay/{payment_id}")
    olga_checkout = olga_c.page.get_by_test_id("checkout-view")
    expect(olga_checkout).to_have_attribute("data-state", "not-payer")
    expect(olga_checkout.get_by_test_id("checkout-pay")).to_have_count(0)
    olga_c.open_conversation(name)

    # ann continues to the checkout and pays (her own session completes it)
    held_panel.get_by_test_id("payment-pay-sandbox").click()
    expect(ann_page).to_have_url(re.compile(rf"#/pay/{re.escape(payment_id)}$"))
    checkout.get_by_test_id("checkout-pay").click()

    # back on the activity page: confirmed, paid, with a ticket
    expect(ann_page).to_have_url(re.compile(rf"/#/activity/{re.escape(activity_id)}$"))
    expect(ann_page.get_by_test_id("activity-view")).to_have_attribute(
        "data-activity-id", activity_id
    )
    mine = my_section(ann_c)
    expect(mine.get_by_test_id("activity-mine")).to_have_attribute("data-my-status", "confirmed")
    expect(mine.get_by_test_id("activity-my-status")).to_have_text("You're going.")
    page_panel = mine.get_by_test_id("payment-panel")
    expect(page_panel).to_have_attribute("data-state", "summary")
    expect(page_panel).to_have_attribute("data-provider", "sandbox")
    expect(page_panel.get_by_test_id("payment-status")).to_have_attribute("data-status", "paid")
    expect(page_panel.get_by_test_id("payment-amount")).to_contain_text("12.50")
    expect(page_panel.get_by_test_id("payment-test")).to_contain_text("no money moved")
    expect(ann_page.get_by_test_id("activity-ticket")).to_be_visible()
    ann_c.screenshot("payment-confirmed")

    # the watcher's card changed live: the held seat is now a confirmed one
    expect(watched.get_by_test_id("activity-confirmed")).to_have_text("1/3 going")
    expect(watched.get_by_test_id("activity-held")).to_have_count(0)
    expect(watched).to_have_attribute("data-seats-left", "2")
    cat_c.screenshot("payment-watcher-card")

    # ann opens her DM with olga: the payment card, linking to the activity
    ann_c.open_conversation(olga.display_name)
    pay_card = ann_c.messages().get_by_test_id("payment-card")
    expect(pay_card).to_have_count(1)
    expect(pay_card).to_have_attribute("data-status", "paid")
    expect(pay_card).to_have_attribute("data-activity-id", activity_id)
    expect(pay_card.get_by_test_id("payment-card-kind")).to_have_text("Payment")
    expect(pay_card.get_by_test_id("payment-card-status")).to_have_text("Paid")
    expect(pay_card.get_by_test_id("payment-card-amount")).to_contain_text("12.50")
    expect(pay_card.get_by_test_id("payment-card-test")).to_contain_text("TEST")
    link = pay_card.get_by_test_id("payment-card-activity")
    expect(link).to_have_text(title)
    expect(link).to_have_attribute("href", f"#/activity/{activity_id}")
    ann_c.screenshot("payment-card-dm")

    # olga got the same card in the same DM, live, and her review list shows the payment
    expect(olga_c.conversation_item(ann.display_name)).to_have_count(1)
    olga_c.open_conversation(ann.display_name)
    expect(olga_c.messages().get_by_test_id("payment-card")).to_have_attribute(
        "data-status", "paid"
    )
    olga_c.messages().get_by_test_id("payment-card-activity").click()
    expect(page.get_by_test_id("activity-view")).to_have_attribute("data-activity-id", activity_id)
    rows = payment_rows(olga_c)
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-status", "paid")
    expect(rows.first).to_have_attribute("data-provider", "sandbox")
    expect(rows.first.get_by_test_id("payment-payer")).to_have_text(ann.display_name)
    expect(rows.first.get_by_test_id("payment-confirm")).to_have_count(0)
    expect(rows.first.get_by_test_id("payment-test")).to_have_text("TEST")
    # test money is never counted as real money
    expect(page.get_by_test_id("payments-gross")).to_have_attribute("data-amount", "0")
    expect(page.get_by_test_id("payments-net")).to_have_attribute("data-amount", "0")
    expect(page.get_by_test_id("payments-test-gross")).to_have_attribute("data-amount", "1250")
    expect(page.get_by_test_id("payments-test-gross")).to_contain_text("12.50")

    # clicking through the card goes to the activity page
    ann_c.messages().get_by_test_id("payment-card-activity").click()
    expect(ann_page.get_by_test_id("activity-view")).to_have_attribute(
        "data-activity-id", activity_id
    )


# ---- 2. manual: reference, reject with a reason, try again, confirm, refund --------------------


def test_manual_payment_rejected_then_confirmed_by_the_organiser_and_refunded(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    olga = make_user("olga", display_name="Olga Organiser")
    ann = make_user("ann", display_name="Ann Attendee")
    name = f"Potters {uuid.uuid4().hex[:6]}"
    circle = api_create_circle(server, olga, name)
    api_join_circle(server, ann, circle)
    title = f"Clay evening {uuid.uuid4().hex[:4]}"
    act = api_create_activity(
        server, olga, circle, title, capacity=4, price={"amount": 800, "currency": "EUR"}
    )
    activity_id = act["id"]

    ann_c, olga_c = open_client("ann"), open_client("olga")
    signed_in(ann_c, ann, name)
    ann_card = activity_card(ann_c, title)
    ann_card.get_by_test_id("activity-signup").click()
    expect(ann_card).to_have_attribute("data-my-status", "pending_payment")

    # on the activity page ann chooses bank transfer and sends a reference with a note
    ann_card.get_by_test_id("activity-open").click()
    mine = my_section(ann_c)
    panel = mine.get_by_test_id("payment-panel")
    expect(mine.get_by_test_id("activity-hold-countdown")).to_have_text(re.compile(r"^\d+:\d\d$"))
    expect(panel).to_have_attribute("data-state", "choose")
    panel.get_by_test_id("payment-pay-manual").click()
    expect(panel).to_have_attribute("data-state", "proof")
    expect(panel).to_have_attribute("data-provider", "manual")
    panel.get_by_test_id("payment-proof-reference").fill("TR-0001 <b>bold</b>")
    panel.get_by_test_id("payment-proof-note").fill("Sent from my savings account")
    panel.get_by_test_id("payment-proof-submit").click()
    expect(panel).to_have_attribute("data-state", "awaiting")
    expect(panel.get_by_test_id("payment-reference")).to_have_text("TR-0001 <b>bold</b>")
    expect(panel.get_by_test_id("payment-status")).to_have_attribute("data-status", "pending")
    first_payment = panel.get_attribute("data-payment-id")
    # the sign-up line says the seat waits for olga's review, not a countdown to pay
    expect(mine.get_by_test_id("activity-my-status")).to_contain_text(
        "Seat held for the organiser's review until"
    )
    expect(mine.get_by_test_id("activity-hold-countdown")).to_have_count(0)
    ann_c.screenshot("payment-manual-awaiting")

    # olga reviews it and rejects it with a reason
    olga_c.login(olga)
    olga_c.goto(f"#/activity/{activity_id}")
    review = olga_c.page.get_by_test_id("payments-review")
    expect(review).to_be_visible()
    rows = payment_rows(olga_c)
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row).to_have_attribute("data-payment-id", first_payment or "")
    expect(row).to_have_attribute("data-review", "true")
    expect(row.get_by_test_id("payment-payer")).to_have_text(ann.display_name)
    expect(row.get_by_test_id("payment-amount")).to_contain_text("8.00")
    expect(row.get_by_test_id("payment-provider")).to_have_attribute("data-provider", "manual")
    expect(row.get_by_test_id("payment-reference")).to_have_text("TR-0001 <b>bold</b>")
    expect(row.get_by_test_id("payment-note")).to_have_text("Sent from my savings account")
    expect(row.get_by_test_id("payment-event")).to_have_count(2)
    expect(review.get_by_test_id("payments-summary")).to_contain_text("1 to review")
    row.get_by_test_id("payment-reject").click()
    row.get_by_test_id("payment-reject-reason").fill("No transfer with this reference arrived")
    row.get_by_test_id("payment-reject-submit").click()
    expect(row).to_have_attribute("data-status", "failed")
    expect(row.get_by_test_id("payment-row-failure")).to_have_text(
        "No transfer with this reference arrived"
    )
    expect(row.get_by_test_id("payment-confirm")).to_have_count(0)
    expect(olga_c.page.get_by_test_id("payments-gross")).to_have_attribute("data-amount", "0")
    olga_c.screenshot("payment-review-rejected")

    # ann sees the rejection and its reason live (the payment_failed notification); her seat
    # stays held for an ordinary hold (PROTOCOL §4), so she starts again with a new reference
    expect(panel).to_have_attribute("data-state", "failed")
    expect(panel.get_by_test_id("payment-status")).to_have_attribute("data-status", "failed")
    expect(panel.get_by_test_id("payment-failure-reason")).to_have_text(
        "No transfer with this reference arrived"
    )
    expect(mine.get_by_test_id("activity-mine")).to_have_attribute(
        "data-my-status", "pending_payment"
    )
    hold = mine.get_by_test_id("activity-hold-countdown")  # no longer the 72 h review window
    expect(hold).to_have_text(re.compile(r"^1?\d:\d\d$"))
    assert 0 < int(hold.get_attribute("data-remaining") or "0") <= 15 * 60
    ann_c.screenshot("payment-manual-rejected")
    panel.get_by_test_id("payment-pay-manual").click()
    expect(panel).to_have_attribute("data-state", "proof")
    expect(panel).not_to_have_attribute("data-payment-id", first_payment or "")
    panel.get_by_test_id("payment-proof-reference").fill("TR-0002")
    panel.get_by_test_id("payment-proof-submit").click()
    expect(panel).to_have_attribute("data-state", "awaiting")
    second_payment = panel.get_attribute("data-payment-id")
    assert second_payment and second_payment != first_payment

    # olga refreshes her list and confirms the new one
    olga_c.page.get_by_test_id("payments-refresh").click()
    expect(rows).to_have_count(2)
    fresh = review.locator(f'[data-testid="payment-row"][data-payment-id="{second_payment}"]')
    expect(fresh).to_have_attribute("data-review", "true")
    expect(fresh.get_by_test_id("payment-reference")).to_have_text("TR-0002")
    expect(fresh.get_by_test_id("payment-note")).to_have_count(0)  # the new form started empty
    fresh.get_by_test_id("payment-confirm").click()
    expect(fresh).to_have_attribute("data-status", "paid")
    expect(fresh.get_by_test_id("payment-event")).to_have_count(3)
    expect(fresh.get_by_test_id("payment-event").last).to_have_attribute(
        "data-reason", "manual_confirmed"
    )
    expect(olga_c.page.get_by_test_id("payments-gross")).to_have_attribute("data-amount", "800")
    expect(olga_c.page.get_by_test_id("payments-refunded")).to_have_attribute("data-amount", "0")
    expect(olga_c.page.get_by_test_id("payments-net")).to_have_attribute("data-amount", "800")
    expect(olga_c.page.get_by_test_id("payments-net")).to_contain_text("8.00")
    expect(olga_c.page.get_by_test_id("payments-currency")).to_have_text("EUR")
    expect(
        olga_c.page.get_by_test_id("attendee").filter(has_text=ann.display_name)
    ).to_have_attribute("data-status", "confirmed")
    fresh.get_by_test_id("payment-events").locator("summary").click()
    olga_c.screenshot("payment-review-confirmed")

    # ann becomes confirmed without reloading (the payment_succeeded notification)
    expect(mine.get_by_test_id("activity-mine")).to_have_attribute("data-my-status", "confirmed")
    expect(panel).to_have_attribute("data-state", "summary")
    expect(panel.get_by_test_id("payment-status")).to_have_attribute("data-status", "paid")
    ann_c.screenshot("payment-manual-confirmed")

    # ann cancels in time for a refund; olga pays back by hand and marks it refunded
    mine.get_by_test_id("activity-cancel").click()
    ann_c.page.get_by_test_id("confirm-ok").click()  # the dialog names the refund (issue 15)
    expect(mine.get_by_test_id("activity-mine")).to_have_attribute("data-my-status", "cancelled")
    expect(panel.get_by_test_id("payment-status")).to_have_attribute(
        "data-status", "refund_pending"
    )
    expect(fresh).to_have_attribute("data-status", "refund_pending")
    fresh.get_by_test_id("payment-mark-refunded").click()
    expect(fresh).to_have_attribute("data-status", "refunded")
    expect(olga_c.page.get_by_test_id("payments-refunded")).to_have_attribute("data-amount", "800")
    expect(olga_c.page.get_by_test_id("payments-net")).to_have_attribute("data-amount", "0")
    olga_c.screenshot("payment-review-refunded")

    # ann's DM with olga holds the whole story as cards: paid, refund started, refunded
    expect(panel.get_by_test_id("payment-status")).to_have_attribute("data-status", "refunded")
    ann_c.open_conversation(olga.display_name)
    cards = ann_c.messages().get_by_test_id("payment-card")
    expect(cards).to_have_count(3)
    statuses = [cards.nth(i).get_attribute("data-status") for i in range(3)]
    assert statuses == ["paid", "refund_pending", "refunded"], statuses
    expect(cards.last.get_by_test_id("payment-card-kind")).to_have_text("Refund")
    ann_c.screenshot("payment-refund-cards")


# ---- 3. the card's transfer form survives live card updates ------------------------------------


def test_reference_typed_in_the_card_survives_a_live_card_update(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    olga = make_user("olga", display_name="Olga Organiser")
    ann = make_user("ann", display_name="Ann Attendee")
    name = f"Weavers {uuid.uuid4().hex[:6]}"
    circle = api_create_circle(server, olga, name)
    api_join_circle(server, ann, circle)
    title = f"Loom class {uuid.uuid4().hex[:4]}"
    act = api_create_activity(
        server, olga, circle, title, capacity=4, price={"amount": 1500, "currency": "EUR"}
    )

    ann_c = open_client("ann")
    signed_in(ann_c, ann, name)
    ann_card = activity_card(ann_c, title)
    ann_card.get_by_test_id("activity-signup").click()
    expect(ann_card).to_have_attribute("data-my-status", "pending_payment")
    panel = ann_card.get_by_test_id("payment-panel")
    panel.get_by_test_id("payment-pay-manual").click()
    expect(panel).to_have_attribute("data-state", "proof")
    reference = panel.get_by_test_id("payment-proof-reference")
    reference.click()
    reference.press_sequentially("BANK-77")

    # the organiser raises the capacity meanwhile: the card is re-rendered live
    server.api("PATCH", f"/api/activities/{act['id']}", {"capacity": 6}, token=olga.token)
    expect(ann_card.get_by_test_id("activity-confirmed")).to_have_text("0/6 going")
    expect(reference).to_have_value("BANK-77")
    expect(reference).to_be_focused()
    reference.press_sequentially("12")
    panel.get_by_test_id("payment-proof-submit").click()
    expect(panel).to_have_attribute("data-state", "awaiting")
    expect(panel.get_by_test_id("payment-reference")).to_have_text("BANK-7712")
    ann_c.screenshot("payment-card-awaiting")
