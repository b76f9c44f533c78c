"""How the chat reads (issue 11): sender groups, date separators, the "New messages" divider,
the jump-to-latest button, the sidebar by last activity, and a usable 390 px phone layout.

Personas: alice (owns the circle, writes most), bob (a member who reads).

This module runs its own server with a clock file, so messages can be written on earlier days
(the server's clock only ever moves forward: tokens refuse a negative age).
"""

from __future__ import annotations

import itertools
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, expect

from tests.browser.conftest import DIST, _ensure_web_built
from tests.browser.helpers import (
    ARTIFACTS,
    Client,
    Server,
    User,
    api_create_circle,
    api_join_circle,
    send_texts,
)
from tests.support.infra import ROOT, start_server, temp_dir

pytestmark = pytest.mark.browser

OpenClient = Callable[[str], Client]
MakeUser = Callable[..., User]

DAY = 24 * 3600
START_OFFSET = -2 * DAY  # the module's server starts two days back


class ClockFile:
    """The server's clock offset in seconds (CIRCLES_CLOCK_FILE); only ever moved forward."""

    def __init__(self, path: Path, offset: float) -> None:
        self.path = path
        self.offset = offset
        self._write()

    def advance(self, seconds: float) -> None:
        assert seconds > 0
        self.offset += seconds
        self._write()

    def _write(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(repr(self.offset))
        tmp.replace(self.path)


@pytest.fixture(scope="module")
def clock() -> Iterator[ClockFile]:
    directory = temp_dir("circles-browser-clock-")
    yield ClockFile(directory / "clock", START_OFFSET)
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def server(stack: Any, clock: ClockFile) -> Iterator[Server]:
    _ensure_web_built()
    db = stack.ferretdb()
    data_dir = temp_dir("circles-browser-data-")
    proc = start_server(
        {
            "MONGODB_URL": db.url,
            "FERRETDB_POSTGRESQL_URL": db.extra["postgres_url"],
            "MONGODB_DB": "circles_browser_layout",
            "DATA_DIR": str(data_dir),
            "SEED_DEMO": "0",
            "WEB_DIST": str(DIST),
            "LOG_LEVEL": "warning",
            "CIRCLES_CLOCK_FILE": str(clock.path),
            # no join notices: posted after a window, they would land among the messages a test
            # writes and move the conversations' last activity
            "MEMBER_NOTICE_SECONDS": "0",
            # Organisers here publish paid activities without going through verification (the
            # gate has its own tests: tests/test_trust_*.py).
            "PAID_ACTIVITIES_REQUIRE_VERIFICATION": "0",
        },
        ROOT / "test-artifacts" / "logs",
    )
    try:
        yield Server(proc.url, proc)
    finally:
        proc.stop()
        db.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(db.extra["data_dir"], ignore_errors=True)


def message(client: Client, text: str) -> Locator:
    exact = re.compile(f"^{re.escape(text)}$")
    return client.messages().filter(
        has=client.page.get_by_test_id("message-text").filter(has_text=exact)
    )


def circle_with(server: Server, owner: User, member: User, name: str) -> dict:
    circle = api_create_circle(server, owner, name)
    api_join_circle(server, member, circle)
    return circle


def list_rows(client: Client) -> list[tuple[str, str]]:
    """The message list top to bottom: ("date", label), ("divider", ""), ("system", text) or
    ("message", text) with text prefixed "+" when it continues its sender's group."""
    rows = client.page.eval_on_selector_all(
        '[data-testid="message-list"] > li',
        """els => els.map(el => {
            const id = el.dataset.testid;
            if (id === "date-separator") return ["date", el.textContent.trim()];
            if (id === "new-messages-divider") return ["divider", ""];
            const text = (el.querySelector('[data-testid="message-text"]') || {}).textContent;
            if (el.dataset.kind === "system") return ["system", text];
            return ["message", (el.dataset.grouped === "true" ? "+" : "") + text];
        })""",
    )
    return [(kind, label) for kind, label in rows]


def test_groups_and_date_separators_follow_sender_time_and_day(
    open_client: OpenClient, make_user: MakeUser, server: Server, clock: ClockFile
) -> None:
    alice, bob = make_user("alice", "Alice Liddell"), make_user("bob", "Bob Builder")
    name = f"Days {uuid.uuid4().hex[:6]}"
    conv = circle_with(server, alice, bob, name)["conversation_id"]

    # two days back: two of alice's in a row, bob, alice again; then alice after 6 minutes
    sent = send_texts(server, alice, conv, ["first a", "first b"])
    sent += send_texts(server, bob, conv, ["bob says"])
    sent += send_texts(server, alice, conv, ["alice again"])
    clock.advance(6 * 60)
    sent += send_texts(server, alice, conv, ["after a pause"])
    clock.advance(DAY - 6 * 60)  # yesterday
    sent += send_texts(server, alice, conv, ["yesterday's"])
    clock.advance(DAY)  # now (offset 0)
    assert clock.offset == 0
    sent += send_texts(server, alice, conv, ["today's", "today's too"])

    bob_c = open_client("bob")
    bob_c.login(bob)
    bob_c.open_conversation(name)
    expect(message(bob_c, "today's too")).to_have_count(1)
    page = bob_c.page

    # The oracle for days: the browser's own calendar day of each stored created_at.
    days = page.evaluate(
        """times => times.map(t => { const d = new Date(t);
            return [d.getFullYear(), d.getMonth(), d.getDate()].join("-"); })""",
        [m["created_at"] for m in sent],
    )
    today = page.evaluate(
        "() => { const d = new Date(); return [d.getFullYear(), d.getMonth(), d.getDate()].join('-'); }"
    )
    assert days[-1] == today and days[-3] != today, days
    expected_separators = 1 + sum(1 for a, b in itertools.pairwise(days) if a != b)

    rows = list_rows(bob_c)
    dates = [label for kind, label in rows if kind == "date"]
    assert len(dates) == expected_separators, rows
    assert dates[-1] == "Today" and dates[-2] == "Yesterday", rows
    texts = [label for kind, label in rows if kind == "message"]
    assert texts == [
        "first a",
        "+first b",  # same sender within five minutes: one group
        "bob says",
        "alice again",
        "after a pause",  # six minutes later: a new group
        "yesterday's",
        "today's",
        "+today's too",
    ], rows
    # each separator sits right before the first message of its day
    assert rows[rows.index(("date", "Yesterday")) + 1] == ("message", "yesterday's")
    assert rows[rows.index(("date", "Today")) + 1] == ("message", "today's")

    # a continued message shows neither avatar nor name; the group's first shows both
    first, cont = message(bob_c, "first a"), message(bob_c, "first b")
    expect(first.get_by_test_id("message-sender")).to_be_visible()
    expect(cont.get_by_test_id("message-sender")).to_be_hidden()
    expect(cont.get_by_test_id("message-sender")).to_have_text("Alice Liddell")
    assert cont.locator(".avatar").evaluate("el => getComputedStyle(el).visibility") == "hidden"
    assert first.locator(".avatar").evaluate("el => getComputedStyle(el).visibility") == "visible"
    bob_c.screenshot("chat-groups-days")


def test_new_messages_divider_marks_the_first_unread_and_jump_to_latest_counts(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    name = f"Divider {uuid.uuid4().hex[:6]}"
    conv = circle_with(server, alice, bob, name)["conversation_id"]
    send_texts(server, alice, conv, [f"read {i:02d}" for i in range(1, 6)])

    bob_c = open_client("bob")
    bob_c.login(bob)
    bob_c.open_conversation(name)  # reads everything so far
    expect(message(bob_c, "read 05")).to_have_count(1)
    expect(bob_c.conversation_item(name)).to_have_attribute("data-unread", "0")
    bob_c.page.get_by_test_id("nav-explore").click()

    send_texts(server, alice, conv, [f"unread {i:02d}" for i in range(1, 31)])
    expect(bob_c.conversation_item(name)).to_have_attribute("data-unread", "30")
    bob_c.open_conversation(name)
    divider = bob_c.page.get_by_test_id("new-messages-divider")
    expect(divider).to_have_count(1)
    expect(divider).to_have_text("New messages")
    rows = list_rows(bob_c)
    at = rows.index(("divider", ""))
    assert rows[at - 1] == ("message", "+read 05") and rows[at + 1] == ("message", "unread 01"), (
        rows
    )
    # opened at the divider, not at the bottom: the first unread is on screen
    expect(message(bob_c, "unread 01")).to_be_in_viewport()
    expect(bob_c.conversation_item(name)).to_have_attribute("data-unread", "0")

    # scrolled up, new messages are counted on the jump button instead of moving the view
    scroller = bob_c.page.get_by_test_id("message-scroller")
    scroller.evaluate("el => { el.scrollTop = 0 }")
    jump = bob_c.page.get_by_test_id("jump-latest")
    expect(jump).to_be_visible()
    send_texts(server, alice, conv, ["live 1", "live 2"])
    expect(message(bob_c, "live 2")).to_have_count(1)
    expect(bob_c.page.get_by_test_id("jump-latest-count")).to_have_text("2")
    expect(message(bob_c, "live 2")).not_to_be_in_viewport()
    jump.click()
    expect(message(bob_c, "live 2")).to_be_in_viewport()
    expect(jump).to_be_hidden()
    # at the bottom, a new message shows at once and the button stays away
    send_texts(server, alice, conv, ["live 3"])
    expect(message(bob_c, "live 3")).to_be_in_viewport()
    expect(jump).to_be_hidden()
    bob_c.screenshot("chat-divider-jump")


def test_sidebar_lists_conversations_by_last_activity_with_a_preview(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    alice, bob = make_user("alice", "Alice Liddell"), make_user("bob")
    names = [f"Zeta {uuid.uuid4().hex[:6]}", f"Alpha {uuid.uuid4().hex[:6]}"]
    convs = [circle_with(server, alice, bob, n)["conversation_id"] for n in names]
    send_texts(server, alice, convs[1], ["older news"])
    send_texts(server, alice, convs[0], ["newest news\nsecond line"])

    bob_c = open_client("bob")
    bob_c.login(bob)
    titles = bob_c.page.get_by_test_id("circle-conversations").get_by_test_id("conversation-title")
    expect(titles).to_have_text(names)  # Zeta first: it spoke last, whatever the alphabet says
    zeta = bob_c.conversation_item(names[0])
    expect(zeta.get_by_test_id("conversation-preview")).to_have_text("Alice Liddell: newest news")

    # a live message moves its conversation to the top and becomes its preview
    send_texts(server, alice, convs[1], ["alpha speaks"])
    expect(titles).to_have_text([names[1], names[0]])
    expect(bob_c.conversation_item(names[1]).get_by_test_id("conversation-preview")).to_have_text(
        "Alice Liddell: alpha speaks"
    )


def test_phone_layout_keeps_the_chat_header_on_one_line_and_panels_close(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    name = f"The Saturday Morning Long Run Club of the Riverside {uuid.uuid4().hex[:6]}"
    circle = api_create_circle(
        server, alice, name, description="Ten kilometres along the river, every Saturday at 8"
    )
    api_join_circle(server, bob, circle)
    send_texts(server, alice, circle["conversation_id"], ["See you at the boathouse"])

    alice_c = open_client("alice")
    alice_c.page.set_viewport_size({"width": 390, "height": 844})
    alice_c.login(alice)
    alice_c.page.get_by_test_id("sidebar-toggle").click()
    alice_c.open_conversation(name)
    page = alice_c.page
    expect(page.get_by_test_id("chat-title")).to_have_text(name)
    expect(page.get_by_test_id("chat-member-count")).to_have_text("2 members")
    expect(page.get_by_test_id("sidebar")).not_to_be_in_viewport()

    header = page.get_by_test_id("chat-header").bounding_box()
    title = page.get_by_test_id("chat-title").bounding_box()
    assert header is not None and title is not None
    font = page.get_by_test_id("chat-title").evaluate(
        "el => parseFloat(getComputedStyle(el).fontSize)"
    )
    # the title is one line (ellipsis), not one letter per line
    assert title["height"] <= font * 2, (title, font)
    assert title["width"] > 120, title
    # the header fits the screen width and stays a small part of its height
    assert header["x"] >= 0 and header["x"] + header["width"] <= 390 + 0.5, header
    assert header["height"] <= 80, header
    for testid in ("search-toggle", "pins-toggle", "chat-menu-toggle"):
        box = page.get_by_test_id(testid).bounding_box()
        assert box is not None, testid
        assert (
            box["y"] >= header["y"] and box["y"] + box["height"] <= header["y"] + header["height"]
        )
        assert box["x"] + box["width"] <= 390 + 0.5, (testid, box)
    # every message and the composer fit the width too
    composer = page.get_by_test_id("composer-input").bounding_box()
    assert composer is not None and composer["x"] + composer["width"] <= 390 + 0.5, composer
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # the circle's actions are behind "⋯"; a panel opens over the chat and closes again
    invite = page.get_by_test_id("invite-button")
    expect(invite).to_be_hidden()
    page.get_by_test_id("chat-menu-toggle").click()
    expect(invite).to_be_visible()
    page.get_by_test_id("members-toggle").click()
    expect(invite).to_be_hidden()  # choosing an action closes the menu
    members = page.get_by_test_id("members-side-panel")
    expect(members).to_be_visible()
    expect(members.get_by_test_id("member-item")).to_have_count(2)
    box = members.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 + 0.5, box
    page.get_by_test_id("panel-close").click()
    expect(members).to_have_count(0)
    expect(message(alice_c, "See you at the boathouse")).to_be_in_viewport()

    shot = alice_c.screenshot("chat-390px")
    assert shot.parent == ARTIFACTS and shot.stat().st_size > 0, shot
