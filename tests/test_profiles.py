"""Member profiles (issue 12, item 7): display name, avatar (cropped square on the server), bio,
interests, city; the circles a member joined (public ones only to others), the activities they
attended (only if they opt in), their posts; a "Message" button that opens a DM."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from PIL import Image

from tests.support.activities import post_activity
from tests.support.client import Api, connect
from tests.support.posts import image, publish, upload_for


async def profile(api: Api, user_id: str) -> dict[str, Any]:
    return dict((await api.ok("GET", f"/api/users/{user_id}/profile"))["profile"])


async def avatar_upload(api: Api, data: bytes) -> dict[str, Any]:
    resp = await upload_for(api, {"purpose": "avatar"}, data, "me.png")
    assert resp.status_code == 201, resp.text
    return dict(resp.json()["upload"])


async def test_a_member_edits_their_profile_and_others_see_it(make_user):
    alice = await make_user("alice")
    bob = await make_user("bob")

    out = await alice.ok(
        "PATCH",
        "/api/me/profile",
        {
            "display_name": "  Alice A.  ",
            "bio": "I climb.",
            "interests": ["climbing", "tea", "climbing"],
            "city": "Lyon",
        },
    )
    assert out["profile"]["user"]["display_name"] == "Alice A."
    seen = await profile(bob, alice.id)
    assert (seen["user"]["display_name"], seen["bio"], seen["interests"], seen["city"]) == (
        "Alice A.",
        "I climb.",
        ["climbing", "tea"],
        "Lyon",
    )
    assert (seen["is_me"], seen["avatar"], seen["posts"]) == (
        False,
        None,
        f"/api/users/{alice.id}/posts",
    )
    await alice.ok("PATCH", "/api/me/profile", {"bio": None, "city": ""})
    seen = await profile(bob, alice.id)
    assert (seen["bio"], seen["city"], seen["interests"]) == (None, None, ["climbing", "tea"])
    me = await alice.ok("GET", "/api/me")
    assert me["user"]["display_name"] == "Alice A."
    found = await bob.ok("GET", f"/api/users/by-handle/{alice.user['handle']}")
    assert found["user"]["id"] == alice.id
    assert (await bob.get("/api/users/by-handle/nobody_here_at_all")).status_code == 404
    assert (await bob.get("/api/users/nosuchuser/profile")).status_code == 404


async def test_bad_profile_edits_are_refused_and_change_nothing(make_user):
    alice = await make_user("alice", display_name="Alice")
    before = await profile(alice, alice.id)
    for body, field in (
        ({"display_name": ""}, "display_name"),
        ({"display_name": "x" * 65}, "display_name"),
        ({"bio": "x" * 501}, "bio"),
        ({"interests": ["Not A Tag"]}, "interests.0"),
        ({"interests": [f"t{i}" for i in range(11)]}, "interests"),
        ({"city": {"$gt": ""}}, "city"),
        ({"show_attended": "yes"}, "show_attended"),
        ({"handle": "taken"}, "handle"),
        ({"avatar_url": "https://evil.example/x.png"}, "avatar_url"),
    ):
        resp = await alice.request("PATCH", "/api/me/profile", json=body)
        assert resp.status_code == 422, (body, resp.text)
        assert field in resp.json()["error"]["details"]["fields"], (body, resp.text)
    assert await profile(alice, alice.id) == before


async def test_an_avatar_is_cropped_square_with_a_thumbnail_and_replacing_hides_the_old(
    make_user,
):
    alice, bob = await make_user("alice"), await make_user("bob")
    first = await avatar_upload(alice, image((300, 100)))
    assert first["scope"] == "avatar"
    assert (first["width"], first["height"]) == (100, 100)
    out = await alice.ok("PUT", "/api/me/avatar", {"upload_id": first["id"]})
    avatar = out["profile"]["avatar"]
    assert avatar == {
        "url": f"/api/uploads/{first['id']}",
        "thumbnail": f"/api/uploads/{first['id']}/thumbnail",
    }
    seen = await profile(bob, alice.id)
    assert seen["avatar"] == avatar and seen["user"]["avatar_url"] == avatar["url"]
    full = await bob.get(avatar["url"])
    assert full.status_code == 200
    assert Image.open(io.BytesIO(full.content)).size == (100, 100)
    thumb = await bob.get(avatar["thumbnail"])
    assert Image.open(io.BytesIO(thumb.content)).size == (96, 96)
    big = await avatar_upload(alice, image((2000, 1200)))
    assert (big["width"], big["height"]) == (512, 512)

    await alice.ok("PUT", "/api/me/avatar", {"upload_id": big["id"]})
    assert (await bob.get(avatar["url"])).status_code == 404  # the replaced one is hidden
    assert (await bob.get(f"/api/uploads/{big['id']}")).status_code == 200
    await alice.ok("DELETE", "/api/me/avatar")
    assert (await profile(bob, alice.id))["avatar"] is None
    assert (await bob.get(f"/api/uploads/{big['id']}")).status_code == 404


async def test_avatar_refusals_change_nothing(make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    pdf = await upload_for(alice, {"purpose": "avatar"}, b"%PDF-1.4\n%%EOF\n", "a.pdf")
    assert pdf.status_code == 422 and "file" in pdf.json()["error"]["details"]["fields"]
    both = await upload_for(alice, {"purpose": "avatar", "circle_id": "abc"})
    assert both.status_code == 422
    bobs = await avatar_upload(bob, image((50, 50)))
    assert (await alice.get(f"/api/uploads/{bobs['id']}")).status_code == 404  # pending: bob's
    circle = await alice.create_circle("Mine")
    chat = await upload_for(alice, {"conversation_id": circle["conversation_id"]})
    for upload_id in (bobs["id"], chat.json()["upload"]["id"], "nosuch"):
        resp = await alice.request("PUT", "/api/me/avatar", json={"upload_id": upload_id})
        assert resp.status_code == 422, resp.text
        assert "upload_id" in resp.json()["error"]["details"]["fields"]
    assert (await profile(bob, alice.id))["avatar"] is None


async def test_circles_show_public_ones_to_others_and_attended_only_when_opted_in(make_user, clock):
    owner, alice, eve = await make_user("owner"), await make_user("alice"), await make_user("eve")
    public = await owner.create_circle("Open hikers")
    private = await owner.create_circle("Hidden club", visibility="private")
    invite = (await owner.post(f"/api/circles/{private['id']}/invites")).json()["invite"]
    await alice.join(public["id"])
    await alice.join(private["id"], invite)
    now = clock.now()
    open_walk = await post_activity(
        owner, public, now, starts_in=timedelta(hours=1), title="Open walk"
    )
    hidden_walk = await post_activity(
        owner, private, now, starts_in=timedelta(hours=1), title="Hidden walk"
    )
    sock = await connect(alice.base_url, alice)
    for act in (open_walk, hidden_walk):
        await sock.ok("activity:signup", {"activity_id": act["id"]})
    await sock.close()
    clock.advance(timedelta(hours=4).total_seconds())

    mine = await profile(alice, alice.id)
    assert {c["name"] for c in mine["circles"]} == {"Open hikers", "Hidden club"}
    assert {a["title"] for a in mine["attended"]} == {"Open walk", "Hidden walk"}
    assert mine["show_attended"] is False
    theirs = await profile(eve, alice.id)
    assert [(c["name"], c["role"]) for c in theirs["circles"]] == [("Open hikers", "member")]
    assert theirs["attended"] is None
    assert "Hidden" not in str(theirs)

    await alice.ok("PATCH", "/api/me/profile", {"show_attended": True})
    theirs = await profile(eve, alice.id)
    assert [a["title"] for a in theirs["attended"]] == ["Open walk"]
    assert "Hidden" not in str(theirs)


async def test_the_message_button_opens_a_dm_with_someone_you_share_a_circle_with(make_user):
    alice, bob, eve = await make_user("alice"), await make_user("bob"), await make_user("eve")
    circle = await alice.create_circle("Together")
    await bob.join(circle["id"])
    post = await publish(alice, circle["id"], text="hello")

    seen = await profile(bob, alice.id)
    assert (seen["can_message"], (await profile(alice, alice.id))["can_message"]) == (True, False)
    assert (await profile(eve, alice.id))["can_message"] is False
    sock = await connect(bob.base_url, bob)
    dm = await sock.ok("dm:open", {"user_id": alice.id})
    assert dm["conversation"]["kind"] == "dm"
    posts = await bob.ok("GET", seen["posts"])
    assert [p["id"] for p in posts["posts"]] == [post["id"]]
    await sock.close()
