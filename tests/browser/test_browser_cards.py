"""Activity cards that tell the truth, in the web client: a cancelled activity shows no seats
left (card and page), the organiser's own card says "You're hosting · Manage" (never "Sign up"
or "Join waitlist"), and members see who hosts and who is going while an outsider sees no names.
"""

from __future__ import annotations

import uuid
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

OpenClient = Callable[[str], Client]
MakeUser = Callable[..., User]


def in_chat(client: Client, user: User, circle: dict) -> None:
    client.login(user)
    client.open_conversation(circle["name"])


def test_a_cancelled_activity_shows_no_seats_left_on_card_and_page(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    olga = make_user("olga", display_name="Olga Organiser")
    ann = make_user("ann", display_name="Ann Attendee")
    circle = api_create_circle(server, olga, f"Cards {uuid.uuid4().hex[:6]}")
    api_join_circle(server, ann, circle)
    title = f"Rained out {uuid.uuid4().hex[:4]}"
    act = api_create_activity(server, olga, circle, title, capacity=5)

    ann_c = open_client("ann")
    in_chat(ann_c, ann, circle)
    card = activity_card(ann_c, title)
    expect(card.get_by_test_id("activity-seats-left")).to_have_text("5 seats left")

    server.api("POST", f"/api/activities/{act['id']}/cancel", {"reason": "Storm"}, token=olga.token)
    expect(card).to_have_attribute("data-status", "cancelled")
    expect(card.get_by_test_id("activity-status")).to_have_text("Cancelled")
    expect(card).not_to_contain_text("seats left")
    expect(card).not_to_contain_text("seat left")
    expect(card.get_by_test_id("activity-seats-left")).to_have_text("Cancelled: no seats")
    expect(card).to_have_attribute("data-seats-left", "0")
    expect(card.get_by_test_id("activity-signup")).to_have_count(0)
    ann_c.screenshot("card-cancelled")

    card.get_by_test_id("activity-open").click()
    view = ann_c.page.get_by_test_id("activity-view")
    expect(view).to_have_attribute("data-status", "cancelled")
    expect(view.get_by_test_id("activity-details")).not_to_contain_text("seats left")
    expect(view.get_by_test_id("activity-seats-left")).to_have_text("Cancelled: no seats")


def test_the_organisers_own_card_says_hosting_never_sign_up(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    olga = make_user("olga", display_name="Olga Organiser")
    ann = make_user("ann", display_name="Ann Attendee")
    circle = api_create_circle(server, olga, f"Cards {uuid.uuid4().hex[:6]}")
    api_join_circle(server, ann, circle)
    title = f"Tiny table {uuid.uuid4().hex[:4]}"
    act = api_create_activity(server, olga, circle, title, capacity=1)

    olga_c, ann_c = open_client("olga"), open_client("ann")
    in_chat(olga_c, olga, circle)
    in_chat(ann_c, ann, circle)
    mine = activity_card(olga_c, title)
    expect(mine).to_have_attribute("data-my-status", "hosting")
    expect(mine.get_by_test_id("activity-my-status")).to_have_text("You're hosting · Manage")
    expect(mine.get_by_test_id("activity-signup")).to_have_count(0)

    # full: the attendee is offered the waitlist, the organiser still only hosts
    activity_card(ann_c, title).get_by_test_id("activity-signup").click()
    expect(activity_card(ann_c, title)).to_have_attribute("data-my-status", "confirmed")
    expect(mine).to_have_attribute("data-status", "full")
    expect(mine.get_by_test_id("activity-my-status")).to_have_text("You're hosting · Manage")
    expect(mine).not_to_contain_text("Join waitlist")
    expect(mine).not_to_contain_text("Sign up")
    olga_c.screenshot("card-hosting")

    mine.get_by_test_id("activity-manage").click()
    page = olga_c.page
    expect(page.get_by_test_id("activity-view")).to_have_attribute("data-activity-id", act["id"])
    expect(page.get_by_test_id("organiser-tools")).to_be_visible()
    section = page.get_by_test_id("activity-my-section")
    expect(section.get_by_test_id("activity-mine")).to_have_attribute("data-my-status", "hosting")
    expect(section.get_by_test_id("activity-signup")).to_have_count(0)


def test_members_see_the_host_and_who_is_going_outsiders_see_no_names(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    olga = make_user("olga", display_name="Olga Organiser")
    ann = make_user("ann", display_name="Ann Attendee")
    ben = make_user("ben", display_name="Ben Attendee")
    eve = make_user("eve", display_name="Eve Outsider")
    circle = api_create_circle(server, olga, f"Cards {uuid.uuid4().hex[:6]}")
    for u in (ann, ben):
        api_join_circle(server, u, circle)
    title = f"Board games {uuid.uuid4().hex[:4]}"
    act = api_create_activity(server, olga, circle, title, capacity=4)

    ann_c, ben_c = open_client("ann"), open_client("ben")
    in_chat(ann_c, ann, circle)
    in_chat(ben_c, ben, circle)
    watched = activity_card(ben_c, title)
    expect(watched.get_by_test_id("activity-organiser")).to_have_text("Hosted by Olga Organiser")
    expect(watched.get_by_test_id("activity-going")).to_have_attribute("data-count", "0")

    activity_card(ann_c, title).get_by_test_id("activity-signup").click()
    # ben's card follows live: ann is going
    going = watched.get_by_test_id("activity-going")
    expect(going).to_have_attribute("data-count", "1")
    expect(going.get_by_test_id("going-name")).to_have_text(["Ann Attendee"])
    expect(going).to_contain_text("Ann Attendee going")
    ben_c.screenshot("card-going")

    watched.get_by_test_id("activity-open").click()
    page = ben_c.page
    expect(page.get_by_test_id("activity-organiser")).to_have_text("Hosted by Olga Organiser")
    expect(page.get_by_test_id("activity-going").get_by_test_id("going-name")).to_have_text(
        ["Ann Attendee"]
    )

    # someone outside the (public) circle can open the activity, but sees no names
    eve_c = open_client("eve")
    eve_c.login(eve)
    eve_c.goto(f"#/activity/{act['id']}")
    view = eve_c.page.get_by_test_id("activity-view")
    expect(view.get_by_test_id("activity-page-title")).to_have_text(title)
    expect(view.get_by_test_id("activity-confirmed")).to_have_text("1/4 going")
    eve_c.page.wait_for_timeout(500)  # the names request has been answered (refused)
    expect(view.get_by_test_id("activity-going")).to_have_count(0)
    expect(view.get_by_test_id("activity-organiser")).to_have_count(0)
    expect(view).not_to_contain_text("Ann Attendee")
    expect(view).not_to_contain_text("Olga Organiser")
