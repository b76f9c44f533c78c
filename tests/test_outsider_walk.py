"""Issue 12's privacy criterion as one walk: a private circle with an activity to come, an
ended one its member attended (and shows on her profile), a post with an image, a comment, a
chat message and a report; then every read path is asked about it by an outsider who is signed
in (and shares a public circle with the member) and by a logged-out visitor.

The walk takes its routes from the server's own OpenAPI document, so a read route added later is
walked too (a path parameter the walk cannot fill fails the test, rather than being skipped).
Each answer must hold none of the private circle's words; a route about a private thing must be
refused. Each private thing is first shown to be reachable by the member through the same
routes, so the walk cannot pass because there was nothing to find."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx

from tests.support.activities import post_activity, sign_up
from tests.support.client import Api, connect
from tests.support.posts import post_image, publish
from tests.support.share import MISSING, anon

HERE = {"lat": 52.52, "lng": 13.405}
NEAR = {"near": f"{HERE['lat']},{HERE['lng']}", "radius_km": "10"}


def words() -> dict[str, str]:
    """Distinct, searchable words for each private thing (letters and digits only)."""
    tag = uuid.uuid4().hex[:8]
    return {
        k: f"{k}{tag}"
        for k in ("circle", "about", "title", "details", "place", "past", "post", "comment", "chat")
    }


async def private_world(make_user: Any, clock: Any) -> dict[str, Any]:
    owner = await make_user("owner")
    member = await make_user("member")
    eve = await make_user("eve")
    w = words()
    secret = await owner.create_circle(
        f"Hidden {w['circle']}",
        visibility="private",
        description=f"Members only {w['about']}",
        tags=[w["circle"]],
    )
    open_ = await owner.create_circle(f"Open {uuid.uuid4().hex[:6]}")
    invite = (await owner.post(f"/api/circles/{secret['id']}/invites")).json()["invite"]
    await member.join(secret["id"], invite)
    for who in (member, eve):
        await who.join(open_["id"])  # the outsider shares a public circle with the member

    now = clock.now()
    place = {"name": f"Cave {w['place']}", "address": "Under the bridge", **HERE}
    past = await post_activity(
        owner, secret, now, starts_in=timedelta(hours=1), title=f"Old {w['past']}", location=place
    )
    await sign_up(member, past["id"])
    clock.advance(timedelta(hours=4).total_seconds())
    await member.ok("PATCH", "/api/me/profile", {"show_attended": True})

    act = await post_activity(
        owner,
        secret,
        clock.now(),
        starts_in=timedelta(days=2),
        title=f"Meet {w['title']}",
        description=f"Password {w['details']}",
        category=w["circle"],
        tags=[w["circle"]],
        location=place,
        capacity=5,
    )
    await sign_up(member, act["id"])
    post = await publish(
        owner,
        secret["id"],
        text=f"Plans {w['post']}",
        tags=[w["circle"]],
        images=[await post_image(owner, secret["id"])],
        activity_id=act["id"],
    )
    comment = await member.ok("POST", f"/api/posts/{post['id']}/comments", {"text": w["comment"]})
    sock = await connect(member.base_url, member)
    said = await sock.ok(
        "message:send",
        {
            "conversation_id": secret["conversation_id"],
            "client_id": uuid.uuid4().hex,
            "text": f"psst {w['chat']}",
        },
    )
    going = (await member.ok("GET", f"/api/activities/{act['id']}/share"))["going"]
    await sock.close()
    report = await member.ok(
        "POST",
        f"/api/circles/{secret['id']}/reports",
        {"kind": "post", "target_id": post["id"], "reason": "other"},
    )
    return {
        "owner": owner,
        "member": member,
        "eve": eve,
        "words": w,
        "circle": secret,
        "activity": act,
        "past": past,
        "post": post,
        "comment": comment["comment"],
        "message": said["message"],
        "going": going,
        "report": report["report"],
    }


def leaks(resp: httpx.Response, w: dict[str, str]) -> list[str]:
    body = resp.content.decode("utf-8", "replace")
    shown = body + "\n" + "\n".join(f"{k}: {v}" for k, v in resp.headers.items())
    return [word for word in w.values() if word in shown]


def fill(path: str, world: dict[str, Any]) -> str:
    """A route of the OpenAPI document with its parameters naming the private things."""
    member: Api = world["member"]
    ids = {
        "/api/activities/": world["activity"]["id"],
        "/api/circles/": world["circle"]["id"],
        "/api/posts/": world["post"]["id"],
        "/api/uploads/": world["post"]["images"][0]["id"],
        "/api/users/": member.id,
        # nothing of these is the private circle's: an id that names nothing is asked
        "/api/payments/": MISSING,
        "/api/admin/verifications/": MISSING,
    }
    prefix = next((p for p in ids if path.startswith(p)), None)
    out = path.replace("{handle}", str(member.user["handle"]))
    if prefix is not None:
        out = out.replace("{id}", ids[prefix])
    out = out.replace("{item_id}", world["report"]["id"])
    assert "{" not in out, f"the walk cannot fill {path}: add its parameter here"
    return out


def queries(path: str, w: dict[str, str], world: dict[str, Any]) -> list[dict[str, str]]:
    """The queries of a list route that would reach the private circle's words if a filter let
    them through; a route without filters is asked once, plainly."""
    if path == "/api/activities":
        return [
            {},
            {"following": "true"},
            NEAR,
            {**NEAR, "tag": w["circle"]},
            {"q": w["title"]},
            {"q": w["details"]},
            {"tag": w["circle"]},
            {"category": w["circle"]},
            {"circle": world["circle"]["id"]},
        ]
    if path == "/api/discover":
        return [{}, NEAR]
    if path == "/api/circles":
        return [{}, {"q": w["circle"]}, {"q": "Hidden"}, {"tag": w["circle"]}]
    if path == "/api/search":
        return [
            {"q": w["chat"]},
            {"q": "psst"},
            {"q": w["chat"], "sender": world["member"].id},
            {"q": w["chat"], "conversation_id": world["circle"]["conversation_id"]},
        ]
    if "/payout-statement" in path:  # a period is required, and checked before the caller
        return [{"from": "2026-06-01", "to": "2027-05-31"}]
    return [{}]


# Routes about the caller themself or the platform: an outsider reads them with an answer of
# their own (200), which must still hold nothing private.
OWN = {
    "/api/me",
    "/api/me/activities",
    "/api/me/blocks",
    "/api/me/following",
    "/api/me/hosting",
    "/api/me/verification",
    "/api/notifications",
    "/api/payments/providers",
}
# The member's public face: readable by anyone signed in, without the private circle.
PUBLIC_OF_MEMBER = {
    "/api/users/{id}/profile",
    "/api/users/{id}/posts",
    "/api/users/{id}/trust",
    "/api/users/by-handle/{handle}",
}


async def test_an_outsider_reaches_nothing_private_through_any_read(make_user, clock):
    world = await private_world(make_user, clock)
    w: dict[str, str] = world["words"]
    member: Api = world["member"]
    eve: Api = world["eve"]
    base = member.base_url

    # The member does reach each private thing (so nothing below passes for want of data).
    act_id, circle_id = world["activity"]["id"], world["circle"]["id"]
    for query in (f"q={w['title']}", f"tag={w['circle']}", f"category={w['circle']}"):
        found = await member.ok("GET", f"/api/activities?{query}")
        assert [i["id"] for i in found["items"]] == [act_id], query
    mine = (await member.ok("GET", f"/api/users/{member.id}/profile"))["profile"]
    assert w["circle"] in str(mine["circles"]) and w["past"] in str(mine["attended"])
    assert w["post"] in str(await member.ok("GET", f"/api/users/{world['owner'].id}/posts"))
    assert w["comment"] in str(await member.ok("GET", f"/api/posts/{world['post']['id']}/comments"))
    hits = await member.ok("GET", f"/api/search?q={w['chat']}")
    assert [r["message_id"] for r in hits["results"]] == [world["message"]["id"]]
    page = await member.ok("GET", f"/api/circles/{circle_id}/page")
    assert w["post"] in str(page) and w["title"] in str(page)
    image = await member.get(world["post"]["images"][0]["url"])
    assert image.status_code == 200

    spec = (await anon(base, "/openapi.json")).json()
    reads = sorted(p for p, ops in spec["paths"].items() if "get" in ops)
    assert len(reads) > 40, reads
    private_ids = {circle_id, world["circle"]["conversation_id"]}
    walked: list[tuple[str, int]] = []
    for template in reads:
        path = fill(template, world)
        for params in queries(template, w, world):
            for who, token in (("outsider", eve.token), ("visitor", None)):
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                async with httpx.AsyncClient(base_url=base, timeout=60) as http:
                    resp = await http.get(path, params=params, headers=headers)
                where = (who, template, params, resp.status_code)
                assert not leaks(resp, w), (where, leaks(resp, w), resp.text[:400])
                walked.append((template, resp.status_code))
                if token is None:
                    assert resp.status_code == 401, where
                elif template.startswith("/api/admin/"):
                    assert resp.status_code == 403, where
                elif template in OWN or template in PUBLIC_OF_MEMBER:
                    assert resp.status_code == 200, where
                elif "{" in template or set(params.values()) & private_ids:
                    # Anything of the private circle is as if it did not exist.
                    assert resp.status_code == 404, where
                    assert resp.json()["error"]["code"] == "not_found", where
                else:
                    assert resp.status_code == 200, where

    # The profile an outsider sees names the member's public circle only and attended nothing
    # private, although the member shows what she attended.
    theirs = (await eve.ok("GET", f"/api/users/{member.id}/profile"))["profile"]
    assert theirs["show_attended"] is True and theirs["attended"] == []
    assert circle_id not in [c["id"] for c in theirs["circles"]] and theirs["circles"]

    # Share pages and posters: the public's view, the same refusal page whoever asks.
    refusal = await anon(base, f"/s/a/{MISSING}")
    assert refusal.status_code == 404
    shares = [
        f"/s/a/{act_id}",
        f"/s/a/{world['past']['id']}",
        f"/s/c/{circle_id}",
        world["going"].removeprefix(base),
        *(
            f"/s/{k}/{i}/poster.{ext}"
            for k, i in (("a", act_id), ("c", circle_id))
            for ext in (
                "png",
                "svg",
            )
        ),
    ]
    for path in shares:
        for token in (None, eve.token):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            resp = await anon(base, path, headers=headers)
            assert (resp.status_code, resp.text) == (404, refusal.text), path
            assert not leaks(resp, w), path

    # The socket side of the same things: the chat's history and sync, and a card's activity.
    sock = await connect(base, eve)
    try:
        conv = world["circle"]["conversation_id"]
        for event, data in (
            ("history", {"conversation_id": conv}),
            ("sync", {"conversation_id": conv, "since_rev": 0}),
            ("activity:signup", {"activity_id": act_id}),
        ):
            answer = await sock.call(event, data)
            assert answer.get("ok") is False, (event, answer)
            assert answer["error"]["code"] == "not_found", (event, answer)
            assert not [x for x in w.values() if x in str(answer)], (event, answer)
        assert not [x for x in w.values() if x in str(sock.log)], sock.log
    finally:
        await sock.close()

    # Every read route was asked, each more than once where it has filters.
    assert {t for t, _ in walked} == set(reads)
    assert not [t for t, s in walked if s >= 500], [x for x in walked if x[1] >= 500]
