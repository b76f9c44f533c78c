"""Referral attribution (issue 12, item 5): share URLs carry the sharer (``ref``) and the channel
(``ch``: link, poster, going); a sign-up or a join that carries them credits the sharer once per
new participant, only when it happened; organisers and circle owners/admins see the counts."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlsplit

from redis.asyncio import Redis

from tests.support.activities import post_activity
from tests.support.client import Api
from tests.support.share import Page, anon

NONE = {"link": 0, "poster": 0, "going": 0}


async def world(make_user: Any, clock: Any, **extra: Any) -> tuple[Api, dict[str, Any], dict]:
    organiser = await make_user("organiser", display_name="Olga Organiser")
    circle = await organiser.create_circle("Sunday Hikers", visibility=extra.pop("vis", "public"))
    act = await post_activity(organiser, circle, clock.now(), capacity=10, **extra)
    return organiser, circle, act


async def signup(make_sock: Any, who: Api, activity_id: str, **via: str) -> dict[str, Any]:
    sock = await make_sock(who)
    return await sock.call("activity:signup", {"activity_id": activity_id, **via})


async def referrals(api: Api, kind: str, target: str) -> dict[str, Any]:
    return dict(await api.ok("GET", f"/api/{kind}/{target}/referrals"))


def sharers(found: dict[str, Any]) -> dict[str, tuple[int, dict[str, int]]]:
    return {s["handle"]: (s["count"], s["by_channel"]) for s in found["by_sharer"]}


async def test_signups_from_share_links_are_counted_per_sharer_and_channel(
    make_user, make_sock, clock
):
    organiser, _circle, act = await world(make_user, clock)
    alice, bob, carol, dave, erin = [
        await make_user(n) for n in ("alice", "bob", "carol", "dave", "erin")
    ]
    a = act["id"]
    assert (await signup(make_sock, bob, a, ref=alice.user["handle"]))["ok"]
    assert (await signup(make_sock, carol, a, ref=alice.user["handle"], ch="poster"))["ok"]
    # a ref may name the sharer by user id too (the "I'm going" page does)
    assert (await signup(make_sock, dave, a, ref=alice.id, ch="going"))["ok"]
    assert (await signup(make_sock, erin, a, ref=bob.user["handle"], ch="link"))["ok"]
    # a sign-up without a ref credits nobody
    assert (await signup(make_sock, alice, a))["ok"]

    found = await referrals(organiser, "activities", a)

    assert found["total"] == 4
    assert found["by_channel"] == {"link": 2, "poster": 1, "going": 1}
    assert sharers(found) == {
        alice.user["handle"]: (3, {"link": 1, "poster": 1, "going": 1}),
        bob.user["handle"]: (1, {"link": 1, "poster": 0, "going": 0}),
    }
    assert found["by_sharer"][0]["user_id"] == alice.id  # most referrals first
    assert found["by_sharer"][0]["display_name"] == "Alice"


async def test_a_repeat_a_resignup_and_a_concurrent_double_count_once(make_user, make_sock, clock):
    organiser, _circle, act = await world(make_user, clock)
    alice, bob, carol = [await make_user(n) for n in ("alice", "bob", "carol")]
    a = act["id"]
    socks = [await make_sock(bob) for _ in range(4)]
    refs = [alice, carol, alice, carol]

    acks = await asyncio.gather(
        *(
            s.call("activity:signup", {"activity_id": a, "ref": r.user["handle"]})
            for s, r in zip(socks, refs, strict=True)
        )
    )

    assert all(ack["ok"] for ack in acks), acks
    found = await referrals(organiser, "activities", a)
    assert found["total"] == 1
    first = found["by_sharer"][0]["user_id"]
    assert first in (alice.id, carol.id)
    # cancelling and signing up again, from another sharer's link: still the first credit only
    await socks[0].ok("activity:cancel", {"activity_id": a})
    other = carol if first == alice.id else alice
    await socks[0].ok("activity:signup", {"activity_id": a, "ref": other.user["handle"]})
    again = await referrals(organiser, "activities", a)
    assert again["total"] == 1 and again["by_sharer"][0]["user_id"] == first


async def test_someone_already_signed_up_is_not_credited_to_a_later_link(
    make_user, make_sock, clock
):
    organiser, _circle, act = await world(make_user, clock)
    alice, bob = await make_user("alice"), await make_user("bob")
    assert (await signup(make_sock, bob, act["id"]))["ok"]

    ack = await signup(make_sock, bob, act["id"], ref=alice.user["handle"])

    assert ack["ok"] and ack["data"]["signup"]["status"] == "confirmed"
    assert (await referrals(organiser, "activities", act["id"]))["total"] == 0


async def test_self_referral_and_unknown_refs_are_ignored_never_an_error(
    make_user, make_sock, clock
):
    organiser, _circle, act = await world(make_user, clock)
    bob, carol = await make_user("bob"), await make_user("carol")

    mine = await signup(make_sock, bob, act["id"], ref=bob.user["handle"], ch="poster")
    nobody = await signup(make_sock, carol, act["id"], ref="nobody_by_this_name", ch="going")

    assert mine["ok"] and mine["data"]["signup"]["status"] == "confirmed"
    assert nobody["ok"] and nobody["data"]["signup"]["status"] == "confirmed"
    found = await referrals(organiser, "activities", act["id"])
    assert found == {"total": 0, "by_channel": NONE, "by_sharer": [], "visits": NONE}


async def test_a_refused_signup_records_nothing(make_user, make_sock, clock):
    organiser, _circle, act = await world(make_user, clock)
    alice, bob = await make_user("alice"), await make_user("bob")
    await organiser.ok("POST", f"/api/activities/{act['id']}/cancel", {"reason": "rain"})

    ack = await signup(make_sock, bob, act["id"], ref=alice.user["handle"])

    assert ack["ok"] is False and ack["error"]["code"] == "conflict", ack
    assert (await referrals(organiser, "activities", act["id"]))["total"] == 0


async def test_a_malformed_ref_or_channel_is_invalid_and_signs_up_nobody(
    make_user, make_sock, clock
):
    organiser, _circle, act = await world(make_user, clock)
    bob = await make_user("bob")
    sock = await make_sock(bob)

    bad_ref = await sock.call("activity:signup", {"activity_id": act["id"], "ref": {"$gt": ""}})
    bad_ch = await sock.call("activity:signup", {"activity_id": act["id"], "ref": "x", "ch": "sms"})

    assert bad_ref["error"]["code"] == "invalid" and "ref" in bad_ref["error"]["details"]["fields"]
    assert bad_ch["error"]["code"] == "invalid" and "ch" in bad_ch["error"]["details"]["fields"]
    attendees = await organiser.ok("GET", f"/api/activities/{act['id']}/attendees")
    assert attendees["signups"] == []


async def test_only_the_organiser_sees_an_activitys_referrals(make_user, make_sock, clock):
    organiser, circle, act = await world(make_user, clock)
    _, private, hidden = await world(make_user, clock, vis="private")
    alice, eve = await make_user("alice"), await make_user("eve")
    await alice.join(circle["id"])

    member = await alice.get(f"/api/activities/{act['id']}/referrals")
    outsider_public = await eve.get(f"/api/activities/{act['id']}/referrals")
    outsider_private = await eve.get(f"/api/activities/{hidden['id']}/referrals")
    missing = await eve.get("/api/activities/nothing_here/referrals")

    assert member.status_code == 403 and member.json()["error"]["code"] == "forbidden"
    assert outsider_public.status_code == 403  # a public activity: seen, but not its counts
    assert outsider_private.status_code == 404 == missing.status_code
    assert outsider_private.json() == missing.json()
    assert (await referrals(organiser, "activities", act["id"]))["total"] == 0
    assert private["visibility"] == "private"


async def test_joins_from_a_circle_share_are_counted_for_owners(make_user, make_sock, clock):
    owner, circle, _act = await world(make_user, clock)
    alice, bob, carol = [await make_user(n) for n in ("alice", "bob", "carol")]
    c = circle["id"]
    await alice.join(c)
    body = {"ref": alice.user["handle"], "ch": "poster"}

    joined = await asyncio.gather(*(bob.post(f"/api/circles/{c}/join", body) for _ in range(4)))
    await carol.ok("POST", f"/api/circles/{c}/join", {"ref": alice.id})
    again = await bob.post(f"/api/circles/{c}/join", {"ref": carol.user["handle"]})

    assert [r.status_code for r in joined] == [200] * 4 and again.status_code == 200
    found = await referrals(owner, "circles", c)
    assert found["total"] == 2
    assert sharers(found) == {alice.user["handle"]: (2, {"link": 1, "poster": 1, "going": 0})}
    member = await alice.get(f"/api/circles/{c}/referrals")
    assert member.status_code == 403 and member.json()["error"]["code"] == "forbidden"


async def test_a_private_circle_credits_an_invited_join_and_nothing_for_a_refused_one(
    make_user, clock
):
    owner, circle, _act = await world(make_user, clock, vis="private")
    alice, eve = await make_user("alice"), await make_user("eve")
    c = circle["id"]
    invite = (await owner.ok("POST", f"/api/circles/{c}/invites", status=201))["invite"]
    await alice.join(c, invite)

    refused = await eve.post(f"/api/circles/{c}/join", {"ref": alice.user["handle"]})
    outsider = await eve.get(f"/api/circles/{c}/referrals")
    missing = await eve.get("/api/circles/nothing_here/referrals")
    await eve.ok("POST", f"/api/circles/{c}/join", {"invite": invite, "ref": alice.id})

    assert refused.status_code == 404
    assert outsider.status_code == 404 == missing.status_code
    assert outsider.json() == missing.json()
    found = await referrals(owner, "circles", c)
    assert found["total"] == 1 and found["by_sharer"][0]["user_id"] == alice.id


async def test_share_pages_carry_the_channel_into_the_signup_link(make_user, make_sock, clock):
    _organiser, circle, act = await world(make_user, clock)
    alice = await make_user("alice")
    assert (await signup(make_sock, alice, act["id"]))["ok"]
    base, handle = alice.base_url, alice.user["handle"]
    links = await alice.ok("GET", f"/api/activities/{act['id']}/share")

    from_poster = Page(
        (await anon(base, f"/s/a/{act['id']}", params={"ref": handle, "ch": "poster"})).text
    )
    going = Page((await anon(base, links["going"].removeprefix(base))).text)
    circle_page = Page(
        (await anon(base, f"/s/c/{circle['id']}", params={"ref": handle, "ch": "poster"})).text
    )
    bad = await anon(base, f"/s/a/{act['id']}", params={"ref": handle, "ch": "sms"})

    def query(url: str) -> dict[str, list[str]]:
        return parse_qs(urlsplit(url.split("#", 1)[1]).query)

    assert query(from_poster.button()) == {"signup": ["1"], "ref": [handle], "ch": ["poster"]}
    assert query(going.button()) == {"signup": ["1"], "ref": [alice.id], "ch": ["going"]}
    assert query(circle_page.button()) == {"ref": [handle], "ch": ["poster"]}
    about = f"{base}/#/circle/{circle['id']}/about?ref={handle}&ch=poster"
    assert about in [href for href, _ in circle_page.links]
    assert bad.status_code == 422 and "ch" in bad.json()["error"]["details"]["fields"]


async def test_share_page_visits_are_counted_once_per_visitor_and_keep_nothing_about_them(
    make_user, make_sock, clock, stack
):
    organiser, _circle, act = await world(make_user, clock)
    _, _private, hidden = await world(make_user, clock, vis="private")
    alice = await make_user("alice")
    assert (await signup(make_sock, alice, act["id"]))["ok"]
    base, handle, a = alice.base_url, alice.user["handle"], act["id"]
    going = (await alice.ok("GET", f"/api/activities/{a}/share"))["going"].removeprefix(base)

    async def visit(path: str, agent: str, **params: str) -> None:
        resp = await anon(base, path, params=params, headers={"User-Agent": agent})
        assert resp.status_code == 200, resp.text

    for agent in ("Agent-A", "Agent-A", "Agent-B"):
        await visit(f"/s/a/{a}", agent, ref=handle)
    await visit(f"/s/a/{a}", "Agent-A", ref=handle, ch="poster")
    await visit(going, "Agent-C")
    await visit(f"/s/a/{a}", "Agent-D")  # no ref: not a share, not counted
    refused = await anon(base, f"/s/a/{hidden['id']}", params={"ref": handle})

    found = await referrals(organiser, "activities", a)
    assert found["visits"] == {"link": 2, "poster": 1, "going": 1}
    assert found["total"] == 0  # visits are not sign-ups
    assert refused.status_code == 404
    redis = Redis.from_url(stack.redis_url)
    try:
        names = [k async for k in redis.scan_iter(match=f"circles:*:visits:activity:{a}:*")]
        assert len(names) == 3
        kept = b"".join([await redis.get(k) or b"" for k in names])
        for secret in (b"Agent-A", b"127.0.0.1", handle.encode()):
            assert secret not in kept and all(secret not in k for k in names)
        assert not [k async for k in redis.scan_iter(match=f"circles:*:visits:*:{hidden['id']}:*")]
    finally:
        await redis.aclose()
