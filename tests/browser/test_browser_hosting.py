"""The organiser sees what happens (issue 15, item 2): a "Hosting" tab in My activities lists
what they organise, and sign-ups reach their notifications panel as one digest.

Personas: olga (organises three activities), ann and ben (sign up from the card).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    Client,
    Server,
    User,
    activity_card,
    api_create_activity,
    api_create_circle,
    api_join_circle,
)

pytestmark = pytest.mark.browser
WINDOW = 60  # NOTIFY_DIGEST_SECONDS, the default


def test_hosting_tab_lists_what_you_organise_and_signups_reach_you(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    olga, ann, ben = make_user("olga"), make_user("ann"), make_user("ben")
    circle = api_create_circle(server, olga, "Paddlers")
    for u in (ann, ben):
        api_join_circle(server, u, circle)
    titles = ["River trip", "Lake loop", "Canal crawl"]
    for i, t in enumerate(titles):
        api_create_activity(server, olga, circle, t, capacity=4, days_ahead=2 + i)

    olga_c = open_client("olga")
    olga_c.login(olga)
    page = olga_c.page
    page.get_by_test_id("nav-my-activities").click()
    expect(page.get_by_test_id("my-activities-view")).to_be_visible()
    expect(page.get_by_test_id("activity-list")).to_have_attribute("data-loaded", "true")
    expect(page.get_by_test_id("activity-item")).to_have_count(0)
    page.get_by_test_id("activities-tab-hosting").click()
    expect(page.get_by_test_id("activities-tab-hosting")).to_have_attribute("aria-current", "page")
    items = page.get_by_test_id("activity-item")
    expect(items).to_have_count(3)
    expect(items.get_by_test_id("activity-item-title")).to_have_text(titles)  # soonest first
    expect(items.first.get_by_test_id("activity-item-hosting")).to_have_text("You're hosting")
    expect(page.get_by_test_id("activity-list-status")).to_have_text("")
    olga_c.screenshot("hosting-tab")

    # Two sign-ups in quick succession reach olga as one notification that counts them.
    cards = []
    for user in (ann, ben):
        c = open_client(user.handle)
        c.login(user)
        c.open_conversation("Paddlers")
        cards.append(activity_card(c, "River trip"))
    left = WINDOW - time.time() % WINDOW  # the server's digest windows are fixed on its clock
    if left < 20:
        time.sleep(left + 0.5)
    for card in cards:
        card.get_by_test_id("activity-signup").click()
        expect(card).to_have_attribute("data-my-status", "confirmed")
    page.get_by_test_id("notif-bell").click()
    digest = page.locator('[data-testid="notif-item"][data-kind="host_signup"]')
    expect(digest).to_have_count(1)
    expect(digest.get_by_test_id("notif-title")).to_have_text("2 new sign-ups for River trip")
    expect(digest.get_by_test_id("notif-body")).to_have_text("Ann and Ben signed up.")
    olga_c.screenshot("hosting-digest")
    digest.click()
    expect(page.get_by_test_id("activity-view")).to_be_visible()
    expect(page.get_by_test_id("activity-page-title")).to_contain_text("River trip")
