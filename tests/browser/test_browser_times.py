"""Times in the viewer's zone everywhere (issue 15, item 1): an attendee whose browser is in
Berlin sees Berlin times on the card, in the change notice under it and in the notifications
panel, and never the word "UTC".

Personas: olga (organises, through the API), bea (in Europe/Berlin, signs up from the card).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.helpers import (
    Client,
    Server,
    User,
    activity_card,
    api_create_circle,
    api_join_circle,
)

pytestmark = pytest.mark.browser
BERLIN = ZoneInfo("Europe/Berlin")


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def berlin_hm(t: datetime) -> str:
    return t.astimezone(BERLIN).strftime("%H:%M")


@pytest.fixture
def berlin_client(browser: Browser, server: Server) -> Iterator[Callable[[str], Client]]:
    opened: list[Client] = []

    def open_(name: str) -> Client:
        context = browser.new_context(
            viewport={"width": 1200, "height": 800}, timezone_id="Europe/Berlin", locale="en-GB"
        )
        client = Client(name, context, context.new_page(), server)
        client.page.on("pageerror", lambda e: client.errors.append(str(e)))
        opened.append(client)
        return client

    yield open_
    for client in opened:
        client.context.close()
    for client in opened:
        assert client.errors == [], client.errors


def test_berlin_viewer_sees_berlin_times_and_never_utc(
    server: Server, make_user: Callable[..., User], berlin_client: Callable[[str], Client]
) -> None:
    olga, bea = make_user("olga"), make_user("bea")
    circle = api_create_circle(server, olga, "Evening runners")
    api_join_circle(server, bea, circle)
    day = datetime.now(UTC).date() + timedelta(days=4)
    start = datetime(day.year, day.month, day.day, 18, 30, tzinfo=UTC)
    title = "Tuesday run"
    act = server.api(
        "POST",
        f"/api/circles/{circle['id']}/activities",
        {
            "title": title,
            "category": "outdoors",
            "starts_at": iso(start),
            "ends_at": iso(start + timedelta(hours=1)),
            "location": {"name": "Park gate"},
            "capacity": 5,
        },
        token=olga.token,
    )["activity"]

    bea_c = berlin_client("bea")
    bea_c.login(bea)
    bea_c.open_conversation("Evening runners")
    card = activity_card(bea_c, title)
    card.get_by_test_id("activity-signup").click()
    expect(card).to_have_attribute("data-my-status", "confirmed")
    expect(card.get_by_test_id("activity-time")).to_contain_text(berlin_hm(start))

    moved = start + timedelta(hours=1)
    server.api(
        "PATCH",
        f"/api/activities/{act['id']}",
        {"starts_at": iso(moved), "ends_at": iso(moved + timedelta(hours=1))},
        token=olga.token,
    )
    page = bea_c.page
    expect(card.get_by_test_id("activity-time")).to_contain_text(berlin_hm(moved))
    notice = page.get_by_test_id("system-notice").filter(has_text=title)
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text(f"{berlin_hm(start)} → ")
    expect(notice).to_contain_text(berlin_hm(moved))
    expect(notice).not_to_contain_text("UTC")

    expect(page.get_by_test_id("notif-bell")).not_to_have_attribute("data-count", "0")
    page.get_by_test_id("notif-bell").click()
    items = page.get_by_test_id("notif-item")
    changed = items.filter(has_text=f"Changed: {title}")
    expect(changed).to_have_count(1)
    expect(changed.get_by_test_id("notif-body")).to_contain_text(f"{berlin_hm(start)} → ")
    expect(changed.get_by_test_id("notif-body")).to_contain_text(berlin_hm(moved))
    confirmed = items.filter(has_text=f"You're in: {title}")
    expect(confirmed.get_by_test_id("notif-body")).to_contain_text(berlin_hm(start))
    bea_c.screenshot("berlin-change-notified")
    assert "UTC" not in page.locator("body").inner_text()

    # The activity page too.
    page.keyboard.press("Escape")
    card.get_by_test_id("activity-open").click()
    expect(page.get_by_test_id("activity-time")).to_contain_text(berlin_hm(moved))
    assert "UTC" not in page.locator("body").inner_text()
