"""Join approval and blocks in the browser (issue 14, web items 7 and 8): the owner turns on
approval with a question in the circle settings; a user asks to join with an answer, the owner
approves in another browser and the circle reaches the user's sidebar live; a declined request
shows the reason live. A block from the member menu collapses the blocked user's messages, and
a DM with a blocked user says why nothing can be sent.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

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


def test_a_user_asks_to_join_and_the_owner_approves_in_another_browser(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    owner, asker = make_user("owner"), make_user("asker", "Ada Asker")
    circle = api_create_circle(server, owner, "Night owls")

    o = open_client("owner")
    o.login(owner)
    o.goto(f"#/circle/{circle['id']}/settings")
    form = o.page.get_by_test_id("join-approval-form")
    form.get_by_test_id("join-approval-required").check()
    form.get_by_test_id("join-questions").fill("Why do you want to join?\n\n")
    form.get_by_test_id("join-approval-save").click()
    expect(form.get_by_test_id("join-approval-status")).to_contain_text("wait for approval")
    got = server.api("GET", f"/api/circles/{circle['id']}", token=owner.token)["circle"]
    assert (got["join_approval"], got["join_questions"]) == (True, ["Why do you want to join?"])
    newcomers = o.page.get_by_test_id("newcomer-form")
    newcomers.get_by_test_id("newcomer-link-hours").fill("24")
    newcomers.get_by_test_id("newcomer-save").click()
    expect(newcomers.get_by_test_id("newcomer-status")).to_contain_text("24 h")
    expect(o.page.get_by_test_id("join-requests-status")).to_have_text("No pending join requests.")

    a = open_client("asker")
    a.login(asker)
    a.goto(f"#/circle/{circle['id']}/about")
    panel = a.page.get_by_test_id("join-request")
    expect(a.page.get_by_test_id("circle-page-join")).to_have_count(0)
    expect(panel.get_by_test_id("join-question")).to_have_text("Why do you want to join?")
    # An empty answer is caught before anything is sent.
    panel.get_by_test_id("join-request-submit").click()
    expect(panel.get_by_test_id("join-request-error")).to_contain_text("Please answer")
    panel.get_by_test_id("join-answer").fill("I stargaze every night")
    panel.get_by_test_id("join-request-submit").click()
    expect(panel).to_have_attribute("data-state", "pending")
    expect(panel.get_by_test_id("join-request-state")).to_contain_text("Request pending")
    # Still pending after a reload (read back from the server).
    a.page.reload()
    expect(a.page.get_by_test_id("join-request")).to_have_attribute("data-state", "pending")
    expect(a.conversation_item("Night owls")).to_have_count(0)

    # The owner sees the request with its answer live (`circle:join_requested`, no Refresh)
    # and approves it.
    req = o.page.get_by_test_id("join-request-item")
    expect(req).to_have_count(1)
    expect(req).to_have_attribute("data-user-id", asker.id)
    expect(req.get_by_test_id("join-request-name")).to_have_text("Ada Asker")
    expect(req.get_by_test_id("join-answer-text")).to_have_text("I stargaze every night")
    o.screenshot("join-request-pending")
    req.get_by_test_id("join-approve").click()
    expect(o.page.get_by_test_id("join-request-item")).to_have_count(0)

    # Live for the asker: the circle joins the sidebar and the page says so.
    expect(a.conversation_item("Night owls")).to_have_count(1)
    panel = a.page.get_by_test_id("join-request")
    expect(panel).to_have_attribute("data-state", "approved")
    panel.get_by_test_id("join-request-open").click()
    expect(a.page.get_by_test_id("message-list")).to_have_attribute("data-loaded", "true")
    a.screenshot("join-request-approved")

    # The newcomer's link is held for review (24 h set above): the sender's copy says so, the
    # owner sees a notice live and approves it, and it is posted in the chat as the newcomer.
    a.page.get_by_test_id("composer-input").fill("my photos: https://pics.example/night")
    a.page.get_by_test_id("composer-send").click()
    held = a.messages().filter(has_text="pics.example")
    expect(held).to_have_attribute("data-state", "failed")
    expect(held.get_by_test_id("message-status")).to_contain_text("Held for review")
    toast = o.page.get_by_test_id("link-held-toast")
    expect(toast).to_have_count(1)
    expect(toast).to_have_attribute("data-user-id", asker.id)
    expect(toast).to_contain_text("their link in Night owls was held back")
    expect(toast.get_by_test_id("link-held-text")).to_have_text(
        "my photos: https://pics.example/night"
    )
    o.screenshot("link-held-toast")
    toast.get_by_test_id("link-held-approve").click()
    expect(toast).to_have_attribute("data-state", "approved")
    expect(toast.get_by_test_id("link-held-status")).to_contain_text("Approved")
    # The sender's held copy gives way to the posted message (circle:hold_decided).
    posted = a.messages().filter(has_text="pics.example")
    expect(posted).to_have_count(1)
    expect(posted).not_to_have_attribute("data-state", "failed")
    expect(posted).to_have_attribute("data-sender-id", asker.id)
    toast.get_by_test_id("link-held-dismiss").click()
    expect(toast).to_have_count(0)


def test_a_declined_request_shows_the_reason_live_and_an_invite_link_asks_too(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    owner, asker = make_user("owner"), make_user("asker")
    circle = api_create_circle(server, owner, "Cliff climbers", visibility="private")
    server.api(
        "PUT",
        f"/api/circles/{circle['id']}/join-approval",
        {"required": True, "questions": ["Which grade do you climb?"]},
        token=owner.token,
    )
    invite = server.api("POST", f"/api/circles/{circle['id']}/invites", {}, token=owner.token)

    a = open_client("asker")
    a.login(asker)
    a.goto(f"#/join/{circle['id']}?invite={invite['invite']}")
    panel = a.page.get_by_test_id("join-request")
    expect(panel.get_by_test_id("join-question")).to_have_text("Which grade do you climb?")
    panel.get_by_test_id("join-answer").fill("6a")
    panel.get_by_test_id("join-request-submit").click()
    expect(panel).to_have_attribute("data-state", "pending")

    server.api(
        "POST",
        f"/api/circles/{circle['id']}/join-requests/decline",
        {"user_id": asker.id, "reason": "we are full this season"},
        token=owner.token,
    )
    expect(panel).to_have_attribute("data-state", "declined")
    expect(panel.get_by_test_id("join-request-state")).to_have_text(
        "Your request was declined: we are full this season"
    )
    expect(a.conversation_item("Cliff climbers")).to_have_count(0)


def test_a_block_collapses_the_blocked_users_messages_and_refuses_the_dm(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    me, pest = make_user("reader", "Rae Reader"), make_user("pest", "Pat Pest")
    owner = make_user("owner")
    circle = api_create_circle(server, owner, "Book swap")
    api_join_circle(server, me, circle)
    api_join_circle(server, pest, circle)
    send_texts(server, pest, circle["conversation_id"], ["you all read rubbish"])

    c = open_client("reader")
    c.login(me)
    c.open_conversation("Book swap")
    rude = c.messages().filter(has_text="you all read rubbish")
    expect(rude).to_have_count(1)
    expect(c.page.get_by_test_id("blocked-notice")).to_have_count(0)
    c.page.get_by_test_id("members-toggle").click()
    row = c.page.locator(f'[data-testid="member-item"][data-user-id="{pest.id}"]')
    row.get_by_test_id("member-personal-toggle").click()
    row.get_by_test_id("member-block").click()
    expect(row.get_by_test_id("member-block")).to_have_attribute("data-blocked", "true")
    c.page.get_by_test_id("panel-close").click()

    # Collapsed in place: the row stays, its text is hidden behind the notice.
    row_msg = c.page.locator(f'[data-testid="message"][data-sender-id="{pest.id}"]')
    notice = row_msg.get_by_test_id("blocked-notice")
    expect(notice).to_have_text("Message from a blocked user — show")
    expect(row_msg.get_by_test_id("message-text")).to_be_hidden()
    # A new message of theirs arrives collapsed too.
    send_texts(server, pest, circle["conversation_id"], ["still here"])
    expect(row_msg).to_have_count(2)
    expect(c.page.get_by_test_id("blocked-notice")).to_have_count(2)
    c.screenshot("blocked-collapsed")
    # "show" opens that one message only.
    row_msg.first.get_by_test_id("blocked-show").click()
    expect(row_msg.first.get_by_test_id("message-text")).to_have_text("you all read rubbish")
    expect(c.page.get_by_test_id("blocked-notice")).to_have_count(1)

    # The pest's DM is refused; the reader's profile of them offers no Message.
    with pytest.raises(AssertionError, match="blocked"):
        socket_calls(server, pest, [("dm:open", {"user_id": me.id})])
    c.goto(f"#/user/{pest.id}")
    expect(c.page.get_by_test_id("profile-block")).to_have_text("Unblock")
    # No Message button while blocked (the profile's can_message is false either way round).
    expect(c.page.get_by_test_id("profile-message")).to_have_count(0)
    c.page.get_by_test_id("profile-block").click()
    expect(c.page.get_by_test_id("profile-block")).to_have_text("Block")
    expect(c.page.get_by_test_id("profile-block-status")).to_have_text("You unblocked Pat Pest.")
    assert server.api("GET", "/api/me/blocks", token=me.token)["user_ids"] == []
    # Unblocked: their messages show again.
    c.open_conversation("Book swap")
    expect(c.messages().filter(has_text="still here")).to_be_visible()
    expect(c.page.get_by_test_id("blocked-notice")).to_have_count(0)


def test_a_dm_with_someone_you_blocked_says_why_before_sending(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    me, friend, owner = (
        make_user("reader", "Rae"),
        make_user("friend", "Fay Friend"),
        make_user("o"),
    )
    circle = api_create_circle(server, owner, "Knitters")
    api_join_circle(server, me, circle)
    api_join_circle(server, friend, circle)
    socket_calls(server, friend, [("dm:open", {"user_id": me.id})])

    c = open_client("reader")
    c.login(me)
    c.open_conversation("Fay Friend")
    expect(c.page.get_by_test_id("dm-blocked-notice")).to_be_hidden()
    server.api("POST", "/api/me/blocks", {"user_id": friend.id}, token=me.token)
    c.page.reload()
    expect(c.page.get_by_test_id("conn-status")).to_have_attribute("data-state", "online")
    c.open_conversation("Fay Friend")
    notice = c.page.get_by_test_id("dm-blocked-notice")
    expect(notice).to_contain_text("You blocked Fay Friend. Unblock them to send a message.")
    # Sending anyway is refused by the server, in its own words.
    c.page.get_by_test_id("composer-input").fill("hello?")
    c.page.get_by_test_id("composer-send").click()
    failed = c.messages().filter(has_text="hello?")
    expect(failed).to_have_attribute("data-state", "failed")
    expect(failed).to_contain_text("you blocked this user")
    notice.get_by_test_id("dm-unblock").click()
    expect(notice).to_be_hidden()
