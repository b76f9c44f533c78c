"""Forms that speak people (issue 15, item 5): a price typed in major units with a currency
picker (sent in minor units by the currency's ISO exponent), a category picked from a list or
typed, no `pattern` attribute Chromium rejects under the `v` flag, registration that states its
rules and names the field and the rule on refusal, and an invite link opened while signed out
that says which circle invited you.

Personas: olga (owns the circle, organises), nia (registers), bob (invited, signed out).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import PASSWORD, Client, Server, User, api_create_circle

pytestmark = pytest.mark.browser

OpenClient = Callable[[str], Client]
MakeUser = Callable[..., User]


# Chromium compiles a `pattern` attribute with the `v` flag and, when that fails, only logs it
# and ignores the pattern (the field then accepts anything). Every pattern on the page must
# compile the way Chromium compiles it.
BAD_PATTERNS = """() => [...document.querySelectorAll("[pattern]")].flatMap((el) => {
  try { new RegExp(`^(?:${el.getAttribute("pattern")})$`, "v"); return []; }
  catch (e) { return [`${el.dataset.testid}: ${e}`]; }
})"""


def bad_patterns(client: Client) -> list[str]:
    return client.page.evaluate(BAD_PATTERNS)


def post_priced(client: Client, circle: dict, title: str, amount: str, currency: str) -> None:
    page = client.page
    client.goto(f"#/circle/{circle['id']}/new-activity")
    expect(page.get_by_test_id("activity-form-category")).to_have_value("outdoors")
    start = (datetime.now() + timedelta(days=5)).replace(hour=10, minute=0, second=0, microsecond=0)
    page.get_by_test_id("activity-form-title").fill(title)
    page.get_by_test_id("activity-form-starts").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_test_id("activity-form-ends").fill(
        (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_test_id("activity-form-location-name").fill("Boathouse")
    page.get_by_test_id("activity-form-price-currency").select_option(currency)
    page.get_by_test_id("activity-form-price-amount").fill(amount)


def activity_titled(server: Server, user: User, circle: dict, title: str) -> dict:
    found = server.api("GET", f"/api/circles/{circle['id']}/activities", token=user.token)
    return next(a for a in found["activities"] if a["title"] == title)


def test_price_in_major_units_with_a_currency_picker_and_a_category_list(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    olga = make_user("olga")
    circle = api_create_circle(server, olga, f"Rowers {uuid.uuid4().hex[:6]}")
    olga_c = open_client("olga")
    olga_c.login(olga)
    page = olga_c.page

    # the currency is a picker of ISO 4217 codes; the price is typed as people say it
    post_priced(olga_c, circle, "Euro tour", "12.50", "EUR")
    currency = page.get_by_test_id("activity-form-price-currency")
    assert currency.evaluate("el => el.tagName") == "SELECT"
    codes = currency.locator("option").evaluate_all("os => os.map(o => o.value)")
    assert {"EUR", "USD", "JPY", "KWD", "BHD", "GBP", "CHF"} <= set(codes) and len(codes) > 140
    expect(page.get_by_test_id("activity-form-price-hint")).to_contain_text("12.50")
    # the category: suggestions from a list, and free text still allowed
    category = page.get_by_test_id("activity-form-category")
    list_id = category.get_attribute("list")
    assert list_id
    suggestions = page.locator(f"datalist#{list_id} option").evaluate_all(
        "os => os.map(o => o.value)"
    )
    assert "sports" in suggestions and "outdoors" in suggestions
    assert bad_patterns(olga_c) == []
    category.evaluate("el => { el.value = 'Not A Slug!'; }")  # as typed, before the blur
    assert category.evaluate("el => el.validity.patternMismatch") is True
    category.fill("Board Games")
    olga_c.screenshot("form-price-major-units")
    page.get_by_test_id("activity-form-submit").click()
    expect(page.get_by_test_id("chat-title")).to_be_visible()
    euro = activity_titled(server, olga, circle, "Euro tour")
    assert euro["price"] == {"amount": 1250, "currency": "EUR"}
    assert euro["category"] == "board-games"

    # no minor unit (JPY) and three decimals (KWD), each by its ISO 4217 exponent
    post_priced(olga_c, circle, "Yen tour", "1500", "JPY")
    page.get_by_test_id("activity-form-submit").click()
    expect(page.get_by_test_id("chat-title")).to_be_visible()
    post_priced(olga_c, circle, "Dinar tour", "1.250", "KWD")
    page.get_by_test_id("activity-form-submit").click()
    expect(page.get_by_test_id("chat-title")).to_be_visible()
    assert activity_titled(server, olga, circle, "Yen tour")["price"] == {
        "amount": 1500,
        "currency": "JPY",
    }
    assert activity_titled(server, olga, circle, "Dinar tour")["price"] == {
        "amount": 1250,
        "currency": "KWD",
    }

    # too many decimals for the currency is refused in words, and nothing is posted
    post_priced(olga_c, circle, "Cent fractions", "12.345", "EUR")
    page.get_by_test_id("activity-form-submit").click()
    expect(page.get_by_test_id("activity-form-error")).to_have_text(
        "Price: EUR has 2 decimals at most."
    )
    post_priced(olga_c, circle, "Yen fractions", "15.5", "JPY")
    page.get_by_test_id("activity-form-submit").click()
    expect(page.get_by_test_id("activity-form-error")).to_contain_text("JPY has no decimals")

    # the edit form shows the stored price in major units again
    olga_c.goto(f"#/activity/{euro['id']}/edit")
    expect(page.get_by_test_id("activity-form")).to_have_attribute("data-loaded", "true")
    expect(page.get_by_test_id("activity-form-price-amount")).to_have_value("12.50")
    expect(page.get_by_test_id("activity-form-price-currency")).to_have_value("EUR")

    # the new-circle form's category too: every pattern compiles under the v flag
    olga_c.goto("#/new")
    expect(page.get_by_test_id("new-circle-category")).to_be_visible()
    assert bad_patterns(olga_c) == []
    slug = page.get_by_test_id("new-circle-category")
    slug.evaluate("el => { el.value = 'Not A Slug!'; }")
    assert slug.evaluate("el => el.validity.patternMismatch") is True


def test_registration_states_its_rules_and_names_the_field_on_refusal(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    taken = make_user("olga")
    nia_c = open_client("nia")
    nia_c.goto("#/login")
    page = nia_c.page
    page.get_by_test_id("auth-toggle").click()
    assert bad_patterns(nia_c) == []
    # the rules, up front
    expect(page.get_by_test_id("rule-handle")).to_contain_text("3\u201332 characters")
    expect(page.get_by_test_id("rule-handle")).to_contain_text("lowercase letters")
    expect(page.get_by_test_id("rule-password")).to_contain_text("at least 8 characters")
    handle, password = page.get_by_test_id("login-handle"), page.get_by_test_id("login-password")
    error = page.get_by_test_id("auth-error")
    page.get_by_test_id("login-display-name").fill("Nia")

    handle.fill("ni")
    password.fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(error).to_contain_text("Handle: 3\u201332 characters")
    expect(handle).to_have_attribute("aria-invalid", "true")
    expect(handle).to_be_focused()
    nia_c.screenshot("register-rule-refused")

    handle.fill(f"nia_{uuid.uuid4().hex[:8]}")
    password.fill("short")
    page.get_by_test_id("login-submit").click()
    expect(error).to_contain_text("Password: at least 8 characters")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(handle).not_to_have_attribute("aria-invalid", "true")

    # refusals from the server name the field and the rule too
    handle.fill(taken.handle)
    password.fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(error).to_have_text("Handle: that handle is taken. Choose another one.")
    handle.fill(f"nia_{uuid.uuid4().hex[:8]}")
    page.get_by_test_id("login-display-name").fill("\u200b")  # shows nothing: blank
    page.get_by_test_id("login-submit").click()
    expect(error).to_contain_text("Display name: 1\u201364 characters")
    expect(error).not_to_contain_text("failed validation")

    page.get_by_test_id("login-display-name").fill("Nia")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("app-shell")).to_be_visible()


def test_invite_link_opened_signed_out_names_the_circle(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    olga, bob = make_user("olga"), make_user("bob")
    name = f"Supper club {uuid.uuid4().hex[:6]}"
    circle = api_create_circle(server, olga, name, visibility="private")
    url = server.api("POST", f"/api/circles/{circle['id']}/invites", {}, token=olga.token)["url"]
    bob_c = open_client("bob")
    page = bob_c.page

    # a broken link says so instead of naming anything
    bob_c.page.goto(re.sub(r"invite=[^&]+", "invite=forged.token.value", url))
    expect(page.get_by_test_id("invite-banner")).to_have_attribute("data-state", "invalid")
    expect(page.get_by_test_id("invite-banner")).to_contain_text("not valid")
    expect(page.get_by_test_id("invite-banner")).not_to_contain_text(name)

    bob_c.page.goto(url)
    expect(page.get_by_test_id("login-view")).to_be_visible()
    banner = page.get_by_test_id("invite-banner")
    expect(banner).to_contain_text(f"You've been invited to {name}")
    bob_c.screenshot("invite-signed-out")
    page.get_by_test_id("login-handle").fill(bob.handle)
    page.get_by_test_id("login-password").fill(bob.password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("chat-title")).to_have_text(name)
