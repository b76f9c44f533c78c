"""No console errors on the main pages (issue 11, item 8): the login and registration form, a
circle chat, the new-circle form and the activity forms and pages, each with its fields typed
into (Chromium compiles a `pattern` attribute with the `v` flag when a value is checked and logs
an invalid one as a console error). Any console error, page error or failed request fails the
test. The page also carries a favicon the browser can draw, so it never asks for a missing
/favicon.ico.

Persona: olga (owns a circle, posts an activity in it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import ConsoleMessage, Page, Request, expect

from tests.browser.helpers import Client, User, api_create_activity, api_create_circle

pytestmark = pytest.mark.browser

OpenClient = Callable[[str], Client]
MakeUser = Callable[..., User]


class ConsoleWatch:
    """Everything the page reports as going wrong: console errors, uncaught errors and
    requests that failed or were answered with an error status."""

    def __init__(self, page: Page) -> None:
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("requestfailed", self._failed)
        page.on(
            "response",
            lambda r: (
                self.problems.append(f"HTTP {r.status} for {r.request.method} {r.url}")
                if r.status >= 400
                else None
            ),
        )

    def _console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            self.problems.append(f"console error at {msg.location.get('url', '?')}: {msg.text}")

    def _failed(self, request: Request) -> None:
        # A socket.io long-poll cut short by a page change is not an error of the page.
        if "/socket.io/" in request.url and request.failure == "net::ERR_ABORTED":
            return
        self.problems.append(f"request failed: {request.method} {request.url}: {request.failure}")

    def take(self) -> list[str]:
        found, self.problems = self.problems, []
        return found


@pytest.fixture
def watched(open_client: OpenClient) -> Iterator[tuple[Client, ConsoleWatch]]:
    client = open_client("olga")
    yield client, ConsoleWatch(client.page)


def visit(client: Client, watch: ConsoleWatch, page_name: str, action: Callable[[], None]) -> None:
    action()
    # Let late work (socket events, fetches, timers of the first render) report too.
    client.page.wait_for_timeout(300)
    problems = watch.take()
    if problems:
        client.screenshot(f"console-{page_name}")
    assert problems == [], f"{page_name}: {problems}"


def test_main_pages_log_no_console_error(
    watched: tuple[Client, ConsoleWatch], make_user: MakeUser
) -> None:
    client, watch = watched
    page = client.page
    olga = make_user("olga")
    circle = api_create_circle(client.server, olga, "Rowing club")
    activity = api_create_activity(client.server, olga, circle, "Morning row", capacity=8)

    def login_page() -> None:
        client.goto("#/login")
        expect(page.get_by_test_id("login-view")).to_be_visible()
        page.get_by_test_id("auth-toggle").click()  # the registration form, with its rules
        page.get_by_test_id("login-handle").fill("not valid!")
        page.get_by_test_id("login-display-name").fill("Olga")
        page.get_by_test_id("login-handle").fill("olga_ok")
        page.get_by_test_id("auth-toggle").click()

    visit(client, watch, "login", login_page)
    visit(client, watch, "sign-in", lambda: client.login(olga))

    def chat() -> None:
        client.goto(f"#/c/{circle['conversation_id']}")
        expect(page.get_by_test_id("message-list")).to_have_attribute("data-loaded", "true")
        client.send("Who is rowing on Saturday?")

    visit(client, watch, "circle chat", chat)

    def new_circle() -> None:
        client.goto("#/new")
        expect(page.get_by_test_id("new-circle-form")).to_be_visible()
        page.get_by_test_id("new-circle-name").fill("Chess at the park")
        category = page.get_by_test_id("new-circle-category")
        category.fill("board-games")
        category.blur()
        assert category.evaluate("el => el.checkValidity()") is True

    visit(client, watch, "new circle", new_circle)

    def new_activity() -> None:
        client.goto(f"#/circle/{circle['id']}/new-activity")
        expect(page.get_by_test_id("activity-form")).to_be_visible()
        page.get_by_test_id("activity-form-title").fill("Evening row")
        category = page.get_by_test_id("activity-form-category")
        category.fill("water-sports")
        category.blur()
        assert category.evaluate("el => el.checkValidity()") is True
        start = (datetime.now() + timedelta(days=4)).replace(hour=18, minute=0, second=0)
        page.get_by_test_id("activity-form-starts").fill(start.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_test_id("activity-form-ends").fill(
            (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        )

    visit(client, watch, "new activity", new_activity)

    def activity_page() -> None:
        client.goto(f"#/activity/{activity['id']}")
        expect(page.get_by_test_id("activity-details")).to_be_visible()

    visit(client, watch, "activity page", activity_page)

    def edit_activity() -> None:
        client.goto(f"#/activity/{activity['id']}/edit")
        expect(page.get_by_test_id("activity-form")).to_be_visible()
        page.get_by_test_id("activity-form-category").fill("rowing")
        assert page.get_by_test_id("activity-form-category").evaluate("el => el.checkValidity()")

    visit(client, watch, "edit activity", edit_activity)

    def lists() -> None:
        client.goto(f"#/circle/{circle['id']}/activities")
        expect(page.get_by_test_id("app-shell")).to_be_visible()
        client.goto("#/me/activities")
        client.goto("#/explore")
        expect(page.get_by_test_id("app-shell")).to_be_visible()

    visit(client, watch, "activity lists and explore", lists)

    # The watch sees what it is meant to: the pattern the issue found, checked on this page,
    # is logged as a console error (so the checks above could fail).
    page.evaluate(
        """() => {
          const el = document.createElement("input");
          el.setAttribute("pattern", "[a-z0-9-]{1,32}");
          el.value = "x";
          document.body.append(el);
          el.checkValidity();
          el.remove();
        }"""
    )
    page.wait_for_timeout(200)
    caught = watch.take()
    assert any("[a-z0-9-]{1,32}" in p for p in caught), caught


def test_the_page_has_a_favicon_the_browser_draws(
    watched: tuple[Client, ConsoleWatch],
) -> None:
    client, watch = watched
    page = client.page
    client.goto("#/login")
    expect(page.get_by_test_id("login-view")).to_be_visible()
    icon = page.locator('head link[rel="icon"]')
    expect(icon).to_have_count(1)
    # The icon is drawn: an image element loads it with a real size (a broken one has none).
    size = icon.evaluate(
        """(link) => new Promise((resolve) => {
          const img = new Image();
          img.onload = () => resolve([img.naturalWidth, img.naturalHeight]);
          img.onerror = () => resolve([0, 0]);
          img.src = link.href;
        })"""
    )
    assert size[0] > 0 and size[1] > 0, f"the favicon does not load: {icon.get_attribute('href')}"
    page.wait_for_timeout(300)
    assert watch.take() == []
