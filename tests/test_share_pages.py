"""Share pages (issue 12, item 3): a public page per activity, circle and "I'm going", server-
rendered for the logged-out visitor, with Open Graph/Twitter tags, escaped text, a sign-up link
that goes through the web client's login and back, and nothing at all about private circles."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.support.activities import post_activity
from tests.support.client import Api
from tests.support.share import MISSING, Page, anon, utc_when, without_date


async def hikers(
    make_user: Any, clock: Any, **extra: Any
) -> tuple[Api, dict[str, Any], dict[str, Any]]:
    organiser = await make_user("organiser", display_name="Olga Organiser")
    circle = await organiser.create_circle("Sunday Hikers", description="We walk.")
    act = await post_activity(
        organiser, circle, clock.now(), capacity=5, starts_in=timedelta(days=3), **extra
    )
    return organiser, circle, act


async def test_an_activity_page_has_open_graph_and_twitter_tags(make_user, make_sock, clock):
    _organiser, _circle, act = await hikers(
        make_user, clock, title="Ridge walk", description="Bring water."
    )
    alice = await make_user("alice")
    await alice.join(act["circle_id"])
    await (await make_sock(alice)).ok("activity:signup", {"activity_id": act["id"]})
    base = alice.base_url

    resp = await anon(base, f"/s/a/{act['id']}")

    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/html")
    assert "public" in resp.headers["cache-control"]
    assert "script-src 'self'" in resp.headers["content-security-policy"]
    page = Page(resp.text)
    when = utc_when(act["starts_at"], act["ends_at"])
    url = f"{base}/s/a/{act['id']}"
    assert page.meta["og:title"] == page.meta["twitter:title"] == "Ridge walk"
    assert "robots" not in page.meta  # indexable
    assert page.meta["og:description"] == f"{when} · Trailhead, 1 Forest Rd · 4 of 5 seats left"
    assert page.meta["twitter:description"] == page.meta["og:description"]
    assert page.meta["og:url"] == url
    assert page.meta["twitter:card"] == "summary_large_image"
    image = page.meta["og:image"]
    assert image == page.meta["twitter:image"] == f"{url}/poster.png?size=og"
    assert (page.meta["og:image:width"], page.meta["og:image:height"]) == ("1200", "630")
    text = " ".join(page.text)
    for shown in (
        "Ridge walk",
        "Sunday Hikers",
        when,
        "Trailhead, 1 Forest Rd",
        "4 of 5 seats left",
        "Free",
        "Bring water.",
    ):
        assert shown in text, shown
    # No script and no inline style: the CSP forbids both, and the page needs neither.
    assert "script" not in page.tags and "style" not in page.tags
    assert not [k for k, _ in page.attrs if k == "style" or k.startswith("on")]
    sheet = await anon(base, "/s/share.css")
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/css")
    og = await anon(base, image.removeprefix(base))
    assert og.status_code == 200 and og.headers["content-type"] == "image/png"


async def test_html_in_a_title_place_and_description_is_shown_as_text(make_user, clock):
    title = "</title><script>alert(1)</script>\"'&<b>"
    _o, _c, act = await hikers(
        make_user,
        clock,
        title=title,
        description="<img src=x onerror=alert(2)>",
        location={"name": '"><iframe src=//evil>', "address": "<svg onload=alert(3)>"},
    )
    resp = await anon(_o.base_url, f"/s/a/{act['id']}")
    assert resp.status_code == 200, resp.text
    body = resp.text
    for raw in ("<script>alert(1)", "<img src=x", '"><iframe', "<svg onload", "<b>"):
        assert raw not in body, raw
    assert "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;&amp;&lt;b&gt;" in body
    page = Page(body)
    assert "script" not in page.tags and "iframe" not in page.tags and "img" not in page.tags
    # The tags hold the text itself, escaped only for HTML: a preview shows the real title.
    assert page.meta["og:title"] == title
    assert '"><iframe src=//evil>' in page.meta["og:description"]


async def test_the_sign_up_button_goes_through_login_and_carries_the_ref(make_user, clock):
    organiser, circle, act = await hikers(make_user, clock, title="Ridge walk")
    base = organiser.base_url
    handle = organiser.user["handle"]

    page = Page((await anon(base, f"/s/a/{act['id']}", params={"ref": handle})).text)

    # The web client keeps #/activity/... links across its login (web/src/main.ts), so a
    # signed-out visitor signs in and lands on the activity; the ref rides along.
    assert page.button() == f"{base}/#/activity/{act['id']}?signup=1&ref={handle}"
    circle_link = [h for h, _ in page.links if "/s/c/" in h]
    assert circle_link == [f"{base}/s/c/{circle['id']}?ref={handle}"]
    assert f"{base}/s/a/{act['id']}/poster.png?size=a4&ref={handle}" in [h for h, _ in page.links]
    # Without a ref the link has none, and the canonical URL never carries one.
    plain = Page((await anon(base, f"/s/a/{act['id']}")).text)
    assert plain.button() == f"{base}/#/activity/{act['id']}?signup=1"
    assert (
        Page((await anon(base, f"/s/a/{act['id']}", params={"ref": handle})).text).meta["og:url"]
        == f"{base}/s/a/{act['id']}"
    )


async def test_a_malformed_ref_is_invalid(make_user, clock):
    organiser, _c, act = await hikers(make_user, clock)
    resp = await anon(organiser.base_url, f"/s/a/{act['id']}", params={"ref": "<script>"})
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "invalid"
    assert "ref" in resp.json()["error"]["details"]["fields"]


async def test_a_circle_page_lists_what_is_coming_and_joins_through_login(make_user, clock):
    organiser, circle, act = await hikers(make_user, clock, title="Ridge walk")
    base = organiser.base_url
    resp = await anon(base, f"/s/c/{circle['id']}", params={"ref": "someone"})
    assert resp.status_code == 200, resp.text
    page = Page(resp.text)
    assert page.meta["og:title"] == "Sunday Hikers"
    assert page.meta["og:description"].startswith("1 member · testing · We walk.")
    assert page.meta["og:image"] == f"{base}/s/c/{circle['id']}/poster.png?size=og"
    assert page.button() == f"{base}/#/join/{circle['id']}?ref=someone"
    assert f"{base}/s/a/{act['id']}?ref=someone" in [h for h, _ in page.links]
    assert "Ridge walk" in " ".join(page.text)


async def test_an_im_going_link_names_only_its_sharer_while_they_are_going(
    make_user, make_sock, clock
):
    organiser, _c, act = await hikers(make_user, clock, title="Ridge walk")
    alice = await make_user("alice", display_name="Alice Walker")
    bob = await make_user("bob", display_name="Bob Secretive")
    for who in (alice, bob):
        await who.join(act["circle_id"])
    sa = await make_sock(alice)
    await sa.ok("activity:signup", {"activity_id": act["id"]})
    await (await make_sock(bob)).ok("activity:signup", {"activity_id": act["id"]})
    base = alice.base_url

    links = await alice.ok("GET", f"/api/activities/{act['id']}/share")
    going = links["going"]
    assert going.startswith(f"{base}/s/g/{act['id']}/{alice.id}/")
    assert links["activity"] == f"{base}/s/a/{act['id']}?ref={alice.user['handle']}"
    assert links["poster_png"] == f"{base}/s/a/{act['id']}/poster.png?ref={alice.user['handle']}"
    resp = await anon(base, going.removeprefix(base))
    assert resp.status_code == 200, resp.text
    page = Page(resp.text)
    assert page.meta["og:title"] == "Alice Walker is going to Ridge walk"
    assert page.meta["robots"] == "noindex"  # previews yes, a search index of people no
    assert "Bob Secretive" not in resp.text and bob.id not in resp.text
    assert page.button() == f"{base}/#/activity/{act['id']}?signup=1&ref={alice.id}&ch=going"

    # Someone not going gets no going link; the organiser's page link still works.
    assert (await organiser.ok("GET", f"/api/activities/{act['id']}/share"))["going"] is None

    # A link cannot be made for someone else, nor guessed: the same refusal as a missing id.
    refused = await anon(base, f"/s/a/{MISSING}")
    sig = going.rsplit("/", 1)[1]
    forged = [
        f"/s/g/{act['id']}/{bob.id}/{sig}",
        # another first character: its six bits are all signature (the last's are partly
        # padding, and a real signature can end in "AA")
        f"/s/g/{act['id']}/{alice.id}/{'B' if sig[0] == 'A' else 'A'}{sig[1:]}",
        f"/s/g/{act['id']}/{alice.id}/x",
    ]
    for path in forged:
        r = await anon(base, path)
        assert (r.status_code, r.text) == (refused.status_code, refused.text), path
        assert "Bob" not in r.text and "Ridge" not in r.text

    # Once alice cancels, her link shows the activity but no longer says she is going.
    await sa.ok("activity:cancel", {"activity_id": act["id"]})
    after = await anon(base, going.removeprefix(base))
    assert after.status_code == 200
    assert "Alice Walker" not in after.text
    assert Page(after.text).meta["og:title"] == "Ridge walk"


async def test_private_circles_and_their_activities_never_leak(make_user, make_sock, clock):
    organiser = await make_user("organiser")
    secret = await organiser.create_circle(
        "Secret society zq", visibility="private", description="Members only zq"
    )
    invite = (await organiser.post(f"/api/circles/{secret['id']}/invites")).json()["invite"]
    member = await make_user("member", display_name="Member Mzq")
    await member.join(secret["id"], invite)
    act = await post_activity(
        organiser,
        secret,
        clock.now(),
        title="Meeting at midnight zq",
        description="The password is zq",
        location={"name": "Hidden cave zq", "address": "Under the bridge zq"},
    )
    await (await make_sock(member)).ok("activity:signup", {"activity_id": act["id"]})
    going = (await member.ok("GET", f"/api/activities/{act['id']}/share"))["going"]
    eve = await make_user("eve")
    base = organiser.base_url
    when = utc_when(act["starts_at"], act["ends_at"])
    secrets = ["zq", "Secret society", "Meeting at midnight", "Hidden cave", when, "Member Mzq"]

    missing = await anon(base, f"/s/a/{MISSING}")
    assert missing.status_code == 404
    assert Page(missing.text).meta.get("robots") == "noindex"
    paths = [
        f"/s/a/{act['id']}",
        f"/s/a/{act['id']}/poster.png",
        f"/s/a/{act['id']}/poster.svg?size=a4",
        f"/s/c/{secret['id']}",
        f"/s/c/{secret['id']}/poster.png",
        f"/s/c/{secret['id']}/poster.svg",
        going.removeprefix(base),
        f"/s/c/{MISSING}",
        f"/s/a/{MISSING}/poster.png",
        "/s/a/not%20an%20id",
    ]
    for path in paths:
        # Logged out, as an outsider with her token, and even as a member: a share page is the
        # anonymous public's view, and a private circle shows it nothing.
        for token in (None, eve.token, member.token):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            r = await anon(base, path, headers=headers)
            assert (r.status_code, r.text) == (404, missing.text), path
            assert without_date(r.headers) == without_date(missing.headers), path
            exposed = r.text + " ".join(f"{k}: {v}" for k, v in r.headers.items())
            for s in secrets:
                assert s not in exposed, (path, s)
    # The API's share links answer an outsider as for any activity she cannot see.
    r = await eve.get(f"/api/activities/{act['id']}/share")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
