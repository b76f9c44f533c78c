"""Moderation in the browser (issue 14, web items): a moderator bans a member from the member
list's menu while the member is chatting in another browser, and the member's chat closes live;
a newcomer accepts the circle's rules before the composer works; a muted member sees the time left.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import Client, Server, User, api_create_circle, api_join_circle

pytestmark = pytest.mark.browser


def test_a_ban_from_the_member_menu_closes_the_members_chat_live(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    owner, mod, member = make_user("owner"), make_user("mod"), make_user("member")
    circle = api_create_circle(server, owner, "Harbour swimmers")
    api_join_circle(server, mod, circle)
    api_join_circle(server, member, circle)
    server.api(
        "PUT",
        f"/api/circles/{circle['id']}/roles",
        {"user_id": mod.id, "role": "moderator"},
        token=owner.token,
    )

    bob = open_client("member")
    bob.login(member)
    bob.open_conversation("Harbour swimmers")
    bob.send("hello from the water")

    m = open_client("moderator")
    m.login(mod)
    m.open_conversation("Harbour swimmers")
    expect(m.messages().filter(has_text="hello from the water")).to_have_count(1)
    m.page.get_by_test_id("members-toggle").click()
    # A moderator acts on members only: the owner's row has no menu, the member's has one.
    target = m.page.locator(f'[data-testid="member-item"][data-user-id="{member.id}"]')
    expect(target.get_by_test_id("member-menu-toggle")).to_be_visible()
    owner_row = m.page.locator(f'[data-testid="member-item"][data-user-id="{owner.id}"]')
    expect(owner_row).to_be_visible()
    expect(owner_row.get_by_test_id("member-menu-toggle")).to_have_count(0)
    # and a moderator does not hand out roles
    target.get_by_test_id("member-menu-toggle").click()
    expect(target.get_by_test_id("member-role-select")).to_have_count(0)
    target.get_by_test_id("member-reason").fill("spam links")
    target.get_by_test_id("member-ban").click()
    m.page.get_by_test_id("confirm-ok").click()

    # The member's open chat closes with a clear message, and the circle leaves their sidebar.
    removed = bob.page.get_by_test_id("chat-removed")
    expect(removed).to_be_visible()
    expect(removed).to_have_attribute("data-reason", "banned")
    expect(removed).to_contain_text("You were banned from this circle")
    expect(bob.page.get_by_test_id("composer-input")).to_have_count(0)
    expect(bob.conversation_item("Harbour swimmers")).to_have_count(0)
    bob.screenshot("moderation-banned")

    # The ban is stored with its reason, and the member row is gone from the moderator's list.
    bans = server.api("GET", f"/api/circles/{circle['id']}/bans", token=mod.token)["bans"]
    assert [(b["user_id"], b["reason"]) for b in bans] == [(member.id, "spam links")]
    expect(
        m.page.locator(f'[data-testid="member-item"][data-user-id="{member.id}"]')
    ).to_have_count(0)

    # The moderator finds the ban in the circle's settings and lifts it: the member may join again.
    m.page.get_by_test_id("circle-settings-link").click()
    ban = m.page.get_by_test_id("ban-item")
    expect(ban).to_have_count(1)
    expect(ban).to_have_attribute("data-user-id", member.id)
    expect(ban).to_contain_text("spam links")
    expect(m.page.get_by_test_id("audit-entry").first).to_have_attribute("data-action", "ban")
    ban.get_by_test_id("ban-unban").click()
    expect(m.page.get_by_test_id("ban-item")).to_have_count(0)
    assert server.api("GET", f"/api/circles/{circle['id']}/bans", token=mod.token)["bans"] == []
    # A moderator has no circle-wide settings beyond bans and the audit log.
    expect(m.page.get_by_test_id("slow-mode-form")).to_have_count(0)


def test_a_newcomer_accepts_the_rules_and_a_muted_member_sees_the_time_left(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    owner, member = make_user("owner"), make_user("newcomer")
    circle = api_create_circle(server, owner, "Quiet readers")
    server.api(
        "PUT", f"/api/circles/{circle['id']}/rules", {"text": "Be kind. No ads."}, token=owner.token
    )
    api_join_circle(server, member, circle)

    c = open_client("newcomer")
    c.login(member)
    c.open_conversation("Quiet readers")
    box = c.page.get_by_test_id("rules-box")
    expect(box).to_contain_text("Be kind. No ads.")
    # The composer does not work until the rules are accepted (inert: not focusable, not typable).
    expect(c.page.get_by_test_id("composer-input")).not_to_be_editable()
    c.page.get_by_test_id("rules-accept").click()
    expect(box).to_have_count(0)
    c.send("thanks, accepted")

    # Muted for an hour by the owner: after reopening, the composer says how long is left.
    server.api(
        "POST",
        f"/api/circles/{circle['id']}/mute",
        {"user_id": member.id, "seconds": 3600},
        token=owner.token,
    )
    c.page.reload()
    expect(c.page.get_by_test_id("conn-status")).to_have_attribute("data-state", "online")
    c.open_conversation("Quiet readers")
    notice = c.page.get_by_test_id("muted-notice")
    expect(notice).to_have_text(re.compile(r"You are muted in this circle: (59|60) min left\."))
    expect(c.page.get_by_test_id("composer-input")).not_to_be_editable()


def test_circle_settings_set_slow_mode_and_rules_and_the_audit_log_records_them(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    owner, member = make_user("owner"), make_user("member")
    circle = api_create_circle(server, owner, "Busy harbour")
    api_join_circle(server, member, circle)
    old_invite = server.api("POST", f"/api/circles/{circle['id']}/invites", {}, token=owner.token)

    o = open_client("owner")
    o.login(owner)
    o.open_conversation("Busy harbour")
    o.page.get_by_test_id("members-toggle").click()
    o.page.get_by_test_id("circle-settings-link").click()
    page = o.page
    expect(page.get_by_test_id("circle-settings-view")).to_be_visible()
    page.get_by_test_id("slow-mode-seconds").fill("30")
    page.get_by_test_id("slow-mode-save").click()
    expect(page.get_by_test_id("slow-mode-status")).to_have_text(
        "Slow mode: one message every 30 s per member."
    )
    page.get_by_test_id("rules-input").fill("No selling.")
    page.get_by_test_id("rules-save").click()
    expect(page.get_by_test_id("rules-status")).to_contain_text("Rules saved")
    page.get_by_test_id("revoke-invites").click()
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_test_id("revoke-status")).to_have_text(
        "Every earlier invite link is revoked."
    )
    # The revoked invite no longer opens the circle.
    with pytest.raises(AssertionError, match="-> 404"):
        server.api(
            "POST", f"/api/circles/{circle['id']}/invite-preview", {"invite": old_invite["invite"]}
        )

    # The audit log (reloaded) lists the three changes, newest first.
    page.reload()
    entries = page.get_by_test_id("audit-entry")
    expect(entries).to_have_count(3)
    assert [entries.nth(i).get_attribute("data-action") for i in range(3)] == [
        "revoke_invites",
        "rules",
        "slow_mode",
    ]
    expect(entries.nth(2).get_by_test_id("audit-text")).to_have_text("Owner set slow mode to 30 s")
    expect(page.get_by_test_id("audit-more")).to_be_hidden()

    # The member accepts the new rules, sends, and is told how long slow mode makes them wait.
    c = open_client("member")
    c.login(member)
    c.open_conversation("Busy harbour")
    c.page.get_by_test_id("rules-accept").click()
    c.send("one message")
    expect(c.page.get_by_test_id("slow-mode-notice")).to_have_text(
        re.compile(r"Slow mode: you can send again in (2\d|30) s\.")
    )


def test_the_audit_log_pages_back_with_older_entries(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    owner = make_user("owner")
    circle = api_create_circle(server, owner, "Long memory")
    # 23 recorded actions: more than the 20 a page shows.
    for seconds in range(1, 24):
        for _ in range(30):  # the moderate budget: 20 at once, then one a second
            try:
                server.api(
                    "PUT",
                    f"/api/circles/{circle['id']}/slow-mode",
                    {"seconds": seconds},
                    token=owner.token,
                )
                break
            except AssertionError as exc:
                assert "-> 429" in str(exc), exc
                time.sleep(1)
    o = open_client("owner")
    o.login(owner)
    o.goto(f"#/circle/{circle['id']}/settings")
    entries = o.page.get_by_test_id("audit-entry")
    expect(entries).to_have_count(20)
    expect(entries.first.get_by_test_id("audit-text")).to_have_text("Owner set slow mode to 23 s")
    o.page.get_by_test_id("audit-more").click()
    expect(entries).to_have_count(23)
    expect(entries.last.get_by_test_id("audit-text")).to_have_text("Owner set slow mode to 1 s")
    expect(o.page.get_by_test_id("audit-more")).to_be_hidden()


def test_the_owner_changes_a_role_and_mutes_from_the_member_menu(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    owner, ann, ben = make_user("owner"), make_user("ann"), make_user("ben")
    circle = api_create_circle(server, owner, "Role play")
    api_join_circle(server, ann, circle)
    api_join_circle(server, ben, circle)

    o = open_client("owner")
    o.login(owner)
    o.open_conversation("Role play")
    o.page.get_by_test_id("members-toggle").click()
    ann_row = o.page.locator(f'[data-testid="member-item"][data-user-id="{ann.id}"]')
    ann_row.get_by_test_id("member-menu-toggle").click()
    ann_row.get_by_test_id("member-role-select").select_option("moderator")
    ann_row.get_by_test_id("member-set-role").click()
    # The list reloads: Ann's row now says moderator.
    ann_row = o.page.locator(f'[data-testid="member-item"][data-user-id="{ann.id}"]')
    expect(ann_row).to_have_attribute("data-role", "moderator")
    expect(ann_row.get_by_test_id("member-role")).to_have_text("moderator")

    ben_row = o.page.locator(f'[data-testid="member-item"][data-user-id="{ben.id}"]')
    ben_row.get_by_test_id("member-menu-toggle").click()
    ben_row.get_by_test_id("member-mute-duration").select_option(label="1 hour")
    ben_row.get_by_test_id("member-reason").fill("shouting")
    ben_row.get_by_test_id("member-mute").click()
    expect(o.page.get_by_test_id("moderation-status")).to_have_text("Mute: done (Ben).")

    perms = server.api("GET", f"/api/circles/{circle['id']}/permissions", token=ben.token)
    assert perms["muted_until"] is not None
    audit = server.api("GET", f"/api/circles/{circle['id']}/audit", token=owner.token)["entries"]
    assert [(e["action"], e["target_id"], e["reason"]) for e in audit[:2]] == [
        ("mute", ben.id, "shouting"),
        ("set_role", ann.id, ""),
    ]
    assert audit[0]["details"]["seconds"] == 3600


def test_a_kicked_member_sees_why_and_can_come_back(
    server: Server, make_user: Callable[..., User], open_client: Callable[[str], Client]
) -> None:
    owner, member = make_user("owner"), make_user("member")
    circle = api_create_circle(server, owner, "Open water")
    api_join_circle(server, member, circle)

    bob = open_client("member")
    bob.login(member)
    bob.open_conversation("Open water")

    o = open_client("owner")
    o.login(owner)
    o.open_conversation("Open water")
    o.page.get_by_test_id("members-toggle").click()
    row = o.page.locator(f'[data-testid="member-item"][data-user-id="{member.id}"]')
    row.get_by_test_id("member-menu-toggle").click()
    row.get_by_test_id("member-kick").click()
    o.page.get_by_test_id("confirm-ok").click()
    expect(o.page.get_by_test_id("moderation-status")).to_have_text("Remove: done (Member).")

    removed = bob.page.get_by_test_id("chat-removed")
    expect(removed).to_have_attribute("data-reason", "kicked")
    expect(removed).to_contain_text("You were removed from this circle")
    expect(bob.conversation_item("Open water")).to_have_count(0)

    # A kick is not a ban: joining again brings the circle back, and its chat opens.
    api_join_circle(server, member, circle)
    expect(bob.conversation_item("Open water")).to_have_count(1)
    bob.open_conversation("Open water")
    expect(bob.page.get_by_test_id("chat-removed")).to_have_count(0)
    bob.send("back again")
