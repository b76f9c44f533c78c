"""Activity discovery (issue 12, item 1): GET /api/activities over the upcoming activities of
public circles and of the private circles you belong to, filtered and paged by cursor; cards move
when an activity is edited and drop out when it is cancelled; a private circle's activity never
reaches a non-member through any filter or section."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.support.activities import iso, post_activity
from tests.support.client import Sock
from tests.support.discovery import all_pages, discover, eventually, ids, listing, slug

HERE = {"name": "Park", "address": "1 Park Rd", "lat": 52.5200, "lng": 13.4050}  # Berlin
KM_5 = {"name": "Lake", "lat": 52.5650, "lng": 13.4050}  # 5 km north
KM_30 = {"name": "Far", "lat": 52.7900, "lng": 13.4050}  # 30 km north


async def test_a_tag_lists_upcoming_activities_in_start_order_paged_by_cursor(
    make_user: Any, clock: Any
) -> None:
    org, bob = await make_user("org"), await make_user("bob")
    circle = await org.create_circle("Runners")
    tag = slug()
    now = clock.now()
    made = [
        await post_activity(org, circle, now, starts_in=timedelta(days=d), tags=[tag])
        for d in (9, 2, 30, 5, 2.5)
    ]
    past = await post_activity(org, circle, now, starts_in=timedelta(hours=1), tags=[tag])
    clock.advance(2 * 3600)  # the first one has started: no longer upcoming
    try:
        expected = [a["id"] for a in sorted(made, key=lambda a: a["starts_at"])]
        assert await all_pages(bob, tag=tag, limit="2") == expected
        assert past["id"] not in await all_pages(bob, tag=tag)
        first = await listing(bob, tag=tag, limit="2")
        assert len(first["items"]) == 2 and first["next_cursor"]
        item = first["items"][0]
        assert item["circle"] == {"id": circle["id"], "name": "Runners", "visibility": "public"}
        assert item["seats_left"] == 2 and item["status"] == "open" and item["tags"] == [tag]
        window = await ids(
            bob,
            tag=tag,
            **{"from": iso(now + timedelta(days=3)), "to": iso(now + timedelta(days=10))},
        )
        assert window == [made[3]["id"], made[0]["id"]]
    finally:
        clock.advance(-2 * 3600)


async def test_category_and_circle_filters(make_user: Any, clock: Any) -> None:
    org, bob = await make_user("org"), await make_user("bob")
    c1, c2 = await org.create_circle("One"), await org.create_circle("Two")
    cat = slug("c")
    now = clock.now()
    a1 = await post_activity(org, c1, now, category=cat)
    a2 = await post_activity(org, c2, now, category=cat, starts_in=timedelta(days=3))
    assert await ids(bob, category=cat) == [a1["id"], a2["id"]]
    assert await ids(bob, category=cat, circle=c2["id"]) == [a2["id"]]


async def test_words_of_titles_and_descriptions_find_activities(make_user: Any, clock: Any) -> None:
    org, bob = await make_user("org"), await make_user("bob")
    circle = await org.create_circle("Words")
    word, other = slug("w"), slug("w")
    now = clock.now()
    a = await post_activity(org, circle, now, title=f"Sunrise {word} walk", description="Bring tea")
    b = await post_activity(
        org, circle, now, title="Evening walk", description=f"Bring a {word.upper()} and {other}"
    )
    cjk = await post_activity(org, circle, now, title="東京都 散歩", description=word)
    assert set(await ids(bob, q=word)) == {a["id"], b["id"], cjk["id"]}
    assert await ids(bob, q=f"{word} {other}") == [b["id"]]
    assert await ids(bob, q=f"京都 {word}") == [cjk["id"]]
    assert await ids(bob, q=f"{word} nosuchword{other}") == []


async def test_an_activity_with_the_most_tags_and_words_is_still_found(
    make_user: Any, clock: Any
) -> None:
    """Ten 32-character tags and a 4,000-character description of long words: the card's
    keys stay within what FerretDB's own index on them can hold, and it is found."""
    org, bob = await make_user("org"), await make_user("bob")
    circle = await org.create_circle("Wordy")
    tags = [slug("x").ljust(32, "x") for _ in range(10)]
    words = [f"{slug('w')}{'y' * 50}" for _ in range(70)]
    a = await post_activity(
        org,
        circle,
        clock.now(),
        tags=tags,
        title=" ".join(w[:19] for w in words[:6]),
        description=" ".join(words)[:4000],
    )
    assert await ids(bob, tag=tags[-1]) == [a["id"]]
    assert await ids(bob, q=words[0][:19]) == [a["id"]]  # a title word
    assert await ids(bob, q=words[20]) == [a["id"]]  # a long description word (within 32)
    assert await ids(bob, q=words[60]) == []  # past the 32 words indexed


async def test_near_keeps_what_is_within_the_radius(make_user: Any, clock: Any) -> None:
    org, bob = await make_user("org"), await make_user("bob")
    circle = await org.create_circle("Near")
    tag = slug()
    now = clock.now()
    near = await post_activity(org, circle, now, tags=[tag], location=KM_5)
    far = await post_activity(org, circle, now, tags=[tag], location=KM_30)
    await post_activity(org, circle, now, tags=[tag])  # no coordinates: never "near"
    here = f"{HERE['lat']},{HERE['lng']}"
    found = await listing(bob, tag=tag, near=here, radius_km="10")
    assert [i["id"] for i in found["items"]] == [near["id"]]
    assert 4.5 < found["items"][0]["distance_km"] < 5.5
    assert set(await ids(bob, near=here, radius_km="40", tag=tag)) == {near["id"], far["id"]}
    only_near = await ids(bob, near=here, radius_km="10")  # the geo buckets drive this one
    assert near["id"] in only_near and far["id"] not in only_near


async def test_an_edit_moves_the_activity_and_a_cancellation_removes_it(
    make_user: Any, clock: Any
) -> None:
    org, bob = await make_user("org"), await make_user("bob")
    circle = await org.create_circle("Edits")
    old, new = slug(), slug()
    now = clock.now()
    a = await post_activity(org, circle, now, tags=[old])
    moved = now + timedelta(days=20)
    resp = await org.request(
        "PATCH",
        f"/api/activities/{a['id']}",
        json={"tags": [new], "starts_at": iso(moved), "ends_at": iso(moved + timedelta(hours=2))},
    )
    assert resp.status_code == 200, resp.text

    async def moved_over() -> bool:  # cards are written after the commit, not before the ack
        return await ids(bob, tag=old) == [] and await ids(bob, tag=new) == [a["id"]]

    assert await eventually(moved_over)
    assert await ids(bob, tag=new, to=iso(now + timedelta(days=10))) == []
    done = await org.post(f"/api/activities/{a['id']}/cancel", {"reason": "rain"})
    assert done.status_code == 200, done.text

    async def gone() -> bool:
        return await ids(bob, tag=new) == []

    assert await eventually(gone)


async def test_seat_counts_follow_signups(make_user: Any, clock: Any) -> None:
    org, bob = await make_user("org"), await make_user("bob")
    circle = await org.create_circle("Seats")
    tag = slug()
    a = await post_activity(org, circle, clock.now(), tags=[tag], capacity=1)
    sock = await Sock(bob.base_url, bob.token).connect()
    try:
        await sock.ok("activity:signup", {"activity_id": a["id"]})
    finally:
        await sock.close()

    async def full() -> bool:
        item = (await listing(bob, tag=tag))["items"][0]
        return bool(item["going"] == 1 and item["seats_left"] == 0 and item["status"] == "full")

    assert await eventually(full)


async def test_a_private_circle_never_reaches_an_outsider(make_user: Any, clock: Any) -> None:
    org, member, eve = await make_user("org"), await make_user("member"), await make_user("eve")
    public = await org.create_circle("Open")
    private = await org.create_circle("Secret", visibility="private")
    invite = (await org.post(f"/api/circles/{private['id']}/invites", {})).json()
    await member.join(private["id"], invite["invite"])
    tag, cat, word = slug(), slug("c"), slug("w")
    now = clock.now()
    body = {"tags": [tag], "category": cat, "title": f"Hidden {word}", "location": KM_5}
    secret = await post_activity(org, private, now, **body)
    open_ = await post_activity(org, public, now, starts_in=timedelta(days=3), **body)
    for who in (member, org):
        assert await ids(who, tag=tag) == [secret["id"], open_["id"]]
    assert await ids(member, circle=private["id"]) == [secret["id"]]
    here = f"{HERE['lat']},{HERE['lng']}"
    window = {"from": iso(now), "to": iso(now + timedelta(days=3))}
    for params in (
        {"tag": tag},
        {"category": cat},
        {"q": word},
        {"near": here, "radius_km": "10", "tag": tag},
        {"near": here, "radius_km": "10"},
        window,
        {"following": "true"},
    ):
        assert secret["id"] not in await all_pages(eve, **params), params
    hidden = await eve.get("/api/activities", params={"circle": private["id"]})
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"
    follow = await eve.post(f"/api/circles/{private['id']}/follow")
    assert follow.status_code == 404
    sections = await discover(eve, near=here, radius_km="10")
    assert set(sections) == {"for_you", "this_week", "popular", "following", "near_you"}
    for key, items in sections.items():
        assert secret["id"] not in [i["id"] for i in items], key
    mine = await discover(member, near=here, radius_km="10")
    assert secret["id"] in [i["id"] for i in mine["near_you"]]


async def test_bad_filters_are_refused_with_the_field_named(make_user: Any) -> None:
    bob = await make_user("bob")
    for params, field in (
        ({"radius_km": "5"}, "radius_km"),
        ({"near": "95,10"}, "near"),
        ({"near": "52,13", "radius_km": "500"}, "radius_km"),
        ({"cursor": "bm90IGEgY3Vyc29y"}, "cursor"),
        ({"from": "2030-01-02", "to": "2030-01-01"}, "to"),
        ({"from": "yesterday"}, "from"),
        ({"limit": "500"}, "limit"),
        ({"category": "Not A Slug"}, "category"),
        ({"q": "!!! ..."}, "q"),
    ):
        resp = await bob.get("/api/activities", params=params)
        assert resp.status_code == 422, (params, resp.text)
        err = resp.json()["error"]
        assert err["code"] == "invalid" and field in err["details"]["fields"], (params, err)
