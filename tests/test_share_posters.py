"""QR posters (issue 12, item 4, and the poster part of item 10): PNG and SVG for an activity or
a circle, phone (1080x1920) and A4 (2480x3508 at 300 dpi) sizes plus the 1200x630 preview, whose
QR code decodes (zxing-cpp) to the share URL; long titles wrap, Chinese titles draw real glyphs,
and private circles get the same refusal as the share page."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import zxingcpp
from PIL import Image, ImageChops

from server.share import fonts  # the server's own font lookup: the font the posters use
from tests.support.activities import post_activity
from tests.support.client import Api, register
from tests.support.share import MISSING, anon, without_date

SVG = "{http://www.w3.org/2000/svg}"


async def circle_with(
    make_user: Any, clock: Any, title: str, name: str = "Sunday Hikers"
) -> tuple[Api, dict[str, Any], dict[str, Any]]:
    organiser = await make_user("organiser")
    circle = await organiser.create_circle(name)
    act = await post_activity(
        organiser, circle, clock.now(), starts_in=timedelta(days=4), title=title
    )
    return organiser, circle, act


def png(resp: Any) -> Image.Image:
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "image/png"
    return Image.open(io.BytesIO(resp.content))


def decoded(img: Image.Image) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(img)]


async def test_png_posters_come_in_three_sizes_and_their_qr_decodes_to_the_share_url(
    make_user, clock
):
    organiser, _c, act = await circle_with(make_user, clock, "Ridge walk")
    base = organiser.base_url
    path = f"/s/a/{act['id']}/poster.png"

    phone = png(await anon(base, path))  # the default size
    assert phone.size == (1080, 1920)
    assert decoded(phone) == [f"{base}/s/a/{act['id']}"]

    a4 = png(await anon(base, path, params={"size": "a4", "ref": "alice_1"}))
    assert a4.size == (2480, 3508)
    assert [round(d) for d in a4.info["dpi"]] == [300, 300]
    assert decoded(a4) == [f"{base}/s/a/{act['id']}?ref=alice_1&ch=poster"]

    og = png(await anon(base, path, params={"size": "og"}))
    assert og.size == (1200, 630)
    assert decoded(og) == [f"{base}/s/a/{act['id']}"]


async def test_a_circle_poster_decodes_to_the_circle_share_url(make_user, clock):
    organiser, circle, _a = await circle_with(make_user, clock, "Ridge walk", name="Book club")
    base = organiser.base_url
    img = png(await anon(base, f"/s/c/{circle['id']}/poster.png", params={"ref": "bob_2"}))
    assert img.size == (1080, 1920)
    assert decoded(img) == [f"{base}/s/c/{circle['id']}?ref=bob_2&ch=poster"]
    svg = await anon(base, f"/s/c/{circle['id']}/poster.svg")
    assert svg.status_code == 200 and "Book club" in svg.text


def svg_lines(resp: Any) -> tuple[ET.Element, list[tuple[int, str]]]:
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(resp.content)
    return root, [(int(t.get("font-size", "0")), t.text or "") for t in root.iter(f"{SVG}text")]


async def test_svg_posters_have_the_size_the_text_and_a_qr_code(make_user, clock):
    organiser, _c, act = await circle_with(make_user, clock, 'Ridge <walk> & "talk"')
    base = organiser.base_url
    root, lines = svg_lines(await anon(base, f"/s/a/{act['id']}/poster.svg"))
    assert (root.get("width"), root.get("height")) == ("1080", "1920")
    texts = [t for _, t in lines]
    title = " ".join(t for size, t in lines if size == max(s for s, _ in lines))
    assert title == 'Ridge <walk> & "talk"'  # escaped in the XML, the text itself when read
    assert "Sunday Hikers" in texts and "Trailhead, 1 Forest Rd" in texts
    assert "Scan to sign up" in texts
    qr = [g for g in root.iter(f"{SVG}g") if (g.get("transform") or "").startswith("translate")]
    assert len(qr) == 1 and qr[0].find(f"{SVG}svg") is not None
    a4, _ = svg_lines(await anon(base, f"/s/a/{act['id']}/poster.svg", params={"size": "a4"}))
    assert (a4.get("width"), a4.get("height")) == ("2480", "3508")


async def test_a_long_title_wraps_within_the_poster(make_user, clock):
    title = "An unusually long walk along the northern ridge with a picnic " * 2
    organiser, _c, act = await circle_with(make_user, clock, title.strip()[:120])
    _root, lines = svg_lines(await anon(organiser.base_url, f"/s/a/{act['id']}/poster.svg"))
    biggest = max(size for size, _ in lines)
    title_lines = [t for size, t in lines if size == biggest]
    assert 2 <= len(title_lines) <= 4, title_lines
    font = fonts.font("bold", biggest)
    assert all(font.getlength(t) <= 1080 - 2 * 80 for t in title_lines), title_lines
    assert " ".join(title_lines).startswith("An unusually long walk along the")
    assert title_lines[-1].endswith("…")  # 120 characters do not fit in four lines


async def test_a_chinese_title_is_drawn_with_real_glyphs(make_user, clock):
    organiser, _c, hike = await circle_with(make_user, clock, "周末徒步去山顶")
    _o, _c2, books = await circle_with(make_user, clock, "读书会一起聊天")
    base = organiser.base_url
    # The font the server draws with has every character, not its "missing glyph" box.
    bold = fonts.font("bold", 92)
    tofu = bytes(bold.getmask("\U0010fffd"))
    for ch in "周末徒步去山顶读书会一起聊天":
        mask = bold.getmask(ch)
        assert mask.getbbox() is not None and bytes(mask) != tofu, ch
    # And the posters show them: ink in the title's place, and different titles of the same
    # length look different (missing glyphs would be identical boxes).
    region = (80, 250, 1000, 400)
    a = png(await anon(base, f"/s/a/{hike['id']}/poster.png")).convert("L").crop(region)
    b = png(await anon(base, f"/s/a/{books['id']}/poster.png")).convert("L").crop(region)
    ink = sum(a.histogram()[:128])  # dark pixels
    assert ink > 5000, ink
    assert ImageChops.difference(a, b).getbbox() is not None
    _root, lines = svg_lines(await anon(base, f"/s/a/{hike['id']}/poster.svg"))
    assert "周末徒步去山顶" in [t for _, t in lines]


async def test_posters_are_cached_by_their_content(make_user, clock):
    organiser, _c, act = await circle_with(make_user, clock, "Ridge walk")
    base = organiser.base_url
    path = f"/s/a/{act['id']}/poster.png"
    first = await anon(base, path)
    assert first.headers["cache-control"] == "public, max-age=300"
    etag = first.headers["etag"]
    again = await anon(base, path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    # A poster that shows something else has another tag.
    moved = await organiser.request(
        "PATCH", f"/api/activities/{act['id']}", json={"title": "Ridge walk, later"}
    )
    assert moved.status_code == 200, moved.text
    changed = await anon(base, path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


async def test_a_bad_size_is_invalid(make_user, clock):
    organiser, _c, act = await circle_with(make_user, clock, "Ridge walk")
    resp = await anon(organiser.base_url, f"/s/a/{act['id']}/poster.png", params={"size": "huge"})
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    assert error["code"] == "invalid" and "size" in error["details"]["fields"]


async def test_a_private_circles_posters_are_refused_like_missing_ones(make_user, clock):
    organiser = await make_user("organiser")
    secret = await organiser.create_circle("Secret society zq", visibility="private")
    act = await post_activity(organiser, secret, clock.now(), title="Meeting zq")
    base = organiser.base_url
    missing = await anon(base, f"/s/a/{MISSING}/poster.png")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    for path in (
        f"/s/a/{act['id']}/poster.png",
        f"/s/a/{act['id']}/poster.svg",
        f"/s/c/{secret['id']}/poster.png?size=a4",
        f"/s/c/{secret['id']}/poster.svg",
    ):
        r = await anon(base, path, headers={"Authorization": f"Bearer {organiser.token}"})
        assert (r.status_code, r.content) == (404, missing.content), path
        assert without_date(r.headers) == without_date(missing.headers)
        assert b"zq" not in r.content


async def test_drawing_posters_is_limited_per_client_but_cached_ones_are_free(stack, clock):
    # Production budgets (RATE_LIMIT_SCALE=1): 20 renders in a burst per client address.
    proc = stack.start(**stack.server_env(RATE_LIMIT_SCALE="1"))
    try:
        organiser = await register(proc.url, "organiser")
        circle = await organiser.create_circle("Sunday Hikers")
        act = await post_activity(organiser, circle, clock.now(), title="Ridge walk")
        path = f"/s/a/{act['id']}/poster.png"
        answers: list[int] = []
        refused = None
        for i in range(40):  # the bucket refills one render every 2 s meanwhile
            r = await anon(proc.url, path, params={"size": "og", "ref": f"r{i}"})
            answers.append(r.status_code)
            if r.status_code != 200:
                refused = r
                break
        assert answers[:20] == [200] * 20, answers
        assert refused is not None and refused.status_code == 429, answers
        assert refused.json()["error"]["code"] == "rate_limited"
        # A poster already drawn costs nothing: still served.
        assert (await anon(proc.url, path, params={"size": "og", "ref": "r0"})).status_code == 200
        await organiser.aclose()
    finally:
        proc.stop()
