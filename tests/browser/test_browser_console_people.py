"""The organiser console's circle report and members page (issue 13, items 5 and 7): the owner
opens the circle report from the circle page, its charts render (drawn pixels on canvases of
real size; screenshots in test-artifacts/), the summary's "say hello?" opens the members page
filtered to the newcomers not yet activated, she selects them all and sends them a DM that
arrives live in a newcomer's browser, the send is counted in the outreach table, an invitation
to an activity arrives as a card in that DM, and a tag filters the list; a plain member sees no
entry point and a direct link shows the server's refusal.

Personas: olga (owns the circle), mia and ann (join and talk: activated), nina and ned (join
and say nothing: "new and not yet activated"), ann again as the plain member.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    Client,
    Server,
    User,
    api_create_activity,
    api_create_circle,
    api_join_circle,
    send_texts,
    socket_calls,
)
from tests.browser.test_browser_organiser_console import (
    assert_chart_renders,
    csv_rows,
    download_text,
    table_column,
    watch_console_errors,
)

pytestmark = pytest.mark.browser

OpenClient = Callable[[str], Client]
MakeUser = Callable[..., User]
HELLO = "new and not yet activated"


@pytest.fixture(scope="module")
def fast_rollups() -> Iterator[None]:
    """The report and the stages read daily rollups that a sweeper keeps (every 30 s by
    default): this module's server sweeps every half second, so a join or a message reaches
    them while the test waits. Set before the server starts (it inherits the environment)."""
    patch = pytest.MonkeyPatch()
    patch.setenv("REPORT_ROLLUP_SECONDS", "0.5")
    yield
    patch.undo()


@pytest.fixture(scope="module")
def server(fast_rollups: None, server: Server) -> Server:
    """The browser tests' server (tests/browser/conftest.py), started with fast rollups."""
    return server


def wait_for(read: Callable[[], Any], ok: Callable[[Any], bool], what: str) -> Any:
    deadline = time.monotonic() + 20
    while True:
        found = read()
        if ok(found):
            return found
        assert time.monotonic() < deadline, f"{what}: {found}"
        time.sleep(0.3)


def names(page: Page) -> list[str]:
    return sorted(table_column(page.get_by_test_id("people-table"), "name"))


def test_the_organiser_reads_the_report_and_messages_the_quiet_newcomers(
    open_client: OpenClient, make_user: MakeUser
) -> None:
    olga = make_user("olga")
    mia, ann, nina, ned = (make_user(n) for n in ("mia", "ann", "nina", "ned"))
    olga_c = open_client("olga")
    server = olga_c.server
    circle = api_create_circle(server, olga, "Harbour swimmers")
    for member in (mia, ann, nina, ned):
        api_join_circle(server, member, circle)
    chat_id = circle["conversation_id"]
    send_texts(server, mia, chat_id, ["Anyone swimming on Saturday?"])
    send_texts(server, ann, chat_id, ["Yes, me!"])
    swim = api_create_activity(server, olga, circle, "Saturday swim", capacity=10)
    base = f"/api/circles/{circle['id']}"
    wait_for(
        lambda: server.api("GET", f"{base}/report", token=olga.token)["buckets"][-1],
        lambda b: b["newcomers"] == 4 and b["activated"] == 2 and b["messages"] == 2,
        "the report's last day",
    )
    wait_for(
        lambda: server.api(
            "GET", f"{base}/members/lifecycle?segment={HELLO.replace(' ', '%20')}", token=olga.token
        ),
        lambda r: (
            {m["display_name"] for m in r["members"]} >= {"Nina", "Ned"}
            and not {m["display_name"] for m in r["members"]} & {"Mia", "Ann"}
        ),
        "the quiet newcomers' segment",
    )

    # Nina is signed in before anything is sent to her: the DM must arrive live.
    nina_c = open_client("nina")
    nina_c.login(nina)

    page = olga_c.page
    problems = watch_console_errors(page)
    olga_c.login(olga)

    # ---- the circle report, from the circle page --------------------------------------------
    olga_c.goto(f"#/circle/{circle['id']}/about")
    page.get_by_test_id("circle-page-report").click()
    report = page.get_by_test_id("console-report")
    expect(report).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("console-title")).to_have_text("Harbour swimmers")
    summary = page.get_by_test_id("console-summary")
    expect(summary).to_have_text(
        re.compile(
            r"^4 new members in the last 7 days; 2 have not said anything yet — say hello\? "
            r"2 messages; 1 of 2 questions answered; stickiness \(DAU/MAU\) 100%\.$"
        )
    )
    for chart in (
        "report-members-chart",
        "report-active-chart",
        "report-messages-chart",
        "report-reply-chart",
        "report-activation-chart",
    ):
        assert_chart_renders(page, chart)
    cohorts = page.get_by_test_id("report-cohorts")
    assert table_column(cohorts, "joined")[-1] == "4"
    assert table_column(cohorts, "w1")[-1] == ""  # the week after has not begun
    talk = page.get_by_test_id("report-talk")
    assert table_column(talk, "messages")[-1] == "2"
    olga_c.screenshot("console-circle-report")

    # The other console pages lead here too (owners/admins: they are Olga's).
    olga_c.goto(f"#/circle/{circle['id']}/revenue")
    expect(page.get_by_test_id("console-revenue")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("console-people-link")).to_have_attribute(
        "href", f"#/circle/{circle['id']}/people"
    )
    expect(page.get_by_test_id("console-report-link")).to_have_attribute(
        "href", f"#/circle/{circle['id']}/report"
    )
    olga_c.goto(f"#/activity/{swim['id']}/report")
    expect(page.get_by_test_id("console-activity")).to_have_attribute("data-state", "ready")
    page.get_by_test_id("console-circle-report").click()
    expect(page.get_by_test_id("console-report")).to_have_attribute("data-state", "ready")

    # The period picker keeps its choice in the hash; weeks are labelled by their Monday.
    page.get_by_test_id("report-period").select_option("week")
    page.get_by_test_id("report-apply").click()
    expect(page).to_have_url(re.compile(r"/report\?period=week$"))
    expect(page.get_by_test_id("console-report")).to_have_attribute("data-period", "week")
    expect(page.get_by_test_id("console-report")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("console-summary")).to_have_text(
        re.compile(r"^4 new members this week; 2 have not said anything yet — say hello\?")
    )
    assert_chart_renders(page, "report-members-chart")
    name, text = download_text(page, page.get_by_test_id("report-members-csv"))
    assert name.startswith("circle-report-") and name.endswith("-week-members.csv")
    rows = csv_rows(text)
    assert rows[0][:5] == ["Week of", "Joined", "Left", "Net", "Members"]
    assert rows[-1][1:5] == ["5", "0", "5", "5"]  # the owner's own join counts as a join

    # ---- "say hello?": the members page, filtered to the quiet newcomers -------------------
    page.get_by_test_id("console-say-hello").click()
    people = page.get_by_test_id("console-people")
    expect(people).to_have_attribute("data-state", "ready")
    expect(people).to_have_attribute("data-segment", HELLO)
    expect(page).to_have_url(re.compile(r"/people\?segment=new%20and%20not%20yet%20activated$"))
    expect(page.get_by_test_id("people-segment")).to_have_value(HELLO)
    listed = names(page)
    assert {"Nina", "Ned"} <= set(listed) and not {"Mia", "Ann"} & set(listed), listed
    assert set(listed) <= {"Nina", "Ned", "Olga"}  # the owner may be new too, never selectable
    page.get_by_test_id("people-table-select-all").check()
    checked = page.locator('[data-testid="people-table-select"]:checked')
    expect(checked).to_have_count(2)
    assert sorted(c.get_attribute("data-id") or "" for c in checked.all()) == sorted(
        [nina.id, ned.id]
    )
    page.get_by_test_id("people-action-dm").click()
    page.get_by_test_id("people-text").fill("Welcome to the swimmers! Say hi in the chat.")
    page.get_by_test_id("people-send").click()
    expect(page.get_by_test_id("people-sent")).to_have_text(
        "Message sent to 2 members: 2 delivered."
    )
    expect(checked).to_have_count(0)  # the selection is cleared after a send
    outreach = page.get_by_test_id("people-outreach")
    expect(outreach.get_by_test_id("people-outreach-row")).to_have_count(1)
    assert table_column(outreach, "recipients") == ["2"]
    assert table_column(outreach, "delivered") == ["2"]
    assert table_column(outreach, "audience") == ["selected members"]

    # ---- the DM arrives live in Nina's browser ----------------------------------------------
    nina_page = nina_c.page
    expect(nina_c.conversation_item("Olga")).to_be_visible()
    nina_c.open_conversation("Olga")
    expect(nina_c.messages().filter(has_text="Welcome to the swimmers!")).to_have_count(1)

    # ---- an invitation to the activity, for Nina alone: a card in the DM she has open ------
    page.locator(f'[data-testid="people-table-select"][data-id="{nina.id}"]').check()
    page.get_by_test_id("people-action-invite").click()
    picker = page.get_by_test_id("people-activity")
    expect(picker.locator(f'option[value="{swim["id"]}"]')).to_have_count(1)
    picker.select_option(swim["id"])
    page.get_by_test_id("people-text").fill("Come along on Saturday!")
    page.get_by_test_id("people-send").click()
    expect(page.get_by_test_id("people-sent")).to_have_text(
        "Invitation sent to 1 member: 1 delivered."
    )
    expect(outreach.get_by_test_id("people-outreach-row")).to_have_count(2)
    assert table_column(outreach, "kind")[0] == "Invitation: Saturday swim"

    card = nina_page.get_by_test_id("message-list").get_by_test_id("invite-card")
    expect(card).to_have_count(1)
    expect(card.get_by_test_id("invite-title")).to_have_text("Saturday swim")
    expect(card.get_by_test_id("invite-note")).to_have_text("Come along on Saturday!")
    expect(card.get_by_test_id("invite-time")).not_to_be_empty()
    nina_c.screenshot("console-invite-card")
    card.get_by_test_id("invite-open").click()
    expect(nina_page).to_have_url(re.compile(f"#/activity/{swim['id']}$"))
    expect(nina_page.get_by_test_id("activity-details")).to_be_visible()

    # ---- a tag, and the list filtered by it -------------------------------------------------
    page.locator(f'[data-testid="people-table-select"][data-id="{ned.id}"]').check()
    page.get_by_test_id("people-action-tag").click()
    page.get_by_test_id("people-tag").fill("Needs hello")
    page.get_by_test_id("people-tag-add").click()
    expect(page.get_by_test_id("people-sent")).to_have_text("Tag needs-hello added to 1 member.")
    ned_row = page.locator(f'[data-testid="people-table-row"][data-id="{ned.id}"]')
    expect(ned_row.locator('td[data-col="tags"]')).to_have_text("needs-hello")
    page.get_by_test_id("people-segment").select_option("")
    page.get_by_test_id("people-filter-tag").fill("needs-hello")
    page.get_by_test_id("people-apply").click()
    expect(page).to_have_url(re.compile(r"/people\?tag=needs-hello$"))
    # The hash changes before the filtered page replaces the old one, which is "ready" too.
    expect(page.get_by_test_id("console-people")).to_have_attribute("data-tag", "needs-hello")
    expect(page.get_by_test_id("console-people")).to_have_attribute("data-state", "ready")
    assert names(page) == ["Ned"]

    # ---- an announcement to everyone the filter matches: a card in the circle's chat -------
    page.get_by_test_id("people-target-filter").check()
    expect(page.get_by_test_id("people-actions")).to_contain_text(
        "Everyone matching the filter (1)"
    )
    page.get_by_test_id("people-action-announcement").click()
    page.get_by_test_id("people-text").fill("Pool closed on Sunday.")
    page.get_by_test_id("people-send").click()
    expect(page.get_by_test_id("people-sent")).to_have_text(
        "Announcement posted to 1 member: 1 delivered."
    )
    outreach = page.get_by_test_id("people-outreach")
    expect(outreach.get_by_test_id("people-outreach-row")).to_have_count(3)
    assert table_column(outreach, "audience")[0] == "#needs-hello"
    olga_c.screenshot("console-people")
    # Every member sees the card in the circle's chat (Nina too, though it was not for her).
    nina_c.open_conversation("Harbour swimmers")
    announcement = nina_page.get_by_test_id("message-list").get_by_test_id("announcement-card")
    expect(announcement).to_have_count(1)
    expect(announcement.get_by_test_id("announcement-label")).to_have_text("Announcement")
    expect(announcement.get_by_test_id("announcement-note")).to_have_text("Pool closed on Sunday.")

    # ---- what came of the sends: Nina read the DM and signed up after the invitation ------
    socket_calls(server, nina, [("activity:signup", {"activity_id": swim["id"]})])
    wait_for(
        lambda: server.api("GET", f"{base}/outreach", token=olga.token)["outreach"],
        lambda sends: (
            [(o["kind"], o["signed_up"]) for o in sends]
            == [("announcement", 0), ("invite", 1), ("dm", 1)]
            and sends[2]["read"] == 1
        ),
        "the sends' counts",
    )
    page.get_by_test_id("console-refresh").click()
    expect(page.get_by_test_id("console-people")).to_have_attribute("data-state", "ready")
    outreach = page.get_by_test_id("people-outreach")
    expect(outreach.locator('td[data-col="signed_up"]')).to_have_text(["0", "1", "1"])
    expect(outreach.locator('td[data-col="read"]').last).to_have_text("1")  # the DM, oldest
    assert problems == []

    # ---- a plain member: no entry points, and direct links show the server's refusal -------
    ann_c = open_client("ann")
    ann_page = ann_c.page
    ann_c.login(ann)
    ann_c.goto(f"#/circle/{circle['id']}/about")
    expect(ann_page.get_by_test_id("circle-page-open")).to_be_visible()  # she is a member
    expect(ann_page.get_by_test_id("circle-page-report")).to_have_count(0)
    expect(ann_page.get_by_test_id("circle-page-people")).to_have_count(0)

    ann_c.goto(f"#/circle/{circle['id']}/people?segment=new%20and%20not%20yet%20activated")
    refused = ann_page.get_by_test_id("console-people")
    expect(refused).to_have_attribute("data-state", "refused")
    expect(refused).to_have_attribute("data-code", "forbidden")
    expect(ann_page.get_by_test_id("console-error")).not_to_be_empty()
    expect(ann_page.get_by_test_id("people-table")).to_have_count(0)
    expect(ann_page.get_by_test_id("people-actions")).to_have_count(0)
    expect(ann_page.get_by_test_id("people-outreach")).to_have_count(0)

    ann_c.goto(f"#/circle/{circle['id']}/report")
    refused = ann_page.get_by_test_id("console-report")
    expect(refused).to_have_attribute("data-state", "refused")
    expect(refused).to_have_attribute("data-code", "forbidden")
    expect(ann_page.locator("canvas")).to_have_count(0)
    ann_c.screenshot("console-people-refused")
