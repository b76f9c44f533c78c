"""Circle posts (issue 12, item 6): organisers (and members, if the circle allows) publish text,
images, tags and a linked activity; members like and comment; a circle feed and a member feed,
newest first, paged by cursor; delete by the author or the organisers; a private circle's posts,
comments, likes and images never reach anyone outside it."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from typing import Any

from PIL import Image

from tests.support.activities import post_activity
from tests.support.client import Api, connect
from tests.support.posts import feed, image, post_image, publish, upload_for, whole_feed


def posts_of(circle: dict[str, Any]) -> str:
    return f"/api/circles/{circle['id']}/posts"


async def allow_members(owner: Api, circle: dict[str, Any], allowed: bool = True) -> None:
    out = await owner.ok("PUT", f"{posts_of(circle)}/settings", {"members_can_post": allowed})
    assert out == {"circle_id": circle["id"], "members_can_post": allowed}


async def test_an_owner_posts_text_an_image_tags_and_a_recap_of_an_activity(make_user, clock):
    owner = await make_user("owner", display_name="Olga Owner")
    circle = await owner.create_circle("Hikers")
    alice = await make_user("alice")
    await alice.join(circle["id"])
    visitor = await make_user("visitor")  # signed in, not a member of this public circle
    hike = await post_activity(owner, circle, clock.now(), title="Ridge walk")
    img = await post_image(owner, circle["id"], image((80, 40)))

    post = await publish(
        owner,
        circle["id"],
        text="  What a day on the ridge!  ",
        images=[img],
        tags=["recap", "hiking", "recap"],
        activity_id=hike["id"],
    )

    assert post["text"] == "What a day on the ridge!"
    assert post["tags"] == ["recap", "hiking"]
    assert post["activity"] == {"id": hike["id"], "title": "Ridge walk"}
    assert post["author"]["display_name"] == "Olga Owner"
    assert [i["id"] for i in post["images"]] == [img]
    assert (post["images"][0]["width"], post["images"][0]["height"]) == (80, 40)
    for reader in (alice, visitor):
        seen = await feed(reader, posts_of(circle))
        assert [p["id"] for p in seen["posts"]] == [post["id"]]
        assert seen["next_cursor"] is None
        assert (seen["can_post"], seen["members_can_post"]) == (False, False)
        got = await reader.get(post["images"][0]["url"])
        assert got.status_code == 200
        assert Image.open(io.BytesIO(got.content)).size == (80, 40)
        assert (await reader.get(post["images"][0]["thumbnail"])).status_code == 200
    assert (await feed(owner, posts_of(circle)))["can_post"] is True
    one = await alice.ok("GET", f"/api/posts/{post['id']}")
    assert one["post"]["id"] == post["id"] and one["post"]["can_delete"] is False
    page = await alice.ok("GET", f"/api/circles/{circle['id']}/page")
    assert [p["id"] for p in page["posts"]] == [post["id"]]  # the circle page's recent posts


async def test_members_post_only_when_the_circle_allows_it(make_user):
    owner = await make_user("owner")
    circle = await owner.create_circle("Readers")
    alice = await make_user("alice")
    await alice.join(circle["id"])
    outsider = await make_user("eve")

    refused = await alice.post(posts_of(circle), {"text": "may I?"})
    assert refused.status_code == 403, refused.text
    assert (await upload_for(alice, {"circle_id": circle["id"]})).status_code == 403
    settings = await alice.request(
        "PUT", f"{posts_of(circle)}/settings", json={"members_can_post": True}
    )
    assert settings.status_code == 403
    assert (await feed(owner, posts_of(circle)))["posts"] == []

    await allow_members(owner, circle)
    mine = await publish(
        alice, circle["id"], text="I may now", images=[await post_image(alice, circle["id"])]
    )
    assert (await feed(alice, posts_of(circle)))["can_post"] is True
    assert (await outsider.post(posts_of(circle), {"text": "me too"})).status_code == 403
    assert (await upload_for(outsider, {"circle_id": circle["id"]})).status_code == 403
    await allow_members(owner, circle, False)
    assert (await alice.post(posts_of(circle), {"text": "again"})).status_code == 403
    assert [p["id"] for p in (await feed(owner, posts_of(circle)))["posts"]] == [mine["id"]]


async def test_feeds_are_newest_first_and_paged_by_cursor(make_user):
    owner = await make_user("owner")
    circle = await owner.create_circle("Busy")
    other = await owner.create_circle("Elsewhere")
    made = []
    for i in range(45):
        made.append((await publish(owner, circle["id"], text=f"post {i}"))["id"])
        if i % 10 == 0:
            await publish(owner, other["id"], text=f"elsewhere {i}")
    reader = await make_user("reader")

    first = await feed(reader, posts_of(circle))
    assert [p["id"] for p in first["posts"]] == made[::-1][: len(first["posts"])]
    assert first["next_cursor"] is not None
    everything = await whole_feed(reader, posts_of(circle))
    assert [p["id"] for p in everything] == made[::-1]
    member_feed = await whole_feed(reader, f"/api/users/{owner.id}/posts")
    assert len(member_feed) == 50
    assert [p["id"] for p in member_feed if p["circle_id"] == circle["id"]] == made[::-1]
    stamps = [p["created_at"] for p in member_feed]
    assert stamps == sorted(stamps, reverse=True)


async def test_concurrent_posts_take_distinct_slots(make_user):
    owner = await make_user("owner")
    circle = await owner.create_circle("Rush")
    texts = [f"at once {i}" for i in range(12)]
    await asyncio.gather(*(publish(owner, circle["id"], text=t) for t in texts))
    everything = await whole_feed(owner, posts_of(circle))
    assert sorted(p["text"] for p in everything) == sorted(texts)


async def test_concurrent_comments_take_distinct_slots_and_are_all_counted(make_user):
    owner = await make_user("owner")
    circle = await owner.create_circle("Chatty")
    post = await publish(owner, circle["id"], text="say something")
    path = f"/api/posts/{post['id']}/comments"
    texts = [f"at once {i}" for i in range(15)]
    results = await asyncio.gather(*(owner.post(path, {"text": t}) for t in texts))
    assert all(r.status_code == 201 for r in results), [r.text for r in results]
    listed = await owner.ok("GET", path)
    assert sorted(c["text"] for c in listed["comments"]) == sorted(texts)
    assert (await owner.ok("GET", f"/api/posts/{post['id']}"))["post"]["comment_count"] == 15


async def test_likes_are_one_per_user_and_counts_converge_under_concurrency(make_user):
    owner = await make_user("owner")
    circle = await owner.create_circle("Fans")
    post = await publish(owner, circle["id"], text="like me")
    fans = [await make_user(f"fan{i}") for i in range(12)]
    for fan in fans:
        await fan.join(circle["id"])
    url = f"/api/posts/{post['id']}/like"

    results = await asyncio.gather(*(f.request("PUT", url) for f in fans + fans))
    assert all(r.status_code == 200 for r in results), [r.text for r in results]
    got = await owner.ok("GET", f"/api/posts/{post['id']}")
    assert got["post"]["like_count"] == 12
    assert (await fans[0].ok("GET", f"/api/posts/{post['id']}"))["post"]["liked_by_me"] is True
    assert got["post"]["liked_by_me"] is False

    results = await asyncio.gather(*(f.request("DELETE", url) for f in fans[:7] + fans[:3]))
    assert all(r.status_code == 200 for r in results)
    assert (await owner.ok("GET", f"/api/posts/{post['id']}"))["post"]["like_count"] == 5
    listed = (await feed(fans[9], posts_of(circle)))["posts"][0]
    assert (listed["like_count"], listed["liked_by_me"]) == (5, True)


async def test_comments_are_paged_newest_first_and_deleted_by_author_or_organiser(make_user):
    owner = await make_user("owner")
    circle = await owner.create_circle("Talkers")
    post = await publish(owner, circle["id"], text="discuss")
    alice, bob = await make_user("alice"), await make_user("bob")
    await alice.join(circle["id"])
    await bob.join(circle["id"])
    path = f"/api/posts/{post['id']}/comments"
    ids = []
    for i in range(45):
        out = await (alice if i % 2 else bob).ok("POST", path, {"text": f"comment {i}"})
        ids.append(out["comment"]["id"])
    assert out["comment_count"] == 45

    first = await alice.ok("GET", path)
    assert [c["id"] for c in first["comments"]] == ids[::-1][: len(first["comments"])]
    rest = await alice.ok("GET", f"{path}?cursor={first['next_cursor']}")
    assert [c["id"] for c in first["comments"] + rest["comments"]] == ids[::-1]
    assert rest["next_cursor"] is None
    mine = next(c for c in first["comments"] if c["author"]["id"] == alice.id)
    theirs = next(c for c in first["comments"] if c["author"]["id"] == bob.id)
    assert (mine["can_delete"], theirs["can_delete"]) == (True, False)

    assert (await alice.request("DELETE", f"{path}/{theirs['id']}")).status_code == 403
    assert (await alice.request("DELETE", f"{path}/{mine['id']}")).status_code == 204
    assert (await owner.request("DELETE", f"{path}/{theirs['id']}")).status_code == 204
    assert (await owner.request("DELETE", f"{path}/{theirs['id']}")).status_code == 404
    left = [c["id"] for c in (await alice.ok("GET", path))["comments"]]
    assert mine["id"] not in left and theirs["id"] not in left
    assert (await alice.ok("GET", f"/api/posts/{post['id']}"))["post"]["comment_count"] == 43
    too_long = await alice.post(path, {"text": "x" * 1001})
    assert too_long.status_code == 422 and "text" in too_long.json()["error"]["details"]["fields"]


async def test_a_post_is_deleted_by_its_author_or_an_organiser_and_its_images_go(make_user):
    owner = await make_user("owner")
    circle = await owner.create_circle("Tidy")
    await allow_members(owner, circle)
    alice, bob = await make_user("alice"), await make_user("bob")
    await alice.join(circle["id"])
    await bob.join(circle["id"])
    first = await publish(
        alice, circle["id"], text="one", images=[await post_image(alice, circle["id"])]
    )
    second = await publish(alice, circle["id"], text="two")

    assert (await bob.request("DELETE", f"/api/posts/{first['id']}")).status_code == 403
    assert (await owner.request("DELETE", f"/api/posts/{first['id']}")).status_code == 204
    assert (await alice.request("DELETE", f"/api/posts/{second['id']}")).status_code == 204
    assert (await alice.get(f"/api/posts/{first['id']}")).status_code == 404
    assert (await alice.get(first["images"][0]["url"])).status_code == 404
    assert (await feed(bob, posts_of(circle)))["posts"] == []
    assert (await feed(bob, f"/api/users/{alice.id}/posts"))["posts"] == []
    assert (await bob.request("PUT", f"/api/posts/{first['id']}/like")).status_code == 404


async def test_a_private_circles_posts_never_reach_outsiders(make_user):
    owner = await make_user("owner")
    private = await owner.create_circle("Secret", visibility="private")
    public = await owner.create_circle("Open")
    invite = (await owner.post(f"/api/circles/{private['id']}/invites")).json()["invite"]
    bob = await make_user("bob")
    await bob.join(private["id"], invite)
    eve = await make_user("eve")
    await eve.join(public["id"])  # shares a public circle with the owner, not the private one
    await allow_members(owner, private)
    secret = await publish(
        owner, private["id"], text="secret plans", images=[await post_image(owner, private["id"])]
    )
    shown = await publish(owner, public["id"], text="open news")
    bobs = await publish(bob, private["id"], text="bob's secret")
    comment = await bob.ok("POST", f"/api/posts/{secret['id']}/comments", {"text": "shh"})
    await bob.ok("PUT", f"/api/posts/{secret['id']}/like")
    pending = await post_image(owner, private["id"])  # uploaded, not yet on a post

    assert (await eve.get(posts_of(private))).status_code == 404
    for path in (
        f"/api/posts/{secret['id']}",
        f"/api/posts/{secret['id']}/comments",
        secret["images"][0]["url"],
        secret["images"][0]["thumbnail"],
        f"/api/uploads/{pending}",
    ):
        resp = await eve.get(path)
        assert resp.status_code == 404, (path, resp.text)
        assert "secret" not in resp.text and "shh" not in resp.text
    for method, path, body in (
        ("PUT", f"/api/posts/{secret['id']}/like", None),
        ("DELETE", f"/api/posts/{secret['id']}/like", None),
        ("POST", f"/api/posts/{secret['id']}/comments", {"text": "let me in"}),
        ("DELETE", f"/api/posts/{secret['id']}/comments/{comment['comment']['id']}", None),
        ("DELETE", f"/api/posts/{secret['id']}", None),
        ("POST", posts_of(private), {"text": "let me in"}),
        ("PUT", f"{posts_of(private)}/settings", {"members_can_post": True}),
    ):
        resp = await eve.request(method, path, json=body)
        assert resp.status_code == 404, (method, path, resp.text)
    assert (await upload_for(eve, {"circle_id": private["id"]})).status_code == 404
    # the member feeds of people in the private circle show the outsider public posts only
    assert [p["id"] for p in await whole_feed(eve, f"/api/users/{owner.id}/posts")] == [shown["id"]]
    assert await whole_feed(eve, f"/api/users/{bob.id}/posts") == []
    # members see it all
    assert {p["id"] for p in await whole_feed(bob, f"/api/users/{owner.id}/posts")} == {
        secret["id"],
        shown["id"],
    }
    assert [p["id"] for p in await whole_feed(bob, f"/api/users/{bob.id}/posts")] == [bobs["id"]]
    assert (await bob.get(secret["images"][0]["url"])).status_code == 200
    assert (await bob.get(f"/api/uploads/{pending}")).status_code == 404  # the uploader's only


async def test_bad_posts_are_refused_and_change_nothing(make_user, clock):
    owner = await make_user("owner")
    circle = await owner.create_circle("Strict")
    other = await owner.create_circle("Other")
    alice = await make_user("alice")
    await alice.join(circle["id"])
    elsewhere = await post_activity(owner, other, clock.now(), starts_in=timedelta(days=3))
    foreign = await post_image(owner, other["id"])
    chat_upload = await upload_for(owner, {"conversation_id": circle["conversation_id"]})
    assert chat_upload.status_code == 201
    pdf = await upload_for(owner, {"circle_id": circle["id"]}, b"%PDF-1.4\n%%EOF\n", "a.pdf")
    assert pdf.status_code == 422 and pdf.json()["error"]["details"]["fields"] == {
        "file": "only images (JPEG, PNG, GIF, WebP) are accepted here"
    }
    mine = await post_image(owner, circle["id"])
    alices = await post_image(owner, circle["id"])  # uploaded by the owner, not alice

    cases = [
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 4001}, "text"),
        ({"text": "t", "tags": ["Not A Slug"]}, "tags.0"),
        ({"text": "t", "tags": [f"t{i}" for i in range(11)]}, "tags"),
        ({"text": "t", "images": [foreign]}, "images"),
        ({"text": "t", "images": [chat_upload.json()["upload"]["id"]]}, "images"),
        ({"text": "t", "images": [mine, mine]}, "images"),
        ({"text": "t", "images": [{"$gt": ""}]}, "images.0"),
        ({"text": "t", "activity_id": elsewhere["id"]}, "activity_id"),
        ({"text": "t", "author_id": alice.id}, "author_id"),
    ]
    for body, field in cases:
        resp = await owner.post(posts_of(circle), body)
        assert resp.status_code == 422, (body, resp.text)
        assert field in resp.json()["error"]["details"]["fields"], (body, resp.text)
    await allow_members(owner, circle)
    stolen = await alice.post(posts_of(circle), {"text": "t", "images": [alices]})
    assert stolen.status_code == 422
    for cursor in ("-1", "abc", "1" * 10):
        assert (await owner.get(posts_of(circle), params={"cursor": cursor})).status_code == 422
    assert (await feed(owner, posts_of(circle)))["posts"] == []
    # the images refused above are still usable: nothing was attached
    ok = await publish(owner, circle["id"], text="fine", images=[mine])
    assert [i["id"] for i in ok["images"]] == [mine]
    assert (await owner.get("/api/users/nosuchuser/posts")).status_code == 404


async def test_a_post_image_cannot_be_attached_to_a_chat_message(make_user):
    owner = await make_user("owner")
    circle = await owner.create_circle("Separate")
    img = await post_image(owner, circle["id"])
    sock = await connect(owner.base_url, owner)
    try:
        refused = await sock.call(
            "message:send",
            {
                "conversation_id": circle["conversation_id"],
                "client_id": "c1",
                "text": "x",
                "attachments": [img],
            },
        )
    finally:
        await sock.close()
    assert refused["ok"] is False and refused["error"]["code"] == "invalid", refused
    assert "attachments" in refused["error"]["details"]["fields"]
    ok = await publish(owner, circle["id"], images=[img])  # still usable where it belongs
    assert [i["id"] for i in ok["images"]] == [img]
