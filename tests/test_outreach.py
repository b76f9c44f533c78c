"""Outreach (issue 13, item 5): from a segment or chosen members the organiser sends a DM each,
an invitation card in each DM, or an announcement card in the circle told to each; members are
tagged; every send is recorded and counted (reached, skipped, read, signed up afterwards). Driven
through HTTP and Socket.IO as a client would, refusals included (a refused send changes nothing)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from tests.support.activities import post_activity
from tests.support.chat import history
from tests.support.client import Api

MakeUser = Callable[..., Awaitable[Api]]
NEW = "new and not yet activated"


async def community(make_user: MakeUser, *names: str) -> tuple[Api, dict[str, Any], list[Api]]:
    owner = await make_user("olga", display_name="Olga")
    circle = await owner.create_circle("Runners", visibility="private")
    invite = (await owner.ok("POST", f"/api/circles/{circle['id']}/invites", {}))["invite"]
    people = [await make_user(n, display_name=n.title()) for n in names]
    for p in people:
        await p.join(circle["id"], invite)
    return owner, circle, people


async def sends(api: Api, circle: dict[str, Any]) -> list[dict[str, Any]]:
    return list((await api.ok("GET", f"/api/circles/{circle['id']}/outreach"))["outreach"])


async def send(api: Api, circle: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    return dict(
        (await api.ok("POST", f"/api/circles/{circle['id']}/outreach", body, status=201))[
            "outreach"
        ]
    )


async def refused(api: Api, circle: dict[str, Any], body: dict[str, Any], status: int) -> Any:
    resp = await api.post(f"/api/circles/{circle['id']}/outreach", body)
    assert resp.status_code == status, resp.text
    return resp.json()["error"]


async def dm_conversations(sock: Any) -> list[dict[str, Any]]:
    found = (await sock.ok("conversations", {}))["conversations"]
    return [c for c in found if c["kind"] == "dm"]


async def test_a_dm_to_a_segment_arrives_live_and_is_counted_read(
    make_user: MakeUser, make_sock: Any
) -> None:
    owner, circle, (ann, bob) = await community(make_user, "ann", "bob")
    ann_sock = await make_sock(ann)
    sent = await send(owner, circle, {"kind": "dm", "segment": NEW, "text": "Welcome! Say hi"})
    assert sent["recipients"] == 2 and sent["delivered"] == 2 and sent["skipped"] == 0
    assert sent["read"] == 0 and sent["signed_up"] == 0
    assert sent["audience"] == {"stage": None, "segment": NEW, "tag": None, "user_ids": False}
    assert sent["sent_by"] == {"id": owner.id, "display_name": "Olga"}
    # live: the DM opens and the message arrives on ann's socket
    new = await ann_sock.wait_for(
        "message:new", lambda e: e["message"]["text"] == "Welcome! Say hi"
    )
    msg = new["message"]
    assert msg["sender_id"] == owner.id
    convs = await dm_conversations(ann_sock)
    assert [c["id"] for c in convs] == [msg["conversation_id"]]
    # read: ann's position in that DM passes the message
    await ann_sock.ok("read", {"conversation_id": msg["conversation_id"], "seq": msg["seq"]})
    (listed,) = await sends(owner, circle)
    assert listed["id"] == sent["id"] and listed["read"] == 1 and listed["delivered"] == 2


async def test_an_invite_is_a_card_in_each_dm_and_sign_ups_afterwards_are_counted(
    make_user: MakeUser, make_sock: Any, clock: Any
) -> None:
    owner, circle, (ann, bob, cid) = await community(make_user, "ann", "bob", "cid")
    hike = await post_activity(owner, circle, clock.now(), capacity=5, title="Ridge walk")
    early = await make_sock(cid)  # signed up before the invite: not counted
    await early.ok("activity:signup", {"activity_id": hike["id"]})
    body = {"kind": "invite", "activity_id": hike["id"], "text": "Join us?"}
    sent = await send(owner, circle, {**body, "user_ids": [ann.id, bob.id, cid.id]})
    assert sent["activity_title"] == "Ridge walk" and sent["recipients"] == 3
    assert sent["audience"]["user_ids"] is True
    bob_sock = await make_sock(bob)
    (conv,) = await dm_conversations(bob_sock)
    (card_msg,) = [m for m in await history(bob_sock, conv["id"]) if m["kind"] == "card"]
    card = card_msg["card"]
    assert card["type"] == "invite" and card["activity_id"] == hike["id"]
    assert card["title"] == "Ridge walk" and card["note"] == "Join us?"
    assert card["circle_id"] == circle["id"] and card["starts_at"] == hike["starts_at"]
    await bob_sock.ok("activity:signup", {"activity_id": hike["id"]})
    (listed,) = await sends(owner, circle)
    assert listed["signed_up"] == 1  # bob; cid signed up before it was sent


async def test_an_announcement_is_one_card_in_the_circle_and_a_notification_to_each_tagged(
    make_user: MakeUser, make_sock: Any
) -> None:
    owner, circle, (ann, bob) = await community(make_user, "ann", "bob")
    tagged = await owner.ok(
        "PUT", f"/api/circles/{circle['id']}/members/{ann.id}/tags", {"tags": ["vip", "vip"]}
    )
    assert tagged == {"circle_id": circle["id"], "user_id": ann.id, "tags": ["vip"]}
    listed = await owner.ok("GET", f"/api/circles/{circle['id']}/members/lifecycle?tag=vip")
    assert [(m["user_id"], m["tags"]) for m in listed["members"]] == [(ann.id, ["vip"])]
    bob_sock = await make_sock(bob)
    sent = await send(owner, circle, {"kind": "announcement", "tag": "vip", "text": "Kit day!"})
    assert sent["recipients"] == 1 and sent["delivered"] == 1
    cards = [m for m in await history(bob_sock, circle["conversation_id"]) if m["kind"] == "card"]
    announcement = [c for c in cards if c["card"]["type"] == "announcement"]
    assert [c["card"]["note"] for c in announcement] == ["Kit day!"]
    assert announcement[0]["card"]["outreach_id"] == sent["id"]
    mine = (await ann.ok("GET", "/api/notifications"))["notifications"]
    told = [n for n in mine if n["kind"] == "announcement"]
    assert len(told) == 1 and told[0]["data"]["message_id"] == announcement[0]["id"]
    theirs = (await bob.ok("GET", "/api/notifications"))["notifications"]
    assert not [n for n in theirs if n["kind"] == "announcement"]
    ann_sock = await make_sock(ann)
    seq = announcement[0]["seq"]
    await ann_sock.ok("read", {"conversation_id": circle["conversation_id"], "seq": seq})
    assert (await sends(owner, circle))[0]["read"] == 1


async def test_a_retry_with_the_same_client_id_reaches_nobody_twice(
    make_user: MakeUser, make_sock: Any
) -> None:
    owner, circle, (ann,) = await community(make_user, "ann")
    body = {"kind": "dm", "user_ids": [ann.id], "text": "Once only", "client_id": "c-1"}
    first = await send(owner, circle, body)
    again = await send(owner, circle, body)
    assert again["id"] == first["id"] and again["delivered"] == 1
    ann_sock = await make_sock(ann)
    (conv,) = await dm_conversations(ann_sock)
    assert [m["text"] for m in await history(ann_sock, conv["id"])] == ["Once only"]
    assert len(await sends(owner, circle)) == 1


async def test_a_blocked_recipient_is_skipped_and_the_rest_reached(
    make_user: MakeUser, make_sock: Any
) -> None:
    owner, circle, (ann, bob) = await community(make_user, "ann", "bob")
    await bob.ok("POST", "/api/me/blocks", {"user_id": owner.id})
    sent = await send(owner, circle, {"kind": "dm", "segment": NEW, "text": "Hello"})
    assert (sent["recipients"], sent["delivered"], sent["skipped"]) == (2, 1, 1)
    assert await dm_conversations(await make_sock(bob)) == []


async def test_bad_sends_are_refused_naming_the_field_and_change_nothing(
    make_user: MakeUser, make_sock: Any, clock: Any
) -> None:
    owner, circle, (ann,) = await community(make_user, "ann")
    stranger = await make_user("sam")
    other = await owner.create_circle("Elsewhere")
    elsewhere = await post_activity(owner, other, clock.now())
    past = await post_activity(owner, circle, clock.now(), starts_in=timedelta(hours=1))
    cases: list[tuple[dict[str, Any], str]] = [
        ({"kind": "dm", "text": "x"}, "user_ids"),
        ({"kind": "dm", "text": "x", "user_ids": [ann.id], "segment": NEW}, "segment"),
        ({"kind": "dm", "text": "x", "user_ids": [stranger.id]}, "user_ids"),
        ({"kind": "dm", "text": "x", "user_ids": [owner.id]}, "user_ids"),
        ({"kind": "dm", "text": "x", "user_ids": []}, "user_ids"),
        ({"kind": "dm", "text": "", "user_ids": [ann.id]}, "text"),
        ({"kind": "dm", "text": "x", "stage": "champion"}, "stage"),
        ({"kind": "dm", "text": "x", "stage": "churned"}, "stage"),  # nobody matches
        ({"kind": "shout", "text": "x", "user_ids": [ann.id]}, "kind"),
        ({"kind": "invite", "text": "x", "user_ids": [ann.id]}, "activity_id"),
        (
            {"kind": "invite", "text": "x", "user_ids": [ann.id], "activity_id": elsewhere["id"]},
            "activity_id",
        ),
        (
            {"kind": "dm", "text": "x", "user_ids": [ann.id], "activity_id": past["id"]},
            "activity_id",
        ),
        ({"kind": "dm", "text": "x", "user_ids": [ann.id], "extra": 1}, "extra"),
    ]
    for body, field in cases:
        err = await refused(owner, circle, body, 422)
        assert err["code"] == "invalid", (body, err)
        assert field in err["details"]["fields"], (body, err)
    clock.advance(2 * 3600)  # the servers' clock: the "past" activity has started now
    body = {"kind": "invite", "text": "x", "user_ids": [ann.id], "activity_id": past["id"]}
    assert "activity_id" in (await refused(owner, circle, body, 422))["details"]["fields"]
    tags = f"/api/circles/{circle['id']}/members/{ann.id}/tags"
    for bad in ({"tags": ["Not A Slug"]}, {"tags": [f"t{i}" for i in range(11)]}, {}):
        resp = await owner.request("PUT", tags, json=bad)
        assert resp.status_code == 422, resp.text
    missing = await owner.request(
        "PUT", f"/api/circles/{circle['id']}/members/{stranger.id}/tags", json={"tags": ["x"]}
    )
    assert missing.status_code == 404, missing.text
    assert await sends(owner, circle) == []
    assert await dm_conversations(await make_sock(ann)) == []
    listed = await owner.ok("GET", f"/api/circles/{circle['id']}/members/lifecycle")
    assert all(m["tags"] == [] for m in listed["members"])


async def test_only_owners_and_admins_send_list_and_tag(
    make_user: MakeUser, make_sock: Any
) -> None:
    owner, circle, (ann, bob) = await community(make_user, "ann", "bob")
    outsider = await make_user("out")
    await send(owner, circle, {"kind": "dm", "user_ids": [bob.id], "text": "psst"})
    path = f"/api/circles/{circle['id']}"
    body = {"kind": "dm", "user_ids": [bob.id], "text": "from a member"}
    for who, status in ((ann, 403), (outsider, 404)):
        assert (await who.post(f"{path}/outreach", body)).status_code == status
        assert (await who.get(f"{path}/outreach")).status_code == status
        put = await who.request("PUT", f"{path}/members/{bob.id}/tags", json={"tags": ["x"]})
        assert put.status_code == status
        assert (await who.get(f"{path}/members/lifecycle?tag=x")).status_code == status
    anon = Api(owner.base_url)
    assert (await anon.get(f"{path}/outreach")).status_code == 401
    await anon.aclose()
    # an admin may; what they sent is listed beside the owner's
    await owner.ok("PUT", f"{path}/roles", {"user_id": ann.id, "role": "admin"})
    await send(ann, circle, {"kind": "dm", "user_ids": [bob.id], "text": "admin here"})
    assert [s["sent_by"]["id"] for s in await sends(owner, circle)] == [ann.id, owner.id]
    bob_sock = await make_sock(bob)
    texts = [c["last_message"]["text"] for c in await dm_conversations(bob_sock)]
    assert sorted(texts) == ["admin here", "psst"]
