"""Organiser verification in the browser (issue 14, web items), on a server of its own with the
paid-activity gate ON (the shared browser server turns it off): an unverified organiser cannot
publish a paid activity and is told why with a link to fix it; the verification form goes
through a platform administrator's approval, after which the payout account is what is missing.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DIST, _ensure_web_built
from tests.browser.helpers import Client, Server, User, api_create_circle
from tests.support.infra import ROOT, start_server, temp_dir
from tests.support.posts import image
from tests.support.trust import admin_cli

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server_env(stack: Any) -> Iterator[dict[str, str]]:
    db = stack.ferretdb()
    data_dir = temp_dir("circles-browser-data-")
    env = {
        "MONGODB_URL": db.url,
        "FERRETDB_POSTGRESQL_URL": db.extra["postgres_url"],
        "MONGODB_DB": "circles_browser_trust",
        "DATA_DIR": str(data_dir),
        "SEED_DEMO": "0",
        "WEB_DIST": str(DIST),
        "LOG_LEVEL": "warning",
        "MEMBER_NOTICE_SECONDS": "0",
        "PAID_ACTIVITIES_REQUIRE_VERIFICATION": "1",  # the gate under test
    }
    yield env
    db.stop()
    shutil.rmtree(data_dir, ignore_errors=True)
    shutil.rmtree(db.extra["data_dir"], ignore_errors=True)


@pytest.fixture(scope="module")
def server(server_env: dict[str, str]) -> Iterator[Server]:
    _ensure_web_built()
    proc = start_server(server_env, ROOT / "test-artifacts" / "logs")
    try:
        yield Server(proc.url, proc)
    finally:
        proc.stop()


def fill_paid_activity(client: Client, circle: dict, title: str) -> None:
    page = client.page
    client.goto(f"#/circle/{circle['id']}/new-activity")
    expect(page.get_by_test_id("activity-form-circle")).to_have_text(circle["name"])
    start = datetime.now() + timedelta(days=5)
    page.get_by_test_id("activity-form-title").fill(title)
    page.get_by_test_id("activity-form-category").fill("outdoors")
    page.get_by_test_id("activity-form-starts").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_test_id("activity-form-ends").fill(
        (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_test_id("activity-form-location-name").fill("Boathouse")
    page.get_by_test_id("activity-form-capacity").fill("8")
    page.get_by_test_id("activity-form-price-amount").fill("12.50")
    page.get_by_test_id("activity-form-price-currency").select_option("EUR")
    page.get_by_test_id("activity-form-submit").click()


def circle_activities(server: Server, user: User, circle: dict) -> list[dict]:
    return server.api("GET", f"/api/circles/{circle['id']}/activities", token=user.token)[
        "activities"
    ]


def test_an_unverified_organiser_cannot_publish_a_paid_activity_and_sees_why(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    olga = make_user("olga")
    circle = api_create_circle(server, olga, "Paid paddlers")
    c = open_client("organiser")
    c.login(olga)
    fill_paid_activity(c, circle, "Sunset paddle")

    gate = c.page.get_by_test_id("paid-gate")
    expect(gate).to_have_attribute("data-reason", "verification_required")
    expect(gate).to_contain_text("A paid activity needs a verified organiser")
    assert circle_activities(server, olga, circle) == []  # refused: nothing published
    c.screenshot("verification-gate")
    c.page.get_by_test_id("paid-gate-fix").click()
    expect(c.page.get_by_test_id("verification-view")).to_be_visible()
    expect(c.page.get_by_test_id("verification-status")).to_have_attribute("data-state", "none")
    expect(c.page.get_by_test_id("verification-form")).to_be_visible()


def test_verification_goes_through_an_administrators_approval(
    server: Server,
    server_env: dict[str, str],
    make_user: Callable[..., User],
    open_client: Callable[[str], Client],
) -> None:
    olga, ada = make_user("olga"), make_user("ada")
    done = admin_cli(server_env, "grant", ada.handle)
    assert done.returncode == 0, done.stderr
    circle = api_create_circle(server, olga, "Verified walkers")

    c = open_client("organiser")
    c.login(olga)
    c.goto("#/me/verification")
    page = c.page
    page.get_by_test_id("verification-name").fill("Olga Petrova")
    page.get_by_test_id("verification-type").select_option("id_card")
    page.get_by_test_id("verification-number").fill("AB-1234 5678")
    page.get_by_test_id("verification-image").set_input_files(
        files=[{"name": "id.png", "mimeType": "image/png", "buffer": image((64, 48))}]
    )
    page.get_by_test_id("verification-submit").click()
    status = page.get_by_test_id("verification-status")
    expect(status).to_have_attribute("data-state", "pending")
    expect(status).to_contain_text("ending 5678")
    expect(status).not_to_contain_text("AB12345678")
    expect(page.get_by_test_id("verification-form")).to_have_count(0)

    a = open_client("admin")
    a.login(ada)
    a.goto("#/admin/verifications")
    item = a.page.get_by_test_id("admin-item").filter(has_text="Olga Petrova")
    expect(item).to_have_count(1)
    item.get_by_test_id("admin-view").click()
    expect(item.get_by_test_id("admin-image")).to_have_attribute("src", re.compile("^blob:"))
    # A rejection needs a reason: the server's refusal is shown and nothing changes.
    item.get_by_test_id("admin-reject").click()
    expect(item.get_by_test_id("admin-error")).to_contain_text("reason")
    item.get_by_test_id("admin-approve").click()
    expect(a.page.get_by_test_id("admin-status")).to_contain_text("Olga Petrova approved.")

    c.page.reload()
    expect(page.get_by_test_id("verification-status")).to_have_attribute("data-state", "approved")
    # Verified: what is missing now is the circle's payout account, with a link to set it.
    fill_paid_activity(c, circle, "Ridge walk")
    gate = page.get_by_test_id("paid-gate")
    expect(gate).to_have_attribute("data-reason", "payout_account_required")
    gate.get_by_test_id("paid-gate-fix").click()
    expect(page.get_by_test_id("payout-current")).to_have_attribute("data-state", "none")
    page.get_by_test_id("payout-holder").fill("Olga Petrova")
    page.get_by_test_id("payout-number").fill("DE89 3704 0044 0532 0130 00")
    page.get_by_test_id("payout-save").click()
    expect(page.get_by_test_id("payout-current")).to_contain_text("DE•• •••• 3000")
    fill_paid_activity(c, circle, "Ridge walk")
    expect(page.get_by_test_id("chat-view")).to_be_visible()
    assert [a["title"] for a in circle_activities(server, olga, circle)] == ["Ridge walk"]


def test_a_rejected_verification_shows_the_reason_and_the_form_again(
    server: Server,
    server_env: dict[str, str],
    make_user: Callable[..., User],
    open_client: Callable[[str], Client],
) -> None:
    olga, ada = make_user("olga"), make_user("ada")
    done = admin_cli(server_env, "grant", ada.handle)
    assert done.returncode == 0, done.stderr

    c = open_client("organiser")
    c.login(olga)
    c.goto("#/me/verification")
    page = c.page
    page.get_by_test_id("verification-name").fill("Olga Blurry")
    page.get_by_test_id("verification-number").fill("P1234567")
    page.get_by_test_id("verification-image").set_input_files(
        files=[{"name": "id.png", "mimeType": "image/png", "buffer": image((64, 48))}]
    )
    page.get_by_test_id("verification-submit").click()
    expect(page.get_by_test_id("verification-status")).to_have_attribute("data-state", "pending")

    a = open_client("admin")
    a.login(ada)
    a.goto("#/admin/verifications")
    item = a.page.get_by_test_id("admin-item").filter(has_text="Olga Blurry")
    item.get_by_test_id("admin-reason").fill("The photo is too blurry to read")
    item.get_by_test_id("admin-reject").click()
    expect(a.page.get_by_test_id("admin-status")).to_contain_text("Olga Blurry rejected.")

    page.reload()
    status = page.get_by_test_id("verification-status")
    expect(status).to_have_attribute("data-state", "rejected")
    expect(page.get_by_test_id("verification-reason")).to_have_text(
        "The photo is too blurry to read"
    )
    expect(page.get_by_test_id("verification-form")).to_be_visible()


def test_on_a_phone_verification_is_reached_from_the_profile_page(
    make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    olga = make_user("olga")
    c = open_client("organiser")
    page = c.page
    page.set_viewport_size({"width": 390, "height": 844})
    c.login(olga)
    # the top bar fits the phone's width: its "Verification" link gives way
    expect(page.get_by_test_id("verification-link")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    c.goto("#/me/profile")
    page.get_by_test_id("profile-verification-link").click()
    expect(page.get_by_test_id("verification-form")).to_be_visible()
