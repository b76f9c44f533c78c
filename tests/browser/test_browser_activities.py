"""Activities in the web client, end to end: sign-up cards in the chat, the activity page, the
organiser's form, attendee list and check-in page, and the notifications panel. Real Chromium
against a real server and database.

Personas: olga (owns the circle, organises), ann and ben (members who sign up), cat (watches).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import Locator, expect

from tests.browser.helpers import Client, Server, User, api_create_circle, api_join_circle

pytestmark = pytest.mark.browser

OpenClient = Callable[[str], Client]
MakeUser = Callable[..., User]


# ---- helpers ---------------------------------------------------------------------------------


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def post_activity(server: Server, owner: User, circle: dict, title: str, capacity: int) -> dict:
    starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=3)
    out = server.api(
        "POST",
        f"/api/circles/{circle['id']}/activities",
        {
            "title": title,
            "category": "outdoors",
            "starts_at": iso(starts),
            "ends_at": iso(starts + timedelta(hours=2)),
            "location": {"name": "Boathouse", "address": "2 River Walk"},
            "capacity": capacity,
            "offer_window_minutes": 30,
        },
        token=owner.token,
    )
    return out["activity"]


def local_input(t: datetime) -> str:
    """A value for <input type=datetime-local> (the browser runs in the machine's zone)."""
    return t.strftime("%Y-%m-%dT%H:%M")


def card(client: Client, title: str) -> Locator:
    page = client.page
    exact = re.compile(f"^{re.escape(title)}$")
    return (
        page.get_by_test_id("message-list")
        .get_by_test_id("activity-card")
        .filter(has=page.get_by_test_id("activity-title").filter(has_text=exact))
    )


def signed_in(client: Client, user: User, circle_name: str) -> None:
    client.login(user)
    client.open_conversation(circle_name)


def bell_count(client: Client) -> int:
    return int(client.page.get_by_test_id("notif-bell").get_attribute("data-count") or "0")


# ---- 1. the scenario -------------------------------------------------------------------


def test_organiser_posts_members_sign_up_watcher_sees_counts_and_change_is_reconfirmed(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    olga = make_user("olga", display_name="Olga Organiser")
    ann = make_user("ann", display_name="Ann Attendee")
    ben = make_user("ben", display_name="Ben Attendee")
    cat = make_user("cat", display_name="Cat Watcher")
    name = f"Paddlers {uuid.uuid4().hex[:6]}"
    circle = api_create_circle(server, olga, name)
    for member in (ann, ben, cat):
        api_join_circle(server, member, circle)

    olga_c, ann_c, ben_c, cat_c = (open_client(n) for n in ("olga", "ann", "ben", "cat"))
    for client, user in ((olga_c, olga), (ann_c, ann), (ben_c, ben), (cat_c, cat)):
        signed_in(client, user, name)

    # olga posts an activity with capacity 2 from the form in the circle view
    title = f"Sunset paddle {uuid.uuid4().hex[:4]}"
    start = (datetime.now() + timedelta(days=4)).replace(
        hour=17, minute=30, second=0, microsecond=0
    )
    page = olga_c.page
    page.get_by_test_id("new-activity-button").click()
    expect(page.get_by_test_id("activity-form-circle")).to_have_text(name)
    page.get_by_test_id("activity-form-title").fill(title)
    page.get_by_test_id("activity-form-description").fill("Bring a <b>jacket</b>; boats provided.")
    page.get_by_test_id("activity-form-category").fill("outdoors")
    page.get_by_test_id("activity-form-starts").fill(local_input(start))
    page.get_by_test_id("activity-form-ends").fill(local_input(start + timedelta(hours=2)))
    page.get_by_test_id("activity-form-location-name").fill("Boathouse")
    page.get_by_test_id("activity-form-location-address").fill("2 River Walk")
    page.get_by_test_id("activity-form-capacity").fill("2")
    page.get_by_test_id("activity-form-offer-window").fill("20")
    page.get_by_test_id("activity-form-submit").click()

    # back in the chat, the card is there for everyone
    expect(page.get_by_test_id("chat-title")).to_have_text(name)
    for client in (olga_c, ann_c, ben_c, cat_c):
        c = card(client, title)
        expect(c).to_have_count(1)
        expect(c).to_have_attribute("data-seats-left", "2")
        expect(c.get_by_test_id("activity-status")).to_have_text("Open")
        expect(c.get_by_test_id("activity-place")).to_contain_text("Boathouse")
        expect(c.get_by_test_id("activity-waitlist")).to_have_text("0 on the waitlist")
    watched = card(cat_c, title)
    expect(watched.get_by_test_id("activity-seats-left")).to_have_text("2 seats left")
    expect(watched.get_by_test_id("activity-signup")).to_have_text("Sign up")
    activity_id = watched.get_attribute("data-activity-id")
    assert activity_id
    created = server.api("GET", f"/api/activities/{activity_id}", token=olga.token)["activity"]
    assert created["capacity"] == 2 and created["offer_window_minutes"] == 20
    assert created["starts_at"].endswith("Z")
    assert datetime.fromisoformat(created["starts_at"].replace("Z", "+00:00")) == start.astimezone()

    # ann signs up from the card; cat's card follows without a reload
    card(ann_c, title).get_by_test_id("activity-signup").click()
    expect(card(ann_c, title)).to_have_attribute("data-my-status", "confirmed")
    expect(card(ann_c, title).get_by_test_id("activity-my-status")).to_have_text("You're going.")
    expect(watched).to_have_attribute("data-seats-left", "1")
    expect(watched.get_by_test_id("activity-seats-left")).to_have_text("1 seat left")
    expect(watched.get_by_test_id("activity-confirmed")).to_have_text("1/2 going")

    # ben takes the last seat; the activity is full
    card(ben_c, title).get_by_test_id("activity-signup").click()
    expect(card(ben_c, title)).to_have_attribute("data-my-status", "confirmed")
    expect(watched).to_have_attribute("data-seats-left", "0")
    expect(watched.get_by_test_id("activity-seats-left")).to_have_text("No seats left")
    expect(watched.get_by_test_id("activity-confirmed")).to_have_text("2/2 going")
    expect(watched.get_by_test_id("activity-status")).to_have_text("Full")
    expect(watched.get_by_test_id("activity-signup")).to_have_text("Join waitlist")
    cat_c.screenshot("activity-card-full")
    ann_c.screenshot("activity-card-confirmed")

    # olga opens the activity page from her card and moves the start time by an hour
    card(olga_c, title).get_by_test_id("activity-open").click()
    expect(page.get_by_test_id("activity-view")).to_be_visible()
    expect(page.get_by_test_id("activity-page-title")).to_have_text(title)
    expect(page.get_by_test_id("activity-description")).to_have_text(
        "Bring a <b>jacket</b>; boats provided."
    )
    attendees = page.get_by_test_id("attendee")
    expect(attendees).to_have_count(2)
    page.get_by_test_id("activity-edit").click()
    expect(page.get_by_test_id("activity-form")).to_have_attribute("data-loaded", "true")
    expect(page.get_by_test_id("activity-form-starts")).to_have_value(local_input(start))
    moved = start + timedelta(hours=1)
    page.get_by_test_id("activity-form-starts").fill(local_input(moved))
    page.get_by_test_id("activity-form-ends").fill(local_input(moved + timedelta(hours=2)))
    expect(page.get_by_test_id("activity-form-note")).to_contain_text("re-confirm")
    page.get_by_test_id("activity-form-submit").click()
    expect(page.get_by_test_id("activity-view")).to_be_visible()
    for user in (ann, ben):
        row = attendees.filter(has_text=user.display_name)
        expect(row.get_by_test_id("attendee-reconfirm")).to_have_attribute("data-state", "pending")

    # ann sees the notice in the chat and a notification, and re-confirms from the card
    notice = ann_c.page.get_by_test_id("system-notice").filter(has_text=title)
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("Start:")
    expect(notice).to_contain_text("Please re-confirm")
    expect(ann_c.page.get_by_test_id("notif-bell")).not_to_have_attribute("data-count", "0")
    ann_c.page.get_by_test_id("notif-bell").click()
    changed = ann_c.page.get_by_test_id("notif-item").filter(
        has=ann_c.page.get_by_test_id("notif-title").filter(has_text=f"Changed: {title}")
    )
    expect(changed).to_have_count(1)
    expect(changed).to_have_attribute("data-read", "false")
    ann_c.screenshot("activity-change-notified")
    ann_c.page.keyboard.press("Escape")
    expect(ann_c.page.get_by_test_id("notif-panel")).to_be_hidden()

    ann_card = card(ann_c, title)
    expect(ann_card.get_by_test_id("activity-time").locator("time")).to_have_attribute(
        "datetime", iso(moved.astimezone(timezone.utc))
    )
    expect(ann_card.get_by_test_id("activity-reconfirm")).to_be_visible()
    ann_card.get_by_test_id("activity-reconfirm-yes").click()
    expect(ann_card.get_by_test_id("activity-reconfirm")).to_have_count(0)
    expect(ann_card.get_by_test_id("activity-reconfirmed")).to_have_text("re-confirmed")
    expect(ann_card).to_have_attribute("data-my-status", "confirmed")

    # the organiser's attendee list shows, live, who re-confirmed and who has not yet
    ann_row = attendees.filter(has_text=ann.display_name)
    ben_row = attendees.filter(has_text=ben.display_name)
    expect(ann_row.get_by_test_id("attendee-reconfirm")).to_have_attribute(
        "data-state", "reconfirmed"
    )
    expect(ben_row.get_by_test_id("attendee-reconfirm")).to_have_attribute("data-state", "pending")
    expect(page.get_by_test_id("attendee-summary")).to_contain_text("1 yet to re-confirm")
    olga_c.screenshot("activity-attendees-reconfirmed")

    # ben opens the activity from his notification: the page asks him too
    ben_c.page.get_by_test_id("notif-bell").click()
    ben_changed = ben_c.page.get_by_test_id("notif-item").filter(has_text=f"Changed: {title}")
    ben_changed.click()
    expect(ben_c.page.get_by_test_id("activity-view")).to_have_attribute(
        "data-activity-id", activity_id
    )
    expect(
        ben_c.page.get_by_test_id("activity-my-section").get_by_test_id("activity-reconfirm")
    ).to_be_visible()
    ben_c.page.get_by_test_id("notif-bell").click()
    expect(ben_changed).to_have_attribute("data-read", "true")
    ben_c.screenshot("activity-page-reconfirm")


# ---- 2. waitlist and offer ---------------------------------------------------------------------


def test_waitlisted_member_gets_the_offer_with_a_countdown_and_accepts(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    olga = make_user("olga")
    ann = make_user("ann", display_name="Ann First")
    ben = make_user("ben", display_name="Ben Second")
    name = f"Climbers {uuid.uuid4().hex[:6]}"
    circle = api_create_circle(server, olga, name)
    api_join_circle(server, ann, circle)
    api_join_circle(server, ben, circle)
    title = f"Bouldering {uuid.uuid4().hex[:4]}"
    post_activity(server, olga, circle, title, capacity=1)

    ann_c, ben_c = open_client("ann"), open_client("ben")
    signed_in(ann_c, ann, name)
    signed_in(ben_c, ben, name)

    card(ann_c, title).get_by_test_id("activity-signup").click()
    expect(card(ann_c, title)).to_have_attribute("data-my-status", "confirmed")

    ben_card = card(ben_c, title)
    expect(ben_card).to_have_attribute("data-seats-left", "0")
    expect(ben_card.get_by_test_id("activity-signup")).to_have_text("Join waitlist")
    ben_card.get_by_test_id("activity-signup").click()
    expect(ben_card).to_have_attribute("data-my-status", "waitlisted")
    expect(ben_card.get_by_test_id("activity-waitlist-position")).to_have_text("1")
    expect(ben_card.get_by_test_id("activity-waitlist")).to_have_text("1 on the waitlist")
    expect(card(ann_c, title).get_by_test_id("activity-waitlist")).to_have_text("1 on the waitlist")
    ben_c.screenshot("activity-waitlisted")

    # ann gives up her seat: ben is offered it, with a live countdown
    card(ann_c, title).get_by_test_id("activity-cancel").click()
    ann_c.page.get_by_test_id("confirm-ok").click()  # cancelling asks first (issue 15)
    expect(card(ann_c, title)).to_have_attribute("data-my-status", "cancelled")
    expect(ben_card).to_have_attribute("data-my-status", "offered")
    countdown = ben_card.get_by_test_id("activity-offer-countdown")
    expect(countdown).to_have_text(re.compile(r"^\d+:\d\d$"))
    first = int(countdown.get_attribute("data-remaining") or "0")
    assert 25 * 60 <= first <= 30 * 60, first
    expect(countdown).not_to_have_attribute("data-remaining", str(first), timeout=5_000)
    assert int(countdown.get_attribute("data-remaining") or "0") < first
    expect(ben_c.page.get_by_test_id("notif-bell")).not_to_have_attribute("data-count", "0")
    ben_c.page.get_by_test_id("notif-bell").click()
    expect(ben_c.page.locator('[data-testid="notif-item"][data-kind="offer"]')).to_have_count(1)
    ben_c.page.get_by_test_id("notif-read-all").click()
    expect(ben_c.page.get_by_test_id("notif-bell")).to_have_attribute("data-count", "0")
    ben_c.page.keyboard.press("Escape")
    ben_c.screenshot("activity-offer")

    ben_card.get_by_test_id("activity-accept").click()
    expect(ben_card).to_have_attribute("data-my-status", "confirmed")
    expect(ben_card.get_by_test_id("activity-offer-countdown")).to_have_count(0)
    expect(ben_card.get_by_test_id("activity-confirmed")).to_have_text("1/1 going")
    expect(ben_card.get_by_test_id("activity-waitlist")).to_have_text("0 on the waitlist")
    expect(card(ann_c, title).get_by_test_id("activity-confirmed")).to_have_text("1/1 going")
    ben_c.screenshot("activity-offer-accepted")

    # "My activities" lists it with ben's own status
    ben_c.page.get_by_test_id("nav-my-activities").click()
    item = ben_c.page.get_by_test_id("activity-item").filter(has_text=title)
    expect(item.get_by_test_id("activity-item-my-status")).to_have_attribute(
        "data-status", "confirmed"
    )


# ---- 3. ticket and check-in --------------------------------------------------------------------


def test_ticket_qr_and_code_check_in_once(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    olga = make_user("olga", display_name="Olga Organiser")
    ann = make_user("ann", display_name="Ann Attendee")
    name = f"Runners {uuid.uuid4().hex[:6]}"
    circle = api_create_circle(server, olga, name)
    api_join_circle(server, ann, circle)
    title = f"Park run {uuid.uuid4().hex[:4]}"
    act = post_activity(server, olga, circle, title, capacity=5)

    ann_c, olga_c = open_client("ann"), open_client("olga")
    signed_in(ann_c, ann, name)
    card(ann_c, title).get_by_test_id("activity-signup").click()
    expect(card(ann_c, title)).to_have_attribute("data-my-status", "confirmed")

    # the attendee's ticket: a QR image (the SVG, loaded) and the code text
    card(ann_c, title).get_by_test_id("activity-open").click()
    ticket = ann_c.page.get_by_test_id("activity-ticket")
    expect(ticket).to_be_visible()
    expect(ticket.get_by_test_id("ticket-code")).not_to_be_empty()
    qr = ticket.get_by_test_id("ticket-qr")
    expect(qr).to_have_attribute("src", re.compile(r"^data:image/svg\+xml;base64,"))
    ann_c.page.wait_for_function(
        "el => el.complete && el.naturalWidth > 0", arg=qr.element_handle()
    )
    expect(ticket.get_by_test_id("ticket-countdown")).to_have_text(
        re.compile(r"^0:[0-5]\d$|^1:00$")
    )
    calendar = ann_c.page.get_by_test_id("activity-calendar")
    expect(calendar).to_have_attribute("href", re.compile(r"/calendar\.ics\?key="))
    code = ticket.get_by_test_id("ticket-code").inner_text().strip()
    ann_c.screenshot("activity-ticket")

    # the organiser's check-in page: a bad code, the real one, then the real one again
    olga_c.login(olga)
    olga_c.goto(f"#/activity/{act['id']}")
    expect(olga_c.page.get_by_test_id("organiser-tools")).to_be_visible()
    olga_c.page.get_by_test_id("activity-checkin-link").click()
    page = olga_c.page
    expect(page.get_by_test_id("checkin-title")).to_have_text(title)
    results = page.get_by_test_id("checkin-result")

    page.get_by_test_id("checkin-code").fill("not-a-ticket")
    page.get_by_test_id("checkin-submit").click()
    expect(results.first).to_have_attribute("data-result", "invalid_code")
    expect(results.first).to_contain_text("Not a valid ticket code")

    page.get_by_test_id("checkin-code").fill(code)
    page.get_by_test_id("checkin-submit").click()
    expect(results).to_have_count(2)
    expect(results.first).to_have_attribute("data-result", "ok")
    expect(results.first).to_contain_text("Checked in: Ann Attendee")
    row = page.get_by_test_id("attendee").filter(has_text="Ann Attendee")
    expect(row).to_have_attribute("data-checked-in", "true")
    expect(row.get_by_test_id("attendee-status")).to_have_text("checked in")

    page.get_by_test_id("checkin-code").fill(code)
    page.get_by_test_id("checkin-submit").click()
    expect(results).to_have_count(3)
    expect(results.first).to_have_attribute("data-result", "already_checked_in")
    expect(results.first).to_contain_text("Already checked in")
    olga_c.screenshot("activity-checkin")

    # the attendee's page follows: checked in
    expect(
        ann_c.page.get_by_test_id("activity-my-section").get_by_test_id("activity-mine")
    ).to_have_attribute("data-my-status", "attended")
    expect(ann_c.page.get_by_test_id("activity-my-status")).to_have_text("You're checked in.")
