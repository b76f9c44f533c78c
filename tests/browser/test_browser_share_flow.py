"""A share link, followed by someone who is not signed in (issue 12, items 5, 8 and 10): the
preview page, the sign-up (or join) through the login, landing on the activity already signed up
(or in the circle), and the sharer credited where the organiser looks."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    Client,
    Server,
    User,
    api_create_activity,
    api_create_circle,
    api_join_circle,
)


def register_here(page: Page, user: User) -> None:
    """Create the account on the login page the app is showing (no navigation of our own, so
    the route the visitor came from is what the app goes back to)."""
    expect(page.get_by_test_id("login-view")).to_be_visible()
    page.get_by_test_id("auth-toggle").click()
    page.get_by_test_id("login-handle").fill(user.handle)
    page.get_by_test_id("login-password").fill(user.password)
    page.get_by_test_id("login-display-name").fill(user.display_name)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("app-shell")).to_be_visible()


def test_a_visitor_signs_up_from_a_share_link_and_the_sharer_is_credited(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    olga = make_user("olga", "Olga Organiser")
    alice = make_user("alice", "Alice Sharer")
    circle = api_create_circle(server, olga, "Canal Walkers", description="Walks by the water.")
    act = api_create_activity(server, olga, circle, "Lock to lock", capacity=8)
    api_join_circle(server, alice, circle)
    links = server.api("GET", f"/api/activities/{act['id']}/share", token=alice.token)
    assert f"ref={alice.handle}" in links["activity"]

    visitor = open_client("visitor")
    page = visitor.page
    page.goto(links["activity"])
    # The preview: server-rendered, no app, no session.
    expect(page.locator("h1")).to_have_text("Lock to lock")
    expect(page.locator("dd.seats")).to_have_text("8 of 8 seats left")
    assert page.locator('meta[property="og:title"]').get_attribute("content") == "Lock to lock"
    page.locator("a.button", has_text="Sign up").click()

    newcomer = User("newcomer_" + alice.handle[-10:], "Nina Newcomer", alice.password)
    register_here(page, newcomer)

    view = page.get_by_test_id("activity-view")
    expect(view).to_have_attribute("data-activity-id", act["id"])
    expect(page.get_by_test_id("activity-mine")).to_have_attribute("data-my-status", "confirmed")
    expect(page.locator(".ticket-slot")).to_be_visible()  # a seat: the door's QR code is shown
    assert "signup=1" not in page.url  # a reload will not sign up again
    going = server.api("GET", f"/api/activities/{act['id']}/attendees", token=olga.token)
    assert [s["display_name"] for s in going["signups"]] == ["Nina Newcomer"]

    counted = server.api("GET", f"/api/activities/{act['id']}/referrals", token=olga.token)
    assert counted["total"] == 1
    assert [(s["handle"], s["count"]) for s in counted["by_sharer"]] == [(alice.handle, 1)]
    assert counted["by_channel"] == {"link": 1, "poster": 0, "going": 0}

    # The organiser sees it on the activity page.
    organiser = open_client("olga")
    organiser.login(olga)
    organiser.goto(f"#/activity/{act['id']}")
    panel = organiser.page.get_by_test_id("referrals")
    expect(panel).to_have_attribute("data-total", "1")
    sharer = panel.get_by_test_id("referral-sharer")
    expect(sharer).to_have_count(1)
    expect(sharer).to_have_attribute("data-user-id", alice.id)
    expect(sharer.get_by_test_id("referral-count")).to_have_text("1")


def test_a_visitor_joins_from_a_circle_poster_link_through_the_circle_page(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    olga = make_user("olga", "Olga Owner")
    bob = make_user("bob", "Bob Sharer")
    circle = api_create_circle(
        server, olga, "Board Gamers", description="Tuesdays, with snacks.", tags=["games"]
    )
    api_create_activity(server, olga, circle, "Catan night", capacity=6)
    api_join_circle(server, bob, circle)

    visitor = open_client("visitor")
    page = visitor.page
    # As the QR code on a poster Bob printed holds it.
    page.goto(f"{server.url}/s/c/{circle['id']}?ref={bob.handle}&ch=poster")
    expect(page.locator("h1")).to_have_text("Board Gamers")
    page.get_by_role("link", name="See the circle page").click()

    newcomer = User("joiner_" + bob.handle[-10:], "Jo Joiner", bob.password)
    register_here(page, newcomer)

    about = page.get_by_test_id("circle-page")
    expect(about).to_have_attribute("data-member", "false")
    expect(page.get_by_test_id("circle-page-title")).to_have_text("Board Gamers")
    expect(page.get_by_test_id("circle-page-description")).to_have_text("Tuesdays, with snacks.")
    expect(page.get_by_test_id("circle-page-organiser")).to_have_attribute("data-role", "owner")
    expect(page.get_by_test_id("circle-page-activity")).to_contain_text("Catan night")
    expect(page.get_by_test_id("circle-page-no-posts")).to_be_visible()

    page.get_by_test_id("circle-page-follow").click()
    expect(about).to_have_attribute("data-following", "true")
    page.get_by_test_id("circle-page-join").click()
    expect(page.get_by_test_id("message-list")).to_be_visible()
    assert re.search(r"#/c/", page.url)

    counted = server.api("GET", f"/api/circles/{circle['id']}/referrals", token=olga.token)
    assert counted["total"] == 1
    assert [(s["handle"], s["by_channel"]["poster"]) for s in counted["by_sharer"]] == [
        (bob.handle, 1)
    ]
    # The chat header leads back to the circle page, now as a member.
    page.get_by_test_id("circle-about-button").click()
    expect(about).to_have_attribute("data-member", "true")
    expect(page.get_by_test_id("circle-page-open")).to_be_visible()
