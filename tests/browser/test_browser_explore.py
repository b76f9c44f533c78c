"""The Explore page (issue 12, item 9): the discover sections with the reason shown, search by
category, "near me" from the browser's geolocation (granted, and refused), and a private
circle's activity never shown to an outsider."""

from __future__ import annotations

import time
import urllib.parse
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import Locator, expect

from tests.browser.helpers import Client, Server, User, api_create_circle, socket_calls

PARIS = {"latitude": 48.8566, "longitude": 2.3522}


def token() -> str:
    """A word no other test's activity has, so a search finds this test's activities only."""
    return "zq" + uuid.uuid4().hex[:8]


def post_activity(
    server: Server,
    owner: User,
    circle: dict,
    title: str,
    category: str = "outdoors",
    place: tuple[float, float] | None = None,
    days_ahead: int = 2,
    capacity: int = 6,
) -> dict:
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days_ahead)
    location: dict[str, Any] = {"name": "Meeting point"}
    if place:
        location["lat"], location["lng"] = place
    body = {
        "title": title,
        "category": category,
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ends_at": (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "location": location,
        "capacity": capacity,
    }
    return server.api("POST", f"/api/circles/{circle['id']}/activities", body, token=owner.token)[
        "activity"
    ]


def listed(server: Server, user: User, query: dict[str, str]) -> list[str]:
    path = "/api/activities?" + urllib.parse.urlencode(query)
    return [i["id"] for i in server.api("GET", path, token=user.token)["items"]]


def wait_listed(server: Server, user: User, query: dict[str, str], ids: set[str]) -> None:
    """The discovery copy is written just after the change (off the answer's path): wait for it
    before the page asks, as a reader arriving a moment later would."""
    deadline = time.monotonic() + 10
    while not ids <= set(listed(server, user, query)):
        assert time.monotonic() < deadline, f"{ids} never listed for {query}"
        time.sleep(0.1)


def item(scope: Locator, activity_id: str) -> Locator:
    return scope.locator(f'[data-testid="explore-item"][data-activity-id="{activity_id}"]')


def test_sections_render_with_reasons_and_who_you_know(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    olga, bob, carol = make_user("olga"), make_user("bob"), make_user("carol", "Carol Friend")
    word = token()
    hikers = api_create_circle(server, olga, f"Sunday Hikers {word}", category="hiking")
    for u in (bob, carol):
        server.api("POST", f"/api/circles/{hikers['id']}/join", {}, token=u.token)
    act = post_activity(server, olga, hikers, f"Ridge walk {word}", category="hiking")
    socket_calls(server, carol, [("activity:signup", {"activity_id": act["id"]})])
    wait_listed(server, bob, {"q": word}, {act["id"]})

    client = open_client("bob")
    client.login(bob)
    client.goto("#/explore")
    page = client.page
    sections = page.get_by_test_id("explore-section")
    expect(page.get_by_test_id("explore-sections")).to_have_attribute("data-loaded", "true")
    keys = [sections.nth(i).get_attribute("data-key") for i in range(sections.count())]
    assert keys == ["for_you", "this_week", "popular", "following", "near_you"]
    expect(sections.get_by_test_id("explore-section-title")).to_have_text(
        ["For you", "This week", "Popular", "From circles you follow", "Near you"]
    )

    # "For you" shows the server's reason for this activity, as it is.
    for_you = page.locator('[data-testid="explore-section"][data-key="for_you"]')
    card = item(for_you, act["id"])
    expect(card).to_be_visible()
    served = server.api("GET", "/api/discover", token=bob.token)["sections"][0]
    reason = next(i["reason"] for i in served["items"] if i["id"] == act["id"])
    assert reason
    expect(card.get_by_test_id("explore-reason")).to_have_text(reason)
    # The card: the circle, the time, the place, seats left and who you know going.
    expect(card.get_by_test_id("explore-item-circle")).to_have_text(f"Sunday Hikers {word}")
    expect(card.get_by_test_id("explore-item-place")).to_contain_text("Meeting point")
    expect(card.get_by_test_id("explore-item-seats")).to_have_text("5 seats left")
    expect(card.get_by_test_id("explore-item-known")).to_have_text("Carol Friend is going")
    assert card.locator("time").get_attribute("datetime") == act["starts_at"]
    # "This week" carries no reason: only "for you" and "popular" explain themselves.
    week = page.locator('[data-testid="explore-section"][data-key="this_week"]')
    expect(item(week, act["id"])).to_be_visible()
    expect(item(week, act["id"]).get_by_test_id("explore-reason")).to_have_count(0)
    # Follow from a card: every card of that circle says so, and the server has it.
    follow = card.get_by_test_id("explore-follow")
    expect(follow).to_have_text("Follow")
    follow.click()
    buttons = page.locator(f'[data-testid="explore-follow"][data-circle-id="{hikers["id"]}"]')
    expect(buttons.first).to_have_attribute("data-following", "true")
    for i in range(buttons.count()):
        expect(buttons.nth(i)).to_have_text("Following ✓")
    mine = server.api("GET", "/api/me/following", token=bob.token)["following"]
    assert [f["circle"]["id"] for f in mine] == [hikers["id"]]
    # Today's circle finder is still on the page.
    expect(page.get_by_test_id("circle-search")).to_be_visible()
    client.screenshot("explore-sections")


def test_filter_by_category_chip(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    olga, bob = make_user("olga"), make_user("bob")
    word = token()
    circle = api_create_circle(server, olga, f"Mixed {word}")
    hike = post_activity(server, olga, circle, f"Hike {word}", category="hiking")
    gig = post_activity(server, olga, circle, f"Gig {word}", category="music")
    wait_listed(server, bob, {"q": word}, {hike["id"], gig["id"]})

    client = open_client("bob")
    client.login(bob)
    client.goto("#/explore")
    page = client.page
    page.get_by_test_id("explore-q").fill(word)
    page.get_by_test_id("explore-submit").click()
    results = page.get_by_test_id("explore-results-list")
    expect(results.get_by_test_id("explore-item")).to_have_count(2)
    expect(page.get_by_test_id("explore-sections")).to_be_hidden()

    page.locator('[data-testid="explore-chip"][data-category="hiking"]').click()
    expect(page.locator('[data-testid="explore-chip"][data-category="hiking"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(results.get_by_test_id("explore-item")).to_have_count(1)
    expect(item(results, hike["id"])).to_be_visible()
    expect(item(results, gig["id"])).to_have_count(0)

    # "All" again; a date range after both leaves none (local days, the end day included).
    page.locator('[data-testid="explore-chip"][data-category=""]').click()
    expect(results.get_by_test_id("explore-item")).to_have_count(2)
    later = (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%d")
    page.get_by_test_id("explore-from").fill(later)
    expect(page.get_by_test_id("explore-status")).to_have_text("No upcoming activities match.")
    expect(results.get_by_test_id("explore-item")).to_have_count(0)
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    page.get_by_test_id("explore-from").fill(today)
    page.get_by_test_id("explore-to").fill(
        (datetime.now(UTC) + timedelta(days=4)).strftime("%Y-%m-%d")
    )
    expect(results.get_by_test_id("explore-item")).to_have_count(2)
    # Clear brings the sections back.
    page.get_by_test_id("explore-clear").click()
    expect(page.get_by_test_id("explore-sections")).to_be_visible()
    expect(page.get_by_test_id("explore-results")).to_be_hidden()


def test_results_page_by_cursor_with_more(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    olga, bob = make_user("olga"), make_user("bob")
    word = token()
    circle = api_create_circle(server, olga, f"Busy {word}")
    ids = [
        post_activity(server, olga, circle, f"Session {n} {word}", days_ahead=3 + n // 4)["id"]
        for n in range(23)
    ]
    wait_listed(server, bob, {"q": word, "limit": "50"}, set(ids))

    client = open_client("bob")
    client.login(bob)
    client.goto("#/explore")
    page = client.page
    page.get_by_test_id("explore-q").fill(word)
    page.get_by_test_id("explore-submit").click()
    results = page.get_by_test_id("explore-results-list").get_by_test_id("explore-item")
    expect(results).to_have_count(20)
    page.get_by_test_id("explore-more").click()
    expect(results).to_have_count(23)
    expect(page.get_by_test_id("explore-more")).to_be_hidden()
    shown = [results.nth(i).get_attribute("data-activity-id") for i in range(23)]
    assert sorted(shown) == sorted(ids)  # each once, by start time


def test_near_me_finds_the_nearby_activity_and_not_the_far_one(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    olga, bob = make_user("olga"), make_user("bob")
    word = token()
    circle = api_create_circle(server, olga, f"Walkers {word}")
    near = post_activity(server, olga, circle, f"Seine stroll {word}", place=(48.8606, 2.3376))
    far = post_activity(server, olga, circle, f"Lyon stroll {word}", place=(45.764, 4.8357))
    wait_listed(server, bob, {"q": word}, {near["id"], far["id"]})

    client = open_client("bob")
    client.context.set_geolocation(PARIS)
    client.context.grant_permissions(["geolocation"], origin=server.url)
    client.login(bob)
    client.goto("#/explore")
    page = client.page
    expect(page.get_by_test_id("explore-sections")).to_have_attribute("data-loaded", "true")
    page.get_by_test_id("explore-near").click()
    expect(page.get_by_test_id("explore-view")).to_have_attribute("data-near", "on")
    # The position alone fills "near you" (within the radius, 10 km by default).
    near_you = page.locator('[data-testid="explore-section"][data-key="near_you"]')
    card = item(near_you, near["id"])
    expect(card).to_be_visible()
    expect(card.get_by_test_id("explore-item-distance")).to_have_text(
        " · 1.1 km away"
    )  # from 48.857,2.352 (sent rounded)
    expect(item(near_you, far["id"])).to_have_count(0)

    # With words, "near me" narrows the search: only the nearby one of the two.
    page.get_by_test_id("explore-q").fill(word)
    page.get_by_test_id("explore-submit").click()
    results = page.get_by_test_id("explore-results-list")
    expect(item(results, near["id"])).to_be_visible()
    expect(item(results, far["id"])).to_have_count(0)
    expect(results.get_by_test_id("explore-item")).to_have_count(1)
    page.get_by_test_id("explore-near").click()  # off again: both match the words
    expect(results.get_by_test_id("explore-item")).to_have_count(2)


def test_refused_geolocation_leaves_the_page_working(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    olga, bob = make_user("olga"), make_user("bob")
    word = token()
    circle = api_create_circle(server, olga, f"Anywhere {word}")
    act = post_activity(server, olga, circle, f"Picnic {word}", place=(48.8606, 2.3376))
    wait_listed(server, bob, {"q": word}, {act["id"]})

    client = open_client("bob")
    client.context.clear_permissions()  # never granted: the browser refuses
    client.login(bob)
    client.goto("#/explore")
    page = client.page
    page.get_by_test_id("explore-near").click()
    expect(page.get_by_test_id("explore-geo-status")).to_contain_text("unavailable", timeout=20000)
    expect(page.get_by_test_id("explore-view")).to_have_attribute("data-near", "off")
    page.get_by_test_id("explore-q").fill(word)
    page.get_by_test_id("explore-submit").click()
    expect(item(page.get_by_test_id("explore-results-list"), act["id"])).to_be_visible()


def test_a_private_circles_activity_never_reaches_an_outsider(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    olga, outsider = make_user("olga"), make_user("outsider")
    word = token()
    secret_circle = api_create_circle(server, olga, f"Secret {word}", visibility="private")
    public_circle = api_create_circle(server, olga, f"Open {word}")
    secret = post_activity(
        server, olga, secret_circle, f"Hidden dinner {word}", place=(48.8606, 2.3376), days_ahead=1
    )
    shown = post_activity(
        server, olga, public_circle, f"Open dinner {word}", place=(48.8606, 2.3376), days_ahead=1
    )
    # The member's own lists have it: the outsider's not seeing it is not a delay.
    wait_listed(server, olga, {"q": word}, {secret["id"], shown["id"]})
    wait_listed(server, outsider, {"q": word}, {shown["id"]})

    client = open_client("outsider")
    client.context.set_geolocation(PARIS)
    client.context.grant_permissions(["geolocation"], origin=server.url)
    client.login(outsider)
    client.goto("#/explore")
    page = client.page
    view = page.get_by_test_id("explore-view")
    expect(page.get_by_test_id("explore-sections")).to_have_attribute("data-loaded", "true")
    expect(view).not_to_contain_text("Hidden dinner")
    for query in (word, "dinner"):
        page.get_by_test_id("explore-q").fill(query)
        page.get_by_test_id("explore-submit").click()
        results = page.get_by_test_id("explore-results-list")
        expect(item(results, shown["id"])).to_be_visible()
        expect(item(results, secret["id"])).to_have_count(0)
    page.get_by_test_id("explore-near").click()  # words and "near me"
    expect(view).to_have_attribute("data-near", "on")
    expect(item(page.get_by_test_id("explore-results-list"), shown["id"])).to_be_visible()
    page.get_by_test_id("explore-clear").click()  # the position stays: "near you" is filled
    near_you = page.locator('[data-testid="explore-section"][data-key="near_you"]')
    expect(item(near_you, shown["id"])).to_be_visible()
    expect(view).not_to_contain_text("Hidden dinner")
    expect(view).not_to_contain_text(f"Secret {word}")
