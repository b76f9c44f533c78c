"""The web client end to end: real Chromium against a real server and database.

Personas: alice (creates circles), bob (joins them).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    PASSWORD,
    Client,
    Server,
    User,
    api_create_circle,
    api_join_circle,
    unique_handle,
)

pytestmark = pytest.mark.browser

OpenClient = Callable[[str], Client]
MakeUser = Callable[..., User]

XSS = "<img src=x onerror=alert(1)>"


def make_circle(
    server: Server, owner: User, name: str, visibility: str = "public", description: str = ""
) -> dict:
    return api_create_circle(
        server, owner, name, visibility, description, category="sports", tags=["test"]
    )


def message(client: Client, text: str):  # type: ignore[no-untyped-def]
    exact = re.compile(f"^{re.escape(text)}$")
    return client.messages().filter(
        has=client.page.get_by_test_id("message-text").filter(has_text=exact)
    )


def test_two_people_register_create_join_and_chat_live(open_client: OpenClient) -> None:
    alice_c, bob_c = open_client("alice"), open_client("bob")
    alice = User(unique_handle("alice"), "Alice Liddell", PASSWORD)
    bob = User(unique_handle("bob"), "Bob Builder", PASSWORD)
    alice_c.register(alice)
    bob_c.register(bob)
    expect(alice_c.page.get_by_test_id("me-name")).to_have_text("Alice Liddell")

    # alice creates a public circle through the form and lands in its chat
    name = f"Runners {uuid.uuid4().hex[:6]}"
    page = alice_c.page
    page.get_by_test_id("nav-new-circle").click()
    page.get_by_test_id("new-circle-name").fill(name)
    page.get_by_test_id("new-circle-description").fill("Saturday morning 10k")
    page.get_by_test_id("new-circle-category").fill("sports")
    page.get_by_test_id("new-circle-tags").fill("running, outdoors")
    page.get_by_test_id("new-circle-visibility").select_option("public")
    page.get_by_test_id("new-circle-submit").click()
    expect(page.get_by_test_id("chat-title")).to_have_text(name)
    expect(alice_c.conversation_item(name)).to_have_count(1)
    alice_c.send("Hello from Alice")

    # bob finds it by search, joins, and sees the history
    bob_page = bob_c.page
    bob_page.get_by_test_id("nav-explore").click()
    bob_page.get_by_test_id("circle-search").fill(name)
    bob_page.get_by_test_id("circle-search").press("Enter")
    item = bob_page.get_by_test_id("circle-item").filter(has_text=name)
    expect(item).to_have_count(1)
    expect(item.get_by_test_id("circle-category")).to_have_text("sports")
    item.get_by_test_id("circle-join").click()
    expect(bob_page.get_by_test_id("chat-title")).to_have_text(name)
    expect(message(bob_c, "Hello from Alice")).to_have_count(1)

    # live both ways
    bob_c.send("Hi Alice, Bob here")
    expect(message(alice_c, "Hi Alice, Bob here")).to_have_count(1)
    alice_c.send("Welcome, Bob!")
    expect(message(bob_c, "Welcome, Bob!")).to_have_count(1)
    expect(message(bob_c, "Welcome, Bob!").get_by_test_id("message-sender")).to_have_text(
        "Alice Liddell"
    )

    assert alice_c.message_rows()[-3:] == bob_c.message_rows()[-3:]
    alice_c.screenshot("chat-live")
    bob_c.screenshot("chat-live")

    # typing indicator reaches the other side
    bob_page.get_by_test_id("composer-input").press_sequentially("typing...")
    expect(page.get_by_test_id("typing-indicator")).to_have_text("Bob Builder is typing…")


def test_markup_and_script_urls_in_user_text_render_inert(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    alice = make_user("alice", display_name=f"Alice {XSS}")
    bob = make_user("bob")
    circle_name = f"Club {XSS} {uuid.uuid4().hex[:4]}"
    circle = make_circle(server, alice, circle_name, description=f"About {XSS}")
    api_join_circle(server, bob, circle)

    texts = [
        XSS,
        "javascript:alert(1)",
        "<script>alert(2)</script><b>bold?</b>",
        '<a href="javascript:alert(3)">click me</a>',
    ]
    # bidi controls are shown as visible markers, not applied
    bidi = "\u202egnp.exe \u2066isolated\u2069"
    bidi_shown = "[U+202E]gnp.exe [U+2066]isolated[U+2069]"
    alice_c, bob_c = open_client("alice"), open_client("bob")
    alice_c.login(alice)
    bob_c.login(bob)
    alice_c.open_conversation(circle_name)
    for text in texts:
        alice_c.send(text)
    alice_c.page.get_by_test_id("composer-input").fill(bidi)
    alice_c.page.get_by_test_id("composer-send").click()
    expect(message(alice_c, bidi_shown)).to_have_attribute("data-state", "sent")

    bob_c.open_conversation(circle_name)
    for text in texts:
        expect(message(bob_c, text)).to_have_count(1)
    expect(message(bob_c, bidi_shown).get_by_test_id("bidi-control")).to_have_count(3)

    for client in (alice_c, bob_c):
        page = client.page
        expect(page.get_by_test_id("chat-title")).to_have_text(circle_name)
        expect(client.conversation_item(circle_name)).to_have_count(1)
        shown = [text for _, text in client.message_rows()]
        assert shown[-5:] == [*texts, bidi_shown]
        senders = page.get_by_test_id("message-list").get_by_test_id("message-sender")
        expect(senders.filter(has_text=f"Alice {XSS}")).to_have_count(len(texts) + 1)
        assert page.locator('[data-testid="message-list"] img').count() == 0
        assert page.locator("img").count() == 0
        assert page.locator("body script").count() == 0
        assert page.locator("b").count() == 0
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(a => a.getAttribute('href'))")
        assert not [h for h in hrefs if h.strip().lower().startswith("javascript:")], hrefs

    # the circle's name and description on the explore page
    bob_page = bob_c.page
    bob_page.get_by_test_id("nav-explore").click()
    bob_page.get_by_test_id("circle-search").fill("Club")
    bob_page.get_by_test_id("circle-search").press("Enter")
    item = bob_page.get_by_test_id("circle-item").filter(has_text=circle_name)
    expect(item.get_by_test_id("circle-name")).to_have_text(circle_name)
    expect(item.get_by_test_id("circle-description")).to_have_text(f"About {XSS}")
    assert bob_page.locator("img").count() == 0

    alice_c.screenshot("xss-inert")
    bob_c.screenshot("xss-inert")
    assert alice_c.dialogs == [] and bob_c.dialogs == []


def test_reconnecting_client_catches_up_on_sends_edits_and_deletes_once_each(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    name = f"Reconnect {uuid.uuid4().hex[:6]}"
    circle = make_circle(server, alice, name)
    api_join_circle(server, bob, circle)
    alice_c, bob_c = open_client("alice"), open_client("bob")
    alice_c.login(alice)
    bob_c.login(bob)
    alice_c.open_conversation(name)
    bob_c.open_conversation(name)

    for text in ("one", "two", "three", "four"):
        alice_c.send(text)
    expect(message(bob_c, "four")).to_have_count(1)

    # bob's network goes away; his socket notices and cannot come back yet
    bob_c.context.set_offline(True)
    bob_c.page.evaluate("window.circles.dropConnection()")
    expect(bob_c.page.get_by_test_id("conn-status")).not_to_have_attribute("data-state", "online")

    # bob writes while offline: the message waits in his outbox
    bob_c.page.get_by_test_id("composer-input").fill("written offline")
    bob_c.page.get_by_test_id("composer-send").click()
    expect(message(bob_c, "written offline")).to_have_attribute("data-state", "pending")

    alice_c.send("five (while bob is away)")
    three = message(alice_c, "three")
    three.hover()
    three.get_by_test_id("message-edit").click()
    alice_c.page.get_by_test_id("message-edit-input").fill("three (edited)")
    alice_c.page.get_by_test_id("message-edit-save").click()
    expect(message(alice_c, "three (edited)").get_by_test_id("message-edited")).to_be_visible()
    four = message(alice_c, "four")
    four.hover()
    four.get_by_test_id("message-delete").click()
    four.get_by_test_id("message-delete-confirm").click()
    expect(alice_c.messages().get_by_test_id("message-deleted")).to_have_count(1)
    alice_c.send("six")

    # nothing reached bob live: he is still offline and shows the old state
    expect(bob_c.page.get_by_test_id("conn-status")).not_to_have_attribute("data-state", "online")
    assert "six" not in [text for _, text in bob_c.message_rows()]
    assert "three" in [text for _, text in bob_c.message_rows()]

    bob_c.context.set_offline(False)
    expect(bob_c.page.get_by_test_id("conn-status")).to_have_attribute(
        "data-state", "online", timeout=20_000
    )
    expect(message(bob_c, "six")).to_have_count(1)
    expect(message(bob_c, "three (edited)")).to_have_count(1)
    expect(bob_c.messages().get_by_test_id("message-deleted")).to_have_count(1)

    # the outbox was resent after the sync, once
    expect(message(bob_c, "written offline")).to_have_attribute("data-state", "sent")
    expect(message(alice_c, "written offline")).to_have_count(1)

    rows = bob_c.message_rows()
    assert rows == alice_c.message_rows()
    seqs = [int(seq) for seq, _ in rows]
    assert seqs == sorted(set(seqs)), f"duplicated or out of order: {rows}"
    texts = [text for _, text in rows]
    assert texts[-7:] == [
        "one",
        "two",
        "three (edited)",
        "message deleted",
        "five (while bob is away)",
        "six",
        "written offline",
    ]

    # and live delivery resumes, once
    alice_c.send("seven")
    expect(message(bob_c, "seven")).to_have_count(1)
    bob_c.send("bob is back")
    expect(message(alice_c, "bob is back")).to_have_count(1)
    assert bob_c.message_rows() == alice_c.message_rows()
    bob_c.screenshot("reconnect")


def test_dm_from_members_list_shows_unread_badge_until_read(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    alice = make_user("alice", display_name="Alice Adams")
    bob = make_user("bob", display_name="Bob Brown")
    name = f"DM place {uuid.uuid4().hex[:6]}"
    circle = make_circle(server, alice, name)
    api_join_circle(server, bob, circle)
    alice_c, bob_c = open_client("alice"), open_client("bob")
    alice_c.login(alice)
    bob_c.login(bob)

    alice_c.open_conversation(name)
    page = alice_c.page
    page.get_by_test_id("members-toggle").click()
    bob_row = page.locator(f'[data-testid="member-item"][data-user-id="{bob.id}"]')
    expect(bob_row.get_by_test_id("member-name")).to_have_text("Bob Brown")
    bob_row.get_by_test_id("member-dm").click()
    expect(page.get_by_test_id("chat-title")).to_have_text("Bob Brown")
    alice_c.send("Hi Bob, just between us")
    alice_c.send("Are you coming on Saturday?")
    dm_item = alice_c.page.get_by_test_id("dm-conversations").get_by_test_id("conversation-item")
    expect(dm_item).to_have_count(1)
    expect(dm_item.get_by_test_id("unread-badge")).to_have_count(0)

    # bob is elsewhere (explore page): the DM shows up with an unread badge
    bob_dm = bob_c.page.get_by_test_id("dm-conversations").get_by_test_id("conversation-item")
    expect(bob_dm).to_have_count(1)
    expect(bob_dm.get_by_test_id("conversation-title")).to_have_text("Alice Adams")
    expect(bob_dm.get_by_test_id("unread-badge")).to_have_text("2")
    bob_c.screenshot("dm-unread")

    bob_dm.click()
    expect(message(bob_c, "Are you coming on Saturday?")).to_have_count(1)
    expect(bob_dm.get_by_test_id("unread-badge")).to_have_count(0)

    # the read marker is stored by the server: still read after a reload
    bob_c.page.reload()
    expect(bob_c.page.get_by_test_id("conn-status")).to_have_attribute("data-state", "online")
    bob_dm = bob_c.page.get_by_test_id("dm-conversations").get_by_test_id("conversation-item")
    expect(bob_dm).to_have_count(1)
    expect(bob_dm.get_by_test_id("unread-badge")).to_have_count(0)

    # a reply while alice looks at the DM does not badge it for her
    bob_c.send("Yes, see you there")
    expect(message(alice_c, "Yes, see you there")).to_have_count(1)
    expect(dm_item.get_by_test_id("unread-badge")).to_have_count(0)
    alice_c.screenshot("dm-read")


def test_invite_link_opens_client_and_joins_private_circle(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    name = f"Secret {uuid.uuid4().hex[:6]}"
    circle = make_circle(server, alice, name, visibility="private")
    alice_c, bob_c = open_client("alice"), open_client("bob")
    alice_c.login(alice)
    alice_c.open_conversation(name)
    alice_c.page.get_by_test_id("invite-button").click()
    url = alice_c.page.get_by_test_id("invite-url").input_value()
    assert f"/#/join/{circle['id']}?invite=" in url, url

    # bob is signed out: the link goes through the login page and then joins
    bob_c.page.goto(url)
    expect(bob_c.page.get_by_test_id("login-view")).to_be_visible()
    bob_c.page.get_by_test_id("login-handle").fill(bob.handle)
    bob_c.page.get_by_test_id("login-password").fill(bob.password)
    bob_c.page.get_by_test_id("login-submit").click()
    expect(bob_c.page.get_by_test_id("chat-title")).to_have_text(name)
    expect(bob_c.conversation_item(name)).to_have_count(1)
    bob_c.send("Thanks for the invite")
    expect(message(alice_c, "Thanks for the invite")).to_have_count(1)
    bob_c.screenshot("invite-joined")

    # leaving takes the circle out of bob's sidebar; the owner has no leave button
    expect(alice_c.page.get_by_test_id("leave-button")).to_have_count(0)
    bob_c.page.get_by_test_id("leave-button").click()
    bob_c.page.get_by_test_id("confirm-ok").click()  # leaving asks first (issue 15)
    expect(bob_c.page.get_by_test_id("explore-view")).to_be_visible()
    expect(bob_c.conversation_item(name)).to_have_count(0)
    expect(bob_c.page.get_by_test_id("circle-item").filter(has_text=name)).to_have_count(0)


def test_presence_dots_follow_the_other_person(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    name = f"Presence {uuid.uuid4().hex[:6]}"
    circle = make_circle(server, alice, name)
    api_join_circle(server, bob, circle)
    alice_c = open_client("alice")
    alice_c.login(alice)
    alice_c.open_conversation(name)
    alice_c.page.get_by_test_id("members-toggle").click()
    dot = alice_c.page.locator(
        f'[data-testid="member-item"][data-user-id="{bob.id}"] [data-testid="presence-dot"]'
    )
    expect(dot).to_have_attribute("data-online", "false")

    bob_c = open_client("bob")
    bob_c.login(bob)
    expect(dot).to_have_attribute("data-online", "true")
    alice_c.screenshot("presence-online")

    bob_c.context.close()  # every socket of bob's closes
    expect(dot).to_have_attribute("data-online", "false", timeout=35_000)


def test_scrolling_back_loads_older_history_in_seq_order(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    name = f"Long history {uuid.uuid4().hex[:6]}"
    circle = make_circle(server, alice, name)
    api_join_circle(server, bob, circle)
    alice_c, bob_c = open_client("alice"), open_client("bob")
    alice_c.login(alice)
    alice_c.open_conversation(name)
    total = 65
    for i in range(1, total + 1):
        alice_c.send(f"msg {i:03d}")

    bob_c.login(bob)
    bob_c.open_conversation(name)
    expect(message(bob_c, f"msg {total:03d}")).to_have_count(1)
    older = bob_c.page.get_by_test_id("load-older")
    expect(older).to_be_visible()
    assert len(bob_c.message_rows()) == 50

    # scrolling to the top fetches the page before the oldest message held
    bob_c.page.get_by_test_id("message-scroller").evaluate("el => { el.scrollTop = 0 }")
    expect(message(bob_c, "msg 001")).to_have_count(1)
    expect(older).to_be_hidden()

    rows = bob_c.message_rows()
    seqs = [int(seq) for seq, _ in rows]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "seq must be dense and ascending"
    texts = [text for _, text in rows if text.startswith("msg ")]
    assert texts == [f"msg {i:03d}" for i in range(1, total + 1)]
    bob_c.screenshot("scroll-back")


def test_sign_out_and_revoked_session_return_to_login(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    alice = make_user("alice")
    alice_c = open_client("alice")
    alice_c.login(alice)
    alice_c.page.get_by_test_id("logout-button").click()
    expect(alice_c.page.get_by_test_id("login-view")).to_be_visible()
    assert alice_c.page.evaluate("localStorage.getItem('circles.token')") is None

    # a token revoked elsewhere: the server drops the socket and the client asks to sign in
    alice_c.login(alice)
    token = alice_c.page.evaluate("localStorage.getItem('circles.token')")
    server.api("POST", "/api/auth/logout", token=token)
    expect(alice_c.page.get_by_test_id("login-view")).to_be_visible()
    expect(alice_c.page.get_by_test_id("auth-error")).to_contain_text("session has ended")
    assert alice_c.page.evaluate("localStorage.getItem('circles.token')") is None
    alice_c.screenshot("session-ended")

    # a stale token found at start-up is dropped the same way
    alice_c.page.evaluate(f"localStorage.setItem('circles.token', {token!r})")
    alice_c.page.reload()
    expect(alice_c.page.get_by_test_id("login-view")).to_be_visible()
    expect(alice_c.page.get_by_test_id("auth-error")).to_contain_text("session has ended")
    assert alice_c.page.evaluate("localStorage.getItem('circles.token')") is None
