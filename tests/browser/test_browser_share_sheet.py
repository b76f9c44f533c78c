"""The share sheet (issue 12, items 9 and 10): copy link gives the share URL, the poster
download is a PNG of the phone size, "I'm going" appears with a seat, the circle page's sheet;
and a follower gets the new-activity notification live when the circle posts an activity."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.helpers import (
    Client,
    Server,
    User,
    api_create_activity,
    api_create_circle,
    socket_calls,
)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (which the signature must precede)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:16]
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def with_clipboard(client: Client) -> None:
    client.context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=client.server.url
    )


def test_copy_link_poster_and_going_link_on_the_activity_page(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    olga, alice = make_user("olga"), make_user("alice")
    circle = api_create_circle(server, olga, "Harbour Swimmers")
    act = api_create_activity(server, olga, circle, "Dawn swim", capacity=4)

    client = open_client("alice")
    with_clipboard(client)
    client.login(alice)
    client.goto(f"#/activity/{act['id']}")
    page = client.page
    expect(page.get_by_test_id("activity-view")).to_have_attribute(
        "data-version", str(act["version"])
    )
    sheet = page.get_by_test_id("share-sheet")
    page.get_by_test_id("share-open").click()
    expect(sheet).to_have_attribute("data-loaded", "true")
    links = server.api("GET", f"/api/activities/{act['id']}/share", token=alice.token)
    assert f"ref={alice.handle}" in links["activity"]

    sheet.get_by_test_id("share-link-copy").click()
    expect(sheet.get_by_test_id("share-link-status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == links["activity"]
    expect(sheet.get_by_test_id("share-link-url")).to_have_value(links["activity"])

    # No seat yet: no "I'm going" link.
    expect(sheet).to_have_attribute("data-going", "false")
    expect(sheet.get_by_test_id("share-going")).to_have_count(0)

    # The poster: a download, a PNG of the phone size (1080 x 1920), crediting the sharer.
    poster = sheet.locator('[data-testid="share-poster"][data-size="phone"][data-format="png"]')
    with page.expect_download() as info:
        poster.click()
    download = info.value
    assert download.suggested_filename == "dawn-swim-phone.png"
    assert png_size(Path(download.path()).read_bytes()) == (1080, 1920)
    assert download.url.startswith(f"{server.url}/s/a/{act['id']}/poster.png?")
    assert f"ref={alice.handle}" in download.url
    svg = sheet.locator('[data-testid="share-poster"][data-size="a4"][data-format="svg"]')
    assert svg.get_attribute("href") == f"/s/a/{act['id']}/poster.svg?ref={alice.handle}&size=a4"

    # With a seat, the sheet offers "I'm going" (the server's link, only for the seat holder).
    socket_calls(server, alice, [("activity:signup", {"activity_id": act["id"]})])
    client.goto(f"#/activity/{act['id']}")
    page.reload()
    expect(page.get_by_test_id("activity-mine")).to_have_attribute("data-my-status", "confirmed")
    page.get_by_test_id("share-open").click()
    expect(sheet).to_have_attribute("data-going", "true")
    going = server.api("GET", f"/api/activities/{act['id']}/share", token=alice.token)["going"]
    assert going
    expect(sheet.get_by_test_id("share-going-url")).to_have_value(going)
    client.screenshot("share-sheet")
    sheet.get_by_test_id("share-going-copy").click()
    expect(sheet.get_by_test_id("share-going-status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == going


def test_the_circle_pages_share_sheet(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    olga, bob = make_user("olga"), make_user("bob")
    circle = api_create_circle(server, olga, "Lantern Makers")
    secret = api_create_circle(server, olga, "Quiet Room", visibility="private")

    client = open_client("bob")
    with_clipboard(client)
    client.login(bob)
    client.goto(f"#/circle/{circle['id']}/about")
    page = client.page
    expect(page.get_by_test_id("circle-page")).to_have_attribute("data-member", "false")
    page.get_by_test_id("share-open").click()
    sheet = page.get_by_test_id("share-sheet")
    page.get_by_test_id("share-link-copy").click()
    expect(sheet.get_by_test_id("share-link-status")).to_have_text("Copied")
    url = page.evaluate("navigator.clipboard.readText()")
    assert url == f"{server.url}/s/c/{circle['id']}?ref={bob.handle}"
    # The link is the circle's public page (what a friend opening it sees).
    visitor = open_client("visitor")
    visitor.page.goto(url)
    expect(visitor.page.locator("h1")).to_have_text("Lantern Makers")
    with page.expect_download() as info:
        sheet.locator('[data-testid="share-poster"][data-size="phone"][data-format="png"]').click()
    assert png_size(Path(info.value.path()).read_bytes()) == (1080, 1920)

    # A private circle's sheet (its owner's) says outsiders see no page, and offers no poster.
    owner = open_client("olga")
    owner.login(olga)
    owner.goto(f"#/circle/{secret['id']}/about")
    owner.page.get_by_test_id("share-open").click()
    expect(owner.page.get_by_test_id("share-private")).to_be_visible()
    expect(owner.page.get_by_test_id("share-poster")).to_have_count(0)


def test_a_follower_gets_the_new_activity_notification_live(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    olga, fran = make_user("olga"), make_user("fran")
    circle = api_create_circle(server, olga, "Night Owls")

    client = open_client("fran")
    client.login(fran)
    client.goto(f"#/circle/{circle['id']}/about")
    page = client.page
    page.get_by_test_id("circle-page-follow").click()
    expect(page.get_by_test_id("circle-page")).to_have_attribute("data-following", "true")
    assert (
        server.api("GET", "/api/me/following", token=fran.token)["following"][0]["circle"]["id"]
        == circle["id"]
    )
    expect(page.get_by_test_id("notif-bell")).to_have_attribute("data-count", "0")

    # The circle posts an activity; Fran's open page learns it without a reload.
    act = api_create_activity(server, olga, circle, "Star count", capacity=10)
    expect(page.get_by_test_id("notif-bell")).to_have_attribute("data-count", "1")
    page.get_by_test_id("notif-bell").click()
    note = page.locator('[data-testid="notif-item"][data-kind="new_activity"]')
    expect(note).to_have_count(1)
    expect(note.get_by_test_id("notif-title")).to_have_text("New in Night Owls: Star count")
    expect(note).to_have_attribute("data-activity-id", act["id"])
    note.click()
    expect(page.get_by_test_id("activity-view")).to_have_attribute("data-activity-id", act["id"])
