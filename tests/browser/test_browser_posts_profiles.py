"""Circle posts and member profiles in the web client (issue 12, items 6, 7 and 9), between two
real browsers on a real server.

Personas: alice (owns the circle, posts), bob (a member: likes, comments, messages alice).
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.helpers import (
    Client,
    Server,
    User,
    api_create_circle,
    api_join_circle,
    send_texts,
)

pytestmark = pytest.mark.browser

OpenClient = Callable[[str], Client]
MakeUser = Callable[..., User]


def png_bytes(width: int = 90, height: int = 60) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(buf, "PNG")
    return buf.getvalue()


def test_a_post_with_an_image_and_a_tag_is_liked_and_commented_by_another_member(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    alice, bob = make_user("alice", "Alice Liddell"), make_user("bob", "Bob Builder")
    circle = api_create_circle(server, alice, f"Posters {uuid.uuid4().hex[:6]}")
    api_join_circle(server, bob, circle)
    alice_c, bob_c = open_client("alice"), open_client("bob")
    alice_c.login(alice)
    bob_c.login(bob)
    posts_hash = f"#/circle/{circle['id']}/posts"

    alice_c.goto(posts_hash)
    page = alice_c.page
    expect(page.get_by_test_id("post-composer")).to_be_visible()
    page.get_by_test_id("post-images-input").set_input_files(
        {"name": "summit.png", "mimeType": "image/png", "buffer": png_bytes()}
    )
    upload = page.get_by_test_id("post-upload")
    expect(upload).to_have_attribute("data-state", "done")
    expect(upload.get_by_test_id("post-upload-progress")).to_have_js_property("value", 1)
    page.get_by_test_id("post-text-input").fill("Made it to the summit!")
    page.get_by_test_id("post-tags-input").fill("#hiking, views")
    page.get_by_test_id("post-submit").click()
    post = page.get_by_test_id("post").filter(has_text="Made it to the summit!")
    expect(post).to_have_count(1)
    expect(post.get_by_test_id("post-tag")).to_have_text(["#hiking", "#views"])
    expect(post.get_by_test_id("post-image")).to_have_attribute("src", re.compile("^blob:"))
    expect(page.get_by_test_id("post-uploads").get_by_test_id("post-upload")).to_have_count(0)

    # bob, a member, sees it (no composer: members may not post here), likes and comments
    bob_c.goto(posts_hash)
    seen = bob_c.page.get_by_test_id("post").filter(has_text="Made it to the summit!")
    expect(seen.get_by_test_id("post-image")).to_have_attribute("src", re.compile("^blob:"))
    expect(bob_c.page.get_by_test_id("post-composer")).to_have_count(0)
    seen.get_by_test_id("post-like").click()
    expect(seen.get_by_test_id("post-like-count")).to_have_text("1")
    expect(seen.get_by_test_id("post-like")).to_have_attribute("aria-pressed", "true")
    seen.get_by_test_id("post-comments-toggle").click()
    seen.get_by_test_id("comment-input").fill("Great view!")
    seen.get_by_test_id("comment-send").click()
    expect(seen.get_by_test_id("comment-text")).to_have_text(["Great view!"])
    expect(seen.get_by_test_id("post-comment-count")).to_have_text("1")

    # alice sees the like and the comment on reload
    alice_c.page.reload()
    mine = alice_c.page.get_by_test_id("post").filter(has_text="Made it to the summit!")
    expect(mine.get_by_test_id("post-like-count")).to_have_text("1")
    expect(mine.get_by_test_id("post-like")).to_have_attribute("aria-pressed", "false")
    mine.get_by_test_id("post-comments-toggle").click()
    expect(mine.get_by_test_id("comment-text")).to_have_text(["Great view!"])
    expect(mine.get_by_test_id("comment-author")).to_have_text(["Bob Builder"])
    alice_c.screenshot("posts")
    bob_c.screenshot("posts")


def test_a_name_in_the_chat_opens_the_profile_and_message_opens_a_dm(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    alice, bob = make_user("alice", "Alice Liddell"), make_user("bob", "Bob Builder")
    circle = api_create_circle(server, alice, f"Talkers {uuid.uuid4().hex[:6]}")
    api_join_circle(server, bob, circle)
    server.api(
        "PATCH",
        "/api/me/profile",
        {"bio": "I build things.", "city": "Bristol", "interests": ["woodwork"]},
        token=bob.token,
    )
    send_texts(server, bob, circle["conversation_id"], ["hello from bob"])
    alice_c = open_client("alice")
    alice_c.login(alice)
    alice_c.open_conversation(circle["name"])
    said = alice_c.messages().filter(has_text="hello from bob")
    said.get_by_test_id("message-sender").click()

    page = alice_c.page
    expect(page).to_have_url(re.compile(f"#/user/{bob.id}$"))
    expect(page.get_by_test_id("profile-name")).to_have_text("Bob Builder")
    expect(page.get_by_test_id("profile-bio")).to_have_text("I build things.")
    expect(page.get_by_test_id("profile-city")).to_contain_text("Bristol")
    expect(page.get_by_test_id("profile-circles")).to_contain_text(circle["name"])
    expect(page.get_by_test_id("profile-edit")).to_have_count(0)
    page.get_by_test_id("profile-message").click()
    expect(page).to_have_url(re.compile("#/c/"))
    expect(page.get_by_test_id("message-list")).to_have_attribute("data-loaded", "true")
    expect(alice_c.conversation_item("Bob Builder")).to_have_count(1)
    alice_c.screenshot("profile-message")


def test_a_member_edits_their_profile_and_avatar(
    open_client: OpenClient, make_user: MakeUser, server: Server
) -> None:
    carol = make_user("carol", "Carol")
    client = open_client("carol")
    client.login(carol)
    page = client.page
    page.get_by_test_id("my-profile-link").click()
    expect(page.get_by_test_id("profile-form")).to_be_visible()
    page.get_by_test_id("avatar-input").set_input_files(
        {"name": "me.png", "mimeType": "image/png", "buffer": png_bytes(300, 120)}
    )
    expect(page.locator(".profile-avatar-slot img")).to_have_attribute("src", re.compile("^blob:"))
    page.get_by_test_id("profile-name-input").fill("Carol Danvers")
    page.get_by_test_id("profile-city-input").fill("Boston")
    page.get_by_test_id("profile-interests-input").fill("flying, cats")
    page.get_by_test_id("profile-save").click()
    expect(page).to_have_url(re.compile(f"#/user/{carol.id}$"))
    expect(page.get_by_test_id("profile-name")).to_have_text("Carol Danvers")
    expect(page.get_by_test_id("profile-interests")).to_have_text(re.compile("#flying.*#cats"))
    expect(page.get_by_test_id("me-name")).to_have_text("Carol Danvers")
    profile = server.api("GET", f"/api/users/{carol.id}/profile", token=carol.token)["profile"]
    assert profile["avatar"] is not None and profile["city"] == "Boston"
