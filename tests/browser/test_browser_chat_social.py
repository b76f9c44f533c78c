"""Replies, reactions, mentions, pins, attachments and search in the web client (issue 11),
between two real browsers on a real server.

Personas: alice (owns the circle: may pin and mention everyone), bob (a member).
"""

from __future__ import annotations

import io
import re
import time
import uuid
from collections.abc import Callable

import pytest
from PIL import Image
from playwright.sync_api import Locator, expect

from tests.browser.helpers import (
    Client,
    Server,
    User,
    api_create_circle,
    api_join_circle,
    send_texts,
    socket_calls,
)

pytestmark = pytest.mark.browser

OpenClient = Callable[[str], Client]
MakeUser = Callable[..., User]


def message(client: Client, text: str) -> Locator:
    """The message whose text is exactly ``text`` (mentions included, as shown)."""
    exact = re.compile(f"^{re.escape(text)}$")
    return client.messages().filter(
        has=client.page.get_by_test_id("message-text").filter(has_text=exact)
    )


def chip(msg: Locator, emoji: str) -> Locator:
    return msg.locator(f'[data-testid="reaction-chip"][data-emoji="{emoji}"]')


def two_in_a_circle(
    open_client: OpenClient, make_user: MakeUser, server: Server, prefix: str
) -> tuple[User, User, Client, Client, dict]:
    alice, bob = make_user("alice", "Alice Liddell"), make_user("bob", "Bob Builder")
    circle = api_create_circle(server, alice, f"{prefix} {uuid.uuid4().hex[:6]}")
    api_join_circle(server, bob, circle)
    alice_c, bob_c = open_client("alice"), open_client("bob")
    for client, user in ((alice_c, alice), (bob_c, bob)):
        client.login(user)
        client.open_conversation(circle["name"])
    return alice, bob, alice_c, bob_c, circle


def png_bytes(width: int = 64, height: int = 40) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 60, 40)).save(out, format="PNG")
    return out.getvalue()


def test_two_people_reply_react_and_mention_each_other_live(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    alice, bob, alice_c, bob_c, circle = two_in_a_circle(open_client, make_user, server, "Runners")
    alice_c.send("Who is running on Saturday?")
    original = message(bob_c, "Who is running on Saturday?")
    expect(original).to_have_count(1)

    # bob replies, mentioning alice through the autocomplete
    original.hover()
    original.get_by_test_id("message-reply").click()
    expect(bob_c.page.get_by_test_id("composer-reply")).to_contain_text(
        "Who is running on Saturday?"
    )
    composer = bob_c.page.get_by_test_id("composer-input")
    composer.press_sequentially("@Ali")
    options = bob_c.page.get_by_test_id("mention-option")
    expect(options).to_have_count(1)
    expect(options).to_have_attribute("data-handle", alice.handle)
    composer.press("Enter")  # picks the suggestion, does not send
    expect(composer).to_have_value(f"@{alice.handle} ")
    composer.press_sequentially("count me in")
    composer.press("Enter")
    reply_text = f"@{alice.handle} count me in"
    expect(message(bob_c, reply_text)).to_have_attribute("data-state", "sent")
    expect(bob_c.page.get_by_test_id("composer-reply")).to_be_hidden()

    # alice gets it live: the quote of her message, and her name highlighted as a mention of her
    reply = message(alice_c, reply_text)
    expect(reply.get_by_test_id("reply-quote")).to_contain_text("Who is running on Saturday?")
    expect(reply.get_by_test_id("reply-sender")).to_have_text("Alice Liddell")
    expect(reply.get_by_test_id("mention")).to_have_attribute("data-me", "true")
    expect(message(bob_c, reply_text).get_by_test_id("mention")).to_have_attribute(
        "data-me", "false"
    )
    # the quote leads back to the original
    reply.get_by_test_id("reply-quote").click()
    expect(message(alice_c, "Who is running on Saturday?")).to_have_attribute(
        "data-highlighted", "true"
    )
    # an edit of the original reaches the quote
    mine = message(alice_c, "Who is running on Saturday?")
    mine.hover()
    mine.get_by_test_id("message-edit").click()
    alice_c.page.get_by_test_id("message-edit-input").fill("Who is running on Sunday?")
    alice_c.page.get_by_test_id("message-edit-save").click()
    expect(message(bob_c, reply_text).get_by_test_id("reply-text")).to_have_text(
        "Who is running on Sunday?"
    )

    # reactions: alice adds one from the picker; bob sees it and adds his by clicking the chip
    reply.hover()
    reply.get_by_test_id("message-react").click()
    alice_c.page.get_by_test_id("reaction-picker").locator('[data-emoji="👍"]').click()
    expect(chip(reply, "👍")).to_have_attribute("data-count", "1")
    expect(chip(reply, "👍")).to_have_attribute("data-me", "true")
    bob_reply = message(bob_c, reply_text)
    expect(chip(bob_reply, "👍")).to_have_attribute("data-count", "1")
    expect(chip(bob_reply, "👍")).to_have_attribute("data-me", "false")
    chip(bob_reply, "👍").click()
    expect(chip(bob_reply, "👍")).to_have_attribute("data-count", "2")
    expect(chip(bob_reply, "👍")).to_have_attribute("data-me", "true")
    expect(chip(reply, "👍")).to_have_attribute("data-count", "2")
    expect(chip(reply, "👍")).to_have_attribute("data-me", "true")
    # a click on one's own chip takes the reaction back
    chip(reply, "👍").click()
    expect(chip(reply, "👍")).to_have_attribute("data-me", "false")
    expect(chip(bob_reply, "👍")).to_have_attribute("data-count", "1")
    expect(chip(bob_reply, "👍")).to_have_attribute("data-me", "true")

    # a mention while bob is elsewhere: a mention badge on the conversation until he reads it
    bob_c.page.get_by_test_id("nav-explore").click()
    alice_c.send(f"@{bob.handle} bring water please")
    item = bob_c.conversation_item(circle["name"])
    expect(item.get_by_test_id("mention-badge")).to_be_visible()
    expect(item.get_by_test_id("conversation-preview")).to_have_text(
        f"Alice Liddell: @{bob.handle} bring water please"
    )
    bob_c.open_conversation(circle["name"])
    expect(
        message(bob_c, f"@{bob.handle} bring water please").get_by_test_id("mention")
    ).to_have_attribute("data-me", "true")
    expect(item.get_by_test_id("mention-badge")).to_have_count(0)

    # pins: the owner pins bob's reply; bob sees it pinned and in the pinned list, without
    # pin buttons of his own
    reply.hover()
    reply.get_by_test_id("message-pin").click()
    expect(bob_reply).to_have_attribute("data-pinned", "true")
    bob_reply.hover()
    expect(bob_reply.get_by_test_id("message-pin")).to_have_count(0)
    bob_c.page.get_by_test_id("pins-toggle").click()
    pins = bob_c.page.get_by_test_id("pin-item")
    expect(pins).to_have_count(1)
    expect(pins.get_by_test_id("pin-text")).to_have_text(reply_text)
    expect(bob_c.page.get_by_test_id("pin-unpin")).to_have_count(0)
    pins.get_by_test_id("pin-open").click()
    expect(bob_reply).to_have_attribute("data-highlighted", "true")
    bob_c.page.get_by_test_id("panel-close").click()
    expect(bob_c.page.get_by_test_id("pins-panel")).to_have_count(0)

    alice_c.screenshot("chat-social")
    bob_c.screenshot("chat-social")


def test_an_image_upload_shows_for_the_other_person(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    _alice, _bob, alice_c, bob_c, _circle = two_in_a_circle(
        open_client, make_user, server, "Photos"
    )
    page = alice_c.page
    page.get_by_test_id("composer-file-input").set_input_files(
        {"name": "route.png", "mimeType": "image/png", "buffer": png_bytes()}
    )
    upload = page.get_by_test_id("upload-item")
    expect(upload).to_have_attribute("data-status", "done")
    expect(upload.get_by_test_id("upload-progress")).to_have_js_property("value", 1)
    page.get_by_test_id("composer-input").fill("the route map")
    page.get_by_test_id("composer-send").click()
    expect(message(alice_c, "the route map")).to_have_attribute("data-state", "sent")
    expect(page.get_by_test_id("upload-list")).to_be_hidden()

    shown = message(bob_c, "the route map").get_by_test_id("attachment-image")
    expect(shown).to_have_attribute("data-loaded", "true")
    assert shown.evaluate("img => img.naturalWidth") > 0
    assert shown.get_attribute("src", timeout=1000).startswith("blob:")
    message(bob_c, "the route map").get_by_test_id("attachment").click()
    lightbox = bob_c.page.get_by_test_id("lightbox")
    expect(lightbox).to_be_visible()
    expect(lightbox.get_by_test_id("lightbox-image")).to_have_attribute("data-loaded", "true")
    assert lightbox.get_by_test_id("lightbox-image").evaluate("img => img.naturalWidth") == 64
    bob_c.page.keyboard.press("Escape")
    expect(lightbox).to_have_count(0)

    # a file dropped on the chat uploads too, and shows as a file for bob
    page.get_by_test_id("chat-frame").evaluate(
        """frame => {
            const dt = new DataTransfer();
            dt.items.add(new File(["ten kilometres"], "notes.txt", {type: "text/plain"}));
            frame.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true}));
        }"""
    )
    expect(page.get_by_test_id("upload-item")).to_have_attribute("data-status", "done")
    page.get_by_test_id("composer-send").click()
    dropped = bob_c.messages().locator('[data-testid="attachment"][data-kind="file"]')
    expect(dropped).to_have_count(1)
    expect(dropped).to_contain_text("notes.txt")

    # HTML dressed as a picture is refused by the server, and the composer says so
    page.get_by_test_id("composer-file-input").set_input_files(
        {"name": "cat.png", "mimeType": "image/png", "buffer": b"<html><script>x</script>"}
    )
    expect(page.get_by_test_id("upload-item")).to_have_attribute("data-status", "failed")
    expect(page.get_by_test_id("upload-error")).not_to_be_empty()
    alice_c.screenshot("chat-upload")
    bob_c.screenshot("chat-upload")


def test_search_finds_an_old_message_and_opens_it_in_context(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    circle = api_create_circle(server, alice, f"Recipes {uuid.uuid4().hex[:6]}")
    api_join_circle(server, bob, circle)
    conv = circle["conversation_id"]
    send_texts(server, alice, conv, ["the secret pancake recipe is buttermilk"])
    sent = send_texts(server, alice, conv, [f"chatter {i:03d}" for i in range(1, 81)])
    # bob has read them all (elsewhere): the chat opens at the newest page, not the first unread
    socket_calls(server, bob, [("read", {"conversation_id": conv, "seq": sent[-1]["seq"]})])

    bob_c = open_client("bob")
    bob_c.login(bob)
    bob_c.open_conversation(circle["name"])
    expect(message(bob_c, "chatter 080")).to_have_count(1)
    target = message(bob_c, "the secret pancake recipe is buttermilk")
    expect(target).to_have_count(0)  # older than the first page

    page = bob_c.page
    page.get_by_test_id("search-toggle").click()
    page.get_by_test_id("search-input").fill("pancake")
    results = page.get_by_test_id("search-result")
    deadline = time.monotonic() + 10  # the index follows the log a moment later
    while True:
        page.get_by_test_id("search-submit").click()
        expect(page.get_by_test_id("search-status")).not_to_have_text("Searching…")
        if results.count() or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    expect(results).to_have_count(1)
    expect(results.get_by_test_id("search-result-text")).to_have_text(
        "the secret pancake recipe is buttermilk"
    )
    results.click()
    expect(target).to_have_count(1)
    expect(target).to_have_attribute("data-highlighted", "true")
    expect(target).to_be_in_viewport()
    # in context: the messages around it are there, in order
    rows = [text for _, text in bob_c.message_rows()]
    at = rows.index("the secret pancake recipe is buttermilk")
    assert rows[at + 1 : at + 3] == ["chatter 001", "chatter 002"], rows[:5]
    bob_c.screenshot("chat-search")

    # across conversations: a result in another circle opens that circle at the message
    other = api_create_circle(server, alice, f"Brunch {uuid.uuid4().hex[:6]}")
    api_join_circle(server, bob, other)
    send_texts(server, alice, other["conversation_id"], ["pancake brunch on Sunday"])
    send_texts(server, alice, other["conversation_id"], [f"more {i}" for i in range(3)])
    expect(bob_c.conversation_item(other["name"])).to_have_count(1)
    page.get_by_test_id("search-scope").select_option("all")
    deadline = time.monotonic() + 10
    while True:
        page.get_by_test_id("search-submit").click()
        expect(page.get_by_test_id("search-status")).not_to_have_text("Searching…")
        if results.count() == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    expect(results).to_have_count(2)  # newest first
    expect(results.first).to_have_attribute("data-conversation-id", other["conversation_id"])
    results.first.click()
    expect(page.get_by_test_id("chat-title")).to_have_text(other["name"])
    expect(message(bob_c, "pancake brunch on Sunday")).to_have_attribute("data-highlighted", "true")
