"""Member reports and the review queue in the browser (issue 14, web items 7 and 8): a member
reports a message from the chat, a moderator in another browser reviews it in the queue with
the messages around it and removes it; the message turns into a tombstone live for the member
and the member's bell tells the outcome. Refusals: a plain member has no Reports entry and the
queue's address shows the server's refusal; one's own messages have no Report.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, expect

from tests.browser.helpers import (
    Client,
    Server,
    User,
    api_create_circle,
    api_join_circle,
    send_texts,
)

pytestmark = pytest.mark.browser


def _message(client: Client, text: str) -> Locator:
    return client.messages().filter(has_text=text)


def test_a_reported_message_goes_through_the_queue_and_the_reporter_hears_the_outcome(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    owner, mod = make_user("owner"), make_user("mod", "Mona Mod")
    reporter, spammer = make_user("reporter", "Rita Reporter"), make_user("spammer", "Sam Spam")
    circle = api_create_circle(server, owner, "Canal walkers")
    for u in (mod, reporter, spammer):
        api_join_circle(server, u, circle)
    server.api(
        "PUT",
        f"/api/circles/{circle['id']}/roles",
        {"user_id": mod.id, "role": "moderator"},
        token=owner.token,
    )
    sent = send_texts(
        server,
        spammer,
        circle["conversation_id"],
        ["morning all", "cheap watches at spam.example", "see you at the lock"],
    )
    spam_id = sent[1]["id"]

    r = open_client("reporter")
    r.login(reporter)
    r.open_conversation("Canal walkers")
    r.send("my own words")
    # One's own message has no Report; another member's has.
    own = _message(r, "my own words")
    own.hover()
    expect(own.get_by_test_id("message-reply")).to_be_visible()
    expect(own.get_by_test_id("message-report")).to_have_count(0)
    spam = _message(r, "cheap watches at spam.example")
    spam.hover()
    spam.get_by_test_id("message-report").click()
    dialog = r.page.get_by_test_id("report-dialog")
    expect(dialog.get_by_test_id("report-what")).to_contain_text("cheap watches")
    dialog.get_by_test_id("report-reason").select_option("spam")
    dialog.get_by_test_id("report-text").fill("posts this every day")
    dialog.get_by_test_id("report-submit").click()
    expect(dialog.get_by_test_id("report-status")).to_have_attribute("data-state", "sent")
    dialog.get_by_test_id("report-cancel").click()
    expect(r.page.get_by_test_id("report-dialog")).to_have_count(0)

    # The moderator opens the queue from the member list and sees the item in its context.
    m = open_client("moderator")
    m.login(mod)
    m.open_conversation("Canal walkers")
    m.page.get_by_test_id("members-toggle").click()
    m.page.get_by_test_id("circle-reports-link").click()
    item = m.page.get_by_test_id("report-item")
    expect(item).to_have_count(1)
    expect(item).to_have_attribute("data-target-id", spam_id)
    expect(item.get_by_test_id("report-count")).to_have_attribute("data-count", "1")
    expect(item.get_by_test_id("report-reasons")).to_have_text("Spam")
    expect(item.get_by_test_id("report-excerpt")).to_have_text("cheap watches at spam.example")
    expect(item.get_by_test_id("report-subject")).to_contain_text("Sam Spam")
    expect(item.get_by_test_id("report-reporter")).to_contain_text("Rita Reporter")
    expect(item.get_by_test_id("report-reporter")).to_contain_text("posts this every day")
    context = item.get_by_test_id("report-context-message")
    expect(context.filter(has_text="morning all")).to_have_count(1)
    expect(context.filter(has_text="see you at the lock")).to_have_count(1)
    expect(item.locator('[data-reported="true"]')).to_contain_text("cheap watches")
    m.screenshot("reports-queue-open")

    item.get_by_test_id("report-decision-reason").fill("advertising")
    item.get_by_test_id("report-action-remove").click()
    expect(item).to_have_attribute("data-status", "decided")
    expect(item.get_by_test_id("report-decision")).to_have_attribute("data-outcome", "removed")

    # The reporter's copy of the message becomes a tombstone live, and the bell says why.
    expect(_message(r, "cheap watches")).to_have_count(0)
    expect(r.page.locator(f'[data-message-id="{spam_id}"]')).to_have_attribute(
        "data-state", "deleted"
    )
    tombstone = r.page.locator(f'[data-message-id="{spam_id}"] [data-testid="message-deleted"]')
    expect(tombstone).to_have_text("Removed by a moderator")
    bell = r.page.get_by_test_id("notif-bell")
    expect(bell).to_have_attribute("data-count", "1")
    bell.click()
    outcome = r.page.locator('[data-testid="notif-item"][data-kind="report_outcome"]')
    expect(outcome).to_have_count(1)
    expect(outcome).to_contain_text("Your report in Canal walkers was reviewed")
    expect(outcome).to_contain_text("removed the message")
    expect(outcome.locator(".notif-icon")).to_have_text("⚑")
    r.screenshot("reports-outcome-bell")
    # Opening the outcome (from another page) opens the circle's chat at the tombstone.
    r.page.keyboard.press("Escape")
    r.goto(f"#/circle/{circle['id']}/about")
    expect(r.page.get_by_test_id("message-list")).to_have_count(0)
    r.page.get_by_test_id("notif-bell").click()
    outcome.click()
    expect(r.page).to_have_url(re.compile(rf"#/c/{circle['conversation_id']}$"))
    expect(r.page.get_by_test_id("message-list")).to_have_attribute("data-loaded", "true")
    expect(tombstone).to_have_text("Removed by a moderator")

    # The queue is empty now; the item is listed under Decided. The audit log has both steps.
    m.page.reload()
    expect(m.page.get_by_test_id("reports-status")).to_have_text("No open reports.")
    m.page.get_by_test_id("reports-tab-decided").click()
    decided = m.page.get_by_test_id("report-item")
    expect(decided).to_have_count(1)
    expect(decided.get_by_test_id("report-decision")).to_contain_text("advertising")
    expect(decided.get_by_test_id("report-actions")).to_have_count(0)
    audit = server.api("GET", f"/api/circles/{circle['id']}/audit", token=mod.token)["entries"]
    assert [e["action"] for e in audit[:2]] == ["review_report", "delete_message"]


def test_a_member_reports_a_member_and_plain_members_cannot_open_the_queue(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    owner, member, other = make_user("owner"), make_user("plain"), make_user("other", "Olly")
    circle = api_create_circle(server, owner, "Tide poolers")
    api_join_circle(server, member, circle)
    api_join_circle(server, other, circle)
    private = api_create_circle(server, owner, "Secret cove", visibility="private")

    c = open_client("member")
    c.login(member)
    c.open_conversation("Tide poolers")
    c.page.get_by_test_id("members-toggle").click()
    # A plain member has no Reports (nor settings) entry, but reports another member.
    expect(c.page.get_by_test_id("member-item").first).to_be_visible()
    expect(c.page.get_by_test_id("circle-reports-link")).to_have_count(0)
    expect(c.page.get_by_test_id("circle-settings-link")).to_have_count(0)
    row = c.page.locator(f'[data-testid="member-item"][data-user-id="{other.id}"]')
    expect(row.get_by_test_id("member-menu-toggle")).to_have_count(0)
    row.get_by_test_id("member-personal-toggle").click()
    row.get_by_test_id("member-report").click()
    dialog = c.page.get_by_test_id("report-dialog")
    dialog.get_by_test_id("report-reason").select_option("harassment")
    dialog.get_by_test_id("report-submit").click()
    expect(dialog.get_by_test_id("report-status")).to_have_attribute("data-state", "sent")
    dialog.get_by_test_id("report-cancel").click()
    queue = server.api("GET", f"/api/circles/{circle['id']}/reports", token=owner.token)["items"]
    assert [(i["kind"], i["target_id"], i["reasons"]) for i in queue] == [
        ("member", other.id, {"harassment": 1})
    ]
    # No "⋯" on one's own row.
    mine = c.page.locator(f'[data-testid="member-item"][data-user-id="{member.id}"]')
    expect(mine.get_by_test_id("member-personal-toggle")).to_have_count(0)

    # A post of the circle is reported from its posts view; one's own post has no Report.
    server.api(
        "PUT",
        f"/api/circles/{circle['id']}/posts/settings",
        {"members_can_post": True},
        token=owner.token,
    )
    post = server.api(
        "POST", f"/api/circles/{circle['id']}/posts", {"text": "buy my boat"}, token=other.token
    )["post"]
    server.api(
        "POST", f"/api/circles/{circle['id']}/posts", {"text": "my own post"}, token=member.token
    )
    c.goto(f"#/circle/{circle['id']}/posts")
    theirs = c.page.locator(f'[data-testid="post"][data-post-id="{post["id"]}"]')
    expect(theirs.get_by_test_id("post-report")).to_be_visible()
    own_post = c.page.get_by_test_id("post").filter(has_text="my own post")
    expect(own_post.get_by_test_id("post-like")).to_be_visible()
    expect(own_post.get_by_test_id("post-report")).to_have_count(0)
    theirs.get_by_test_id("post-report").click()
    dialog = c.page.get_by_test_id("report-dialog")
    expect(dialog.get_by_test_id("report-what")).to_have_text("buy my boat")
    dialog.get_by_test_id("report-reason").select_option("scam")
    dialog.get_by_test_id("report-submit").click()
    expect(dialog.get_by_test_id("report-status")).to_have_attribute("data-state", "sent")
    dialog.get_by_test_id("report-cancel").click()
    queue = server.api("GET", f"/api/circles/{circle['id']}/reports", token=owner.token)["items"]
    # newest first: the post's item, then the member's
    assert [(i["kind"], i["target_id"]) for i in queue] == [
        ("post", post["id"]),
        ("member", other.id),
    ]

    # The queue's address shows the server's refusal, and no item or action.
    c.goto(f"#/circle/{circle['id']}/reports")
    expect(c.page.get_by_test_id("reports-error")).to_contain_text("view reports")
    expect(c.page.get_by_test_id("report-item")).to_have_count(0)
    expect(c.page.get_by_test_id("reports-tab-open")).to_be_hidden()
    # A private circle's outsider learns nothing about it.
    c.goto(f"#/circle/{private['id']}/reports")
    expect(c.page.get_by_test_id("reports-error")).to_contain_text("no such circle")

    # The owner decides from the queue: a mute for a chosen duration on the member report (no
    # "remove" is offered for a member), and a ban asked again before it is done.
    o = open_client("owner")
    o.login(owner)
    o.goto(f"#/circle/{circle['id']}/settings")
    o.page.get_by_test_id("settings-reports-link").click()
    member_item = o.page.locator('[data-testid="report-item"][data-kind="member"]')
    expect(member_item.get_by_test_id("report-subject")).to_contain_text("Olly")
    expect(member_item.get_by_test_id("report-action-remove")).to_have_count(0)
    member_item.get_by_test_id("report-mute-duration").select_option("3600")
    member_item.get_by_test_id("report-action-mute").click()
    expect(member_item.get_by_test_id("report-decision")).to_have_attribute("data-outcome", "muted")
    perms = server.api("GET", f"/api/circles/{circle['id']}/permissions", token=other.token)
    assert perms["muted_until"] is not None
    post_item = o.page.locator('[data-testid="report-item"][data-kind="post"]')
    post_item.get_by_test_id("report-action-ban").click()
    o.page.get_by_test_id("confirm-keep").click()  # changed their mind: nothing happens
    expect(post_item).to_have_attribute("data-status", "open")
    post_item.get_by_test_id("report-action-ban").click()
    o.page.get_by_test_id("confirm-ok").click()
    expect(post_item.get_by_test_id("report-decision")).to_have_attribute("data-outcome", "banned")
    bans = server.api("GET", f"/api/circles/{circle['id']}/bans", token=owner.token)["bans"]
    assert [b["user_id"] for b in bans] == [other.id]
