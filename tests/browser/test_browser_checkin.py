"""Check-in at the door in the web client: the organiser's 390 px phone scans the ticket QR that
the attendee's browser renders, through a camera stream fed from that very image; a photo of a
foreign ticket decodes through the same path and is refused with ✗; check-in by name (a dead
phone) and its undo. The attendee's ticket is at the top of her phone's page and turns into
"Checked in ✓" live.

Headless Chromium has no camera, so the scanning browser is launched with Chromium's fake capture
device reading a Y4M file (``--use-file-for-fake-video-capture``) made from the ticket's pixels
as the attendee's page shows them (read from its <img> through a canvas). The page decodes with
``BarcodeDetector`` where the browser offers one for QR codes (not on Linux) and jsQR otherwise;
the test records which one ran.
"""

from __future__ import annotations

import base64
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.helpers import (
    Client,
    Server,
    User,
    activity_card,
    api_create_activity,
    api_create_circle,
    api_join_circle,
)
from tests.support.infra import temp_dir

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
FRAME_W, FRAME_H = 640, 480

# The ticket's <img>, drawn centred on a white 640x480 frame: its luma (Y) plane as base64.
FRAME_JS = """([img, w, h]) => {
  const c = document.createElement("canvas");
  c.width = w; c.height = h;
  const g = c.getContext("2d");
  g.fillStyle = "#fff"; g.fillRect(0, 0, w, h);
  const side = Math.min(w, h) - 60;
  g.imageSmoothingEnabled = false;
  g.drawImage(img, (w - side) / 2, (h - side) / 2, side, side);
  const px = g.getImageData(0, 0, w, h).data;
  let out = "";
  for (let i = 0; i < px.length; i += 4) {
    const y = Math.round(0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2]);
    out += String.fromCharCode(Math.round(16 + (y * 219) / 255));
  }
  return btoa(out);
}"""

# The same frame as a PNG file: what a photo of the ticket uploads.
PNG_JS = """([img, w, h]) => {
  const c = document.createElement("canvas");
  c.width = w; c.height = h;
  const g = c.getContext("2d");
  g.fillStyle = "#fff"; g.fillRect(0, 0, w, h);
  const side = Math.min(w, h) - 60;
  g.imageSmoothingEnabled = false;
  g.drawImage(img, (w - side) / 2, (h - side) / 2, side, side);
  return c.toDataURL("image/png").split(",")[1];
}"""


def write_y4m(path: Path, luma: bytes, width: int, height: int, frames: int = 2) -> None:
    """A Y4M video (4:2:0, 10 fps) of one grey frame: chroma planes neutral (128)."""
    chroma = bytes([128]) * ((width // 2) * (height // 2) * 2)
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + luma + chroma)


@pytest.fixture
def phone(
    browser: Browser, server: Server, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Client]]:
    """A 390 px wide context in ``browser`` (or another browser given)."""
    clients: list[Client] = []

    def open_(name: str, on: Browser | None = None, camera: bool = False) -> Client:
        context = (on or browser).new_context(
            viewport=PHONE, permissions=["camera"] if camera else [], is_mobile=False
        )
        page = context.new_page()
        client = Client(name, context, page, server)
        page.on("pageerror", lambda e: client.errors.append(str(e)))
        clients.append(client)
        return client

    yield open_
    rep = getattr(request.node, "rep_call", None)
    for client in clients:
        if rep is not None and rep.failed:
            try:
                client.screenshot(f"FAILED-{request.node.name}")
            except Exception:
                pass
        client.context.close()
    if rep is not None and rep.passed:
        for client in clients:
            assert client.errors == [], f"uncaught errors in {client.name}'s page: {client.errors}"


def camera_browser(pw: Playwright, video: Path) -> Browser:
    return pw.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )


def signed_up(client: Client, circle: dict, title: str) -> None:
    """Sign up from the activity's card in the circle's chat."""
    client.goto(f"#/c/{circle['conversation_id']}")  # a phone shows the chat, not the sidebar
    expect(client.page.get_by_test_id("message-list")).to_have_attribute("data-loaded", "true")
    activity_card(client, title).get_by_test_id("activity-signup").click()
    expect(activity_card(client, title)).to_have_attribute("data-my-status", "confirmed")


def fresh_ticket(client: Client, activity_id: str) -> None:
    """Open the activity page; wait for a ticket just issued (valid ~60 s from now)."""
    client.goto(f"#/activity/{activity_id}")
    ticket = client.page.get_by_test_id("activity-ticket")
    qr = ticket.get_by_test_id("ticket-qr")
    expect(qr).to_have_attribute("src", re.compile(r"^data:image/svg\+xml;base64,"))
    client.page.wait_for_function(
        "el => el.complete && el.naturalWidth > 0", arg=qr.element_handle()
    )
    expect(ticket.get_by_test_id("ticket-countdown")).to_have_text(re.compile(r"^0:5\d$|^1:00$"))


def test_phone_scans_a_ticket_from_another_browser_through_the_camera(
    phone: Callable[..., Client],
    playwright_instance: Playwright,
    make_user: Callable[..., User],
    server: Server,
) -> None:
    olga = make_user("olga", display_name="Olga Organiser")
    ann = make_user("ann", display_name="Ann Attendee")
    circle = api_create_circle(server, olga, f"Door {uuid.uuid4().hex[:6]}")
    api_join_circle(server, ann, circle)
    title = f"Club night {uuid.uuid4().hex[:4]}"
    act = api_create_activity(server, olga, circle, title, capacity=5)
    other = api_create_activity(server, olga, circle, f"Other night {uuid.uuid4().hex[:4]}", 5)

    ann_c = phone("ann")
    ann_c.login(ann)
    signed_up(ann_c, circle, title)
    signed_up(ann_c, circle, other["title"])

    # Her ticket for this activity, at the top of her phone's page; its pixels become the
    # organiser's camera.
    fresh_ticket(ann_c, act["id"])
    page = ann_c.page
    ticket_box = page.get_by_test_id("activity-ticket").bounding_box()
    details_box = page.get_by_test_id("activity-details").bounding_box()
    assert ticket_box and details_box and ticket_box["y"] < details_box["y"]
    assert ticket_box["y"] < PHONE["height"] / 2, "the ticket is not at the top of the phone"
    img = page.get_by_test_id("ticket-qr").element_handle()
    luma = base64.b64decode(page.evaluate(FRAME_JS, [img, FRAME_W, FRAME_H]))
    assert len(luma) == FRAME_W * FRAME_H
    video = temp_dir("circles-camera-") / "ticket.y4m"
    write_y4m(video, luma, FRAME_W, FRAME_H)

    cam = camera_browser(playwright_instance, video)
    try:
        olga_c = phone("olga", on=cam, camera=True)
        olga_c.login(olga)
        olga_c.goto(f"#/activity/{act['id']}/checkin")
        door = olga_c.page
        expect(door.get_by_test_id("checkin-title")).to_have_text(title)

        # Her ticket for another activity (in another tab of hers), as a photo: decoded through
        # the same path, refused with ✗.
        foreign = Client("ann-other-tab", ann_c.context, ann_c.context.new_page(), server)
        fresh_ticket(foreign, other["id"])
        img = foreign.page.get_by_test_id("ticket-qr").element_handle()
        foreign_png = base64.b64decode(foreign.page.evaluate(PNG_JS, [img, FRAME_W, FRAME_H]))
        door.get_by_test_id("checkin-photo").set_input_files(
            {"name": "ticket.png", "mimeType": "image/png", "buffer": foreign_png}
        )
        verdict = door.get_by_test_id("checkin-verdict")
        expect(verdict).to_have_attribute("data-result", "wrong_activity")
        expect(verdict.get_by_test_id("checkin-verdict-mark")).to_have_text("✗")
        expect(verdict).to_contain_text("This ticket is for another activity.")

        # the camera reads her ticket: ✓ and her name
        door.get_by_test_id("checkin-camera").click()
        scanner = door.get_by_test_id("checkin-scanner")
        expect(scanner).to_have_attribute("data-camera", "on")
        expect(verdict).to_have_attribute("data-result", "ok", timeout=20_000)
        expect(verdict.get_by_test_id("checkin-verdict-mark")).to_have_text("✓")
        expect(verdict.get_by_test_id("checkin-verdict-name")).to_have_text("Ann Attendee")
        decoder = scanner.get_attribute("data-decoder")
        assert decoder in ("jsqr", "native"), decoder
        print(f"decoder used: {decoder}")
        row = door.get_by_test_id("attendee").filter(has_text="Ann Attendee")
        expect(row).to_have_attribute("data-checked-in", "true")
        # the camera keeps seeing the same ticket: still ✓, not "already checked in"
        door.wait_for_timeout(2_000)
        expect(verdict).to_have_attribute("data-result", "ok")
        olga_c.screenshot("checkin-camera-ok")

        # her phone follows live: the ticket is now "Checked in ✓"
        expect(page.get_by_test_id("ticket-checked-in")).to_have_text("Checked in ✓")
        expect(page.get_by_test_id("ticket-qr")).to_have_count(0)
        ann_c.screenshot("ticket-checked-in")
        door.get_by_test_id("checkin-camera").click()
        expect(scanner).to_have_attribute("data-camera", "off")
    finally:
        cam.close()
        shutil.rmtree(video.parent, ignore_errors=True)


def test_check_in_by_name_and_undo_follow_on_the_attendees_phone(
    phone: Callable[..., Client], make_user: Callable[..., User], server: Server
) -> None:
    olga = make_user("olga", display_name="Olga Organiser")
    ann = make_user("ann", display_name="Ann Attendee")
    ben = make_user("ben", display_name="Ben Batteryless")
    circle = api_create_circle(server, olga, f"Door {uuid.uuid4().hex[:6]}")
    for u in (ann, ben):
        api_join_circle(server, u, circle)
    title = f"Quiz night {uuid.uuid4().hex[:4]}"
    act = api_create_activity(server, olga, circle, title, capacity=5)

    ann_c, ben_c, olga_c = phone("ann"), phone("ben"), phone("olga")
    for client, user in ((ann_c, ann), (ben_c, ben)):
        client.login(user)
        signed_up(client, circle, title)
    ben_c.goto(f"#/activity/{act['id']}")
    expect(ben_c.page.get_by_test_id("ticket-qr")).to_be_visible()

    olga_c.login(olga)
    olga_c.goto(f"#/activity/{act['id']}/checkin")
    door = olga_c.page
    door.get_by_test_id("checkin-search").fill("batt")
    rows = door.get_by_test_id("attendee")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Ben Batteryless")
    rows.first.get_by_test_id("door-checkin").click()
    verdict = door.get_by_test_id("checkin-verdict")
    expect(verdict).to_have_attribute("data-result", "ok")
    expect(verdict.get_by_test_id("checkin-verdict-name")).to_have_text("Ben Batteryless")
    expect(rows.first).to_have_attribute("data-checked-in", "true")
    expect(door.get_by_test_id("attendee-summary")).to_have_text("1 of 2 checked in")
    expect(ben_c.page.get_by_test_id("ticket-checked-in")).to_have_text("Checked in ✓")

    # a mistake: undo (from the big answer), and his QR is back
    verdict.get_by_test_id("checkin-verdict-undo").click()
    expect(verdict).to_have_attribute("data-result", "undone")
    expect(rows.first).to_have_attribute("data-checked-in", "false")
    expect(ben_c.page.get_by_test_id("ticket-qr")).to_be_visible()
    # and again from the list, then undone from the list
    rows.first.get_by_test_id("door-checkin").click()
    expect(rows.first).to_have_attribute("data-checked-in", "true")
    rows.first.get_by_test_id("door-undo").click()
    expect(rows.first).to_have_attribute("data-checked-in", "false")
    expect(door.get_by_test_id("attendee-summary")).to_have_text("0 of 2 checked in")
    olga_c.screenshot("checkin-by-name")
