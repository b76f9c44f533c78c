"""The organiser console (issue 13, item 7, for the reports that exist: the activity report and
the circle's revenue): the organiser opens each from its entry point, the charts render (drawn
pixels on a canvas of real size; screenshots in test-artifacts/), a table sorts, its CSV and the
server's ledger CSV download with the rows shown; a plain member sees no entry point and a
direct link shows the server's refusal.

Personas: olga (owns the circle, organises two paid activities and confirms bank transfers),
ann and bob (pay the morning row), dan (signs up and cancels), cat (pays the evening row), eve
(sent a transfer reference that waits for review), ann again as the plain member.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.helpers import (
    Client,
    Server,
    User,
    api_create_activity,
    api_create_circle,
    api_join_circle,
    socket_calls,
)

pytestmark = pytest.mark.browser

OpenClient = Callable[[str], Client]
MakeUser = Callable[..., User]
EUR = "EUR"


def pay_by_transfer(
    server: Server, organiser: User, payer: User, act: dict, ref: str, confirm: bool = True
) -> str:
    """Sign up to a paid activity and pay the held seat by bank transfer (confirmed by the
    organiser unless told otherwise); the payment's id."""
    socket_calls(server, payer, [("activity:signup", {"activity_id": act["id"]})])
    made = server.api(
        "POST", f"/api/activities/{act['id']}/payment", {"provider": "manual"}, token=payer.token
    )
    pid = made["payment"]["id"]
    server.api("POST", f"/api/payments/{pid}/proof", {"reference": ref}, token=payer.token)
    if confirm:
        done = server.api("POST", f"/api/payments/{pid}/confirm", {}, token=organiser.token)
        assert done["payment"]["status"] == "paid"
    return pid


def wait_for(read: Callable[[], Any], ok: Callable[[Any], bool], what: str) -> Any:
    """The report's sign-up history is written by a watcher after each commit: poll for it."""
    deadline = time.monotonic() + 15
    while True:
        found = read()
        if ok(found):
            return found
        assert time.monotonic() < deadline, f"{what}: {found}"
        time.sleep(0.2)


def drawn_pixels(canvas: Locator) -> int:
    """Pixels the chart painted (non-transparent); a blank canvas of any size has none."""
    return int(
        canvas.evaluate(
            """(c) => {
              const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
              let n = 0;
              for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
              return n;
            }"""
        )
    )


def assert_chart_renders(page: Page, testid: str) -> None:
    chart = page.get_by_test_id(testid)
    expect(chart).to_have_attribute("data-ready", "true")
    canvas = chart.locator("canvas")
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100, box
    assert drawn_pixels(canvas) > 500


def download_text(page: Page, button: Locator) -> tuple[str, str]:
    """Click a download button; (suggested file name, the file's text)."""
    with page.expect_download() as info:
        button.click()
    download = info.value
    path = download.path()
    assert path is not None
    return download.suggested_filename, path.read_text(encoding="utf-8")


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def table_column(section: Locator, col: str) -> list[str]:
    return [
        t.strip()
        for t in section.locator(f'[data-testid$="-row"] td[data-col="{col}"]').all_inner_texts()
    ]


def watch_console_errors(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def test_the_organiser_reads_the_console_and_a_member_is_refused(
    open_client: OpenClient, make_user: MakeUser
) -> None:
    olga = make_user("olga")
    ann, bob, cat, dan, eve = (make_user(n) for n in ("ann", "bob", "cat", "dan", "eve"))
    olga_c = open_client("olga")
    server = olga_c.server
    circle = api_create_circle(server, olga, "Rowing club")
    for member in (ann, bob, cat, dan, eve):
        api_join_circle(server, member, circle)
    morning = api_create_activity(
        server, olga, circle, "Morning row", capacity=5, price={"amount": 1500, "currency": EUR}
    )
    evening = api_create_activity(
        server, olga, circle, "Evening row", capacity=5, price={"amount": 4000, "currency": EUR}
    )
    pay_by_transfer(server, olga, ann, morning, "TR-ann")
    pay_by_transfer(server, olga, bob, morning, "TR-bob")
    socket_calls(
        server,
        dan,
        [
            ("activity:signup", {"activity_id": morning["id"]}),
            ("activity:cancel", {"activity_id": morning["id"]}),
        ],
    )
    pay_by_transfer(server, olga, cat, evening, "TR-cat")
    pay_by_transfer(server, olga, eve, evening, "=SUM(1)", confirm=False)
    wait_for(
        lambda: server.api("GET", f"/api/activities/{morning['id']}/report", token=olga.token),
        lambda r: r["signups"] == 3 and r["cancellations"]["count"] == 1,
        "the morning row's report",
    )

    page = olga_c.page
    problems = watch_console_errors(page)
    olga_c.login(olga)

    # ---- the activity report, from the activity page's organiser tools ----------------------
    olga_c.goto(f"#/activity/{morning['id']}")
    page.get_by_test_id("activity-report-link").click()
    view = page.get_by_test_id("console-activity")
    expect(view).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("console-title")).to_have_text("Morning row")
    summary = page.get_by_test_id("console-summary")
    expect(summary).to_have_text(
        re.compile(r"^3 sign-ups, 2 confirmed, 1 cancellation; €30\.00 net\.$")
    )
    assert_chart_renders(page, "console-signups-chart")
    funnel = page.get_by_test_id("console-funnel")
    assert table_column(funnel, "people")[1:] == ["3", "2", "0"]
    assert table_column(funnel, "percent")[1:] == ["100%", "67%", "0%"]
    cancellations = page.get_by_test_id("console-cancellations")
    expect(cancellations.locator('tr[data-key="count"] td')).to_have_text("1")
    expect(cancellations.locator('tr[data-key="late"] td')).to_have_text("0")
    olga_c.screenshot("console-activity-report")
    name, text = download_text(page, page.get_by_test_id("console-money-csv"))
    assert name == "payments-morning-row.csv"
    assert csv_rows(text) == [
        ["Currency", "Test", "Paid", "Refunded", "Net"],
        ["EUR", "false", "30.00", "0.00", "30.00"],
    ]

    # ---- the revenue, from the circle page ---------------------------------------------------
    olga_c.goto(f"#/circle/{circle['id']}/about")
    page.get_by_test_id("circle-page-revenue").click()
    revenue = page.get_by_test_id("console-revenue")
    expect(revenue).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("console-title")).to_have_text("Rowing club")
    expect(page.get_by_test_id("console-summary")).to_have_text(
        "€70.00 net (€70.00 in, €0.00 refunded) from 2 activities; 1 bank transfer to review."
    )
    assert_chart_renders(page, "console-revenue-chart")
    olga_c.screenshot("console-revenue")

    by_activity = page.get_by_test_id("console-by-activity")
    net_header = by_activity.get_by_test_id("console-by-activity-sort-net")
    net_header.click()  # money sorts biggest first
    expect(net_header.locator("xpath=..")).to_have_attribute("aria-sort", "descending")
    assert table_column(by_activity, "title") == ["Evening row", "Morning row"]
    assert table_column(by_activity, "net") == ["€40.00", "€30.00"]
    net_header.click()
    expect(net_header.locator("xpath=..")).to_have_attribute("aria-sort", "ascending")
    assert table_column(by_activity, "title") == ["Morning row", "Evening row"]
    # The CSV holds the rows as sorted on the page, money in major units.
    name, text = download_text(page, page.get_by_test_id("console-by-activity-csv"))
    stem = re.sub(r"[^a-z0-9]+", "-", circle["id"].lower()).strip("-")
    assert name == f"revenue-{stem}-by-activity.csv"
    assert csv_rows(text) == [
        ["Activity", "Currency", "Test", "Gross", "Refunds", "Fees", "Net", "Activity id"],
        ["Morning row", "EUR", "false", "30.00", "0.00", "0.00", "30.00", morning["id"]],
        ["Evening row", "EUR", "false", "40.00", "0.00", "0.00", "40.00", evening["id"]],
    ]

    outstanding = page.get_by_test_id("console-outstanding")
    assert table_column(outstanding, "reference") == ["=SUM(1)"]  # shown as typed, as text
    assert table_column(outstanding, "payer") == ["Eve"]

    # The ledger: the server's CSV, fetched with the session's token.
    name, text = download_text(page, page.get_by_test_id("console-ledger-csv"))
    assert name == f"ledger-{circle['id']}.csv"
    rows = csv_rows(text)
    assert rows[0][:5] == ["at", "payment_id", "version", "status", "reason"]
    assert rows[0][-1] == "reference"
    paid = [r for r in rows[1:] if r[3] == "paid"]
    assert sorted(r[rows[0].index("payer_name")] for r in paid) == ["Ann", "Bob", "Cat"]
    assert "'=SUM(1)" in [r[-1] for r in rows[1:]]  # the server defuses the formula

    # A row's title leads to that activity's report.
    by_activity.get_by_role("link", name="Evening row").click()
    expect(page.get_by_test_id("console-activity")).to_have_attribute(
        "data-activity-id", evening["id"]
    )
    expect(page.get_by_test_id("console-activity")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("console-title")).to_have_text("Evening row")
    assert problems == []

    # ---- a plain member: no entry points, and a direct link shows the server's refusal ------
    ann_c = open_client("ann")
    ann_page = ann_c.page
    ann_c.login(ann)
    ann_c.goto(f"#/activity/{morning['id']}")
    expect(ann_page.get_by_test_id("activity-details")).to_be_visible()
    expect(ann_page.get_by_test_id("activity-report-link")).to_be_hidden()
    ann_c.goto(f"#/circle/{circle['id']}/about")
    expect(ann_page.get_by_test_id("circle-page-open")).to_be_visible()  # she is a member
    expect(ann_page.get_by_test_id("circle-page-revenue")).to_have_count(0)

    ann_c.goto(f"#/activity/{morning['id']}/report")
    refused = ann_page.get_by_test_id("console-activity")
    expect(refused).to_have_attribute("data-state", "refused")
    expect(refused).to_have_attribute("data-code", "forbidden")
    expect(ann_page.get_by_test_id("console-error")).to_have_text("organisers only")
    expect(ann_page.get_by_test_id("console-summary")).to_have_text("")
    expect(ann_page.locator("canvas")).to_have_count(0)

    ann_c.goto(f"#/circle/{circle['id']}/revenue")
    refused = ann_page.get_by_test_id("console-revenue")
    expect(refused).to_have_attribute("data-state", "refused")
    expect(refused).to_have_attribute("data-code", "forbidden")
    expect(ann_page.get_by_test_id("console-error")).to_have_text("circle owners and admins only")
    expect(ann_page.get_by_test_id("console-ledger-csv")).to_be_hidden()
    expect(ann_page.get_by_test_id("console-by-activity")).to_have_count(0)
    ann_c.screenshot("console-refused")
