"""Deciding report queue items (issue 14 item 3): dismiss, remove, mute, kick, ban, each through
the moderation and message services (so the audit log records it), made once; reporters are told
the outcome without the moderator, and the reported user never learns who reported them."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.chat import history, refused, say
from tests.support.client import Api
from tests.support.posts import publish
from tests.test_moderation_reports import circle_of, filed, queue, report


async def decide(api: Api, circle_id: str, item_id: str, action: str, **body: Any) -> Any:
    return await api.post(
        f"/api/circles/{circle_id}/reports/decision",
        {"item_id": item_id, "action": action, **body},
    )


async def notices(api: Api) -> list[dict[str, Any]]:
    return list((await api.ok("GET", "/api/notifications"))["notifications"])


async def outcomes(api: Api) -> list[dict[str, Any]]:
    return [n for n in await notices(api) if n["kind"] == "report_outcome"]


async def audit(api: Api, circle_id: str) -> list[dict[str, Any]]:
    return list((await api.ok("GET", f"/api/circles/{circle_id}/audit"))["entries"])


async def test_removing_a_reported_message_closes_the_item_and_tells_the_reporters(
    make_user, make_sock
):
    circle, p = await circle_of(make_user)
    cid, conv = circle["id"], circle["conversation_id"]
    sb, sc = await make_sock(p["bob"]), await make_sock(p["carol"])
    bad = await say(sb, conv, "buy followers at spam.example")
    mine = await filed(p["carol"], cid, "message", bad["id"])
    await filed(p["dave"], cid, "message", bad["id"], reason="scam")
    item = (await queue(p["mod"], cid))["items"][0]
    resp = await decide(p["mod"], cid, item["id"], "remove", reason="spam link")
    assert resp.status_code == 200, resp.text
    done = resp.json()["item"]
    assert done["status"] == "decided" and done["decision"]["outcome"] == "removed"
    assert done["decision"]["decided_by"] == p["mod"].id and done["excerpt"] == bad["text"]
    gone = next(m for m in await history(sb, conv) if m["id"] == bad["id"])
    assert gone["deleted"] is True and gone["removed_by"] == "moderator" and gone["text"] == ""
    # a decision is made once
    again = await decide(p["admin"], cid, item["id"], "dismiss")
    assert again.status_code == 409 and again.json()["error"]["details"]["reason"] == "decided"
    assert (await queue(p["mod"], cid))["items"] == []
    closed = (await queue(p["mod"], cid, status="decided"))["items"]
    assert [i["id"] for i in closed] == [item["id"]]
    log = await audit(p["owner"], cid)
    assert [(e["action"], e["actor_id"], e["target_id"]) for e in log[:2]] == [
        ("review_report", p["mod"].id, p["bob"].id),
        ("delete_message", p["mod"].id, bad["id"]),
    ]
    assert log[0]["details"]["outcome"] == "removed" and log[0]["reason"] == "spam link"
    # each reporter told once, live and stored, never naming the moderator
    live = await sc.wait_for("notification")
    assert live["notification"]["kind"] == "report_outcome"
    for reporter in (p["carol"], p["dave"]):
        told = await outcomes(reporter)
        assert len(told) == 1 and told[0]["data"]["outcome"] == "removed"
        text = repr(told[0])
        assert p["mod"].id not in text and p["mod"].user["display_name"] not in text
        assert "spam link" not in text
    assert (await outcomes(p["carol"]))[0]["data"]["report_id"] == mine["id"]
    # the reporter's repeat answers the outcome; the reported user learns no reporter
    assert (await filed(p["carol"], cid, "message", bad["id"]))["outcome"] == "removed"
    assert len(await outcomes(p["carol"])) == 1
    for n in await notices(p["bob"]):
        for who in (p["carol"], p["dave"]):
            assert who.id not in repr(n) and who.user["display_name"] not in repr(n)


async def test_concurrent_decisions_make_exactly_one(make_user, make_sock):
    circle, p = await circle_of(make_user)
    cid = circle["id"]
    await filed(p["carol"], cid, "member", p["bob"].id, reason="harassment")
    item = (await queue(p["mod"], cid))["items"][0]
    answers = await asyncio.gather(
        decide(p["mod"], cid, item["id"], "dismiss"),
        decide(p["admin"], cid, item["id"], "kick"),
        decide(p["owner"], cid, item["id"], "mute", seconds=60),
        decide(p["mod"], cid, item["id"], "dismiss"),
    )
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409, 409, 409], [a.text for a in answers]
    won = next(a.json()["item"]["decision"] for a in answers if a.status_code == 200)
    reviews = [e for e in await audit(p["owner"], cid) if e["action"] == "review_report"]
    assert len(reviews) == 1 and reviews[0]["details"]["outcome"] == won["outcome"]
    sanctions = [e for e in await audit(p["owner"], cid) if e["action"] in ("kick", "mute")]
    assert len(sanctions) == (0 if won["outcome"] == "dismissed" else 1)
    told = await outcomes(p["carol"])
    assert [n["data"]["outcome"] for n in told] == [won["outcome"]]


async def test_actions_on_the_reported_author_and_member(make_user, make_sock):
    circle, p = await circle_of(make_user, extra=("erin",))
    cid, conv = circle["id"], circle["conversation_id"]
    await p["owner"].ok("PUT", f"/api/circles/{cid}/posts/settings", {"members_can_post": True})
    post = await publish(p["bob"], cid, text="Fake tickets")
    await filed(p["carol"], cid, "post", post["id"], reason="scam")
    await filed(p["carol"], cid, "member", p["dave"].id, reason="harassment")
    se = await make_sock(p["erin"])
    rude = await say(se, conv, "rude words")
    await filed(p["carol"], cid, "message", rude["id"], reason="harassment")
    items = {i["kind"]: i for i in (await queue(p["mod"], cid))["items"]}
    # a post removed
    resp = await decide(p["mod"], cid, items["post"]["id"], "remove", reason="fraud")
    assert resp.status_code == 200, resp.text
    assert (await p["carol"].get(f"/api/posts/{post['id']}")).status_code == 404
    assert resp.json()["item"]["context"]["post"] is None
    assert resp.json()["item"]["excerpt"] == "Fake tickets"
    entry = next(e for e in await audit(p["owner"], cid) if e["action"] == "delete_post")
    assert entry["target_id"] == post["id"] and entry["details"]["author_id"] == p["bob"].id
    # a reported member muted
    resp = await decide(p["mod"], cid, items["member"]["id"], "mute", seconds=600, reason="x")
    assert resp.status_code == 200, resp.text
    sd = await make_sock(p["dave"])
    err = await refused(
        sd, "message:send", {"conversation_id": conv, "client_id": "d1", "text": "hi"}
    )
    assert err["code"] == "forbidden" and err["details"]["reason"] == "muted"
    # a message's sender banned
    resp = await decide(p["mod"], cid, items["message"]["id"], "ban", reason="abuse")
    assert resp.status_code == 200, resp.text
    assert (await se.wait_for("circle:removed"))["reason"] == "banned"
    bans = (await p["mod"].ok("GET", f"/api/circles/{cid}/bans"))["bans"]
    assert [b["user_id"] for b in bans] == [p["erin"].id]
    told = {n["data"]["kind"]: n for n in await outcomes(p["carol"])}
    assert {k: n["data"]["outcome"] for k, n in told.items()} == {
        "post": "removed", "member": "muted", "message": "banned",
    }  # fmt: skip
    assert "removed the post" in told["post"]["body"]
    # the reported users were told nothing naming their reporter
    for api in (p["bob"], p["dave"]):
        for n in await notices(api):
            assert p["carol"].id not in repr(n) and p["carol"].user["display_name"] not in repr(n)


async def test_refused_decisions_change_nothing(make_user, make_sock):
    circle, p = await circle_of(make_user)
    cid, conv = circle["id"], circle["conversation_id"]
    await filed(p["carol"], cid, "member", p["admin"].id, reason="harassment")
    await filed(p["carol"], cid, "member", p["bob"].id, reason="spam")
    await filed(p["carol"], cid, "member", p["mod"].id, reason="other")
    items = {i["subject_id"]: i for i in (await queue(p["mod"], cid))["items"]}
    on_admin, on_bob = items[p["admin"].id]["id"], items[p["bob"].id]["id"]
    on_mod = items[p["mod"].id]["id"]
    cases = [
        (p["mod"], on_mod, {"action": "dismiss"}, 403),  # a report about themselves
        (p["mod"], on_admin, {"action": "ban"}, 403),  # above the moderator
        (p["mod"], on_admin, {"action": "kick"}, 403),
        (p["mod"], on_bob, {"action": "remove"}, 422),  # a member is not content
        (p["mod"], on_bob, {"action": "mute"}, 422),  # how long?
        (p["mod"], on_bob, {"action": "kick", "seconds": 5}, 422),
        (p["mod"], on_bob, {"action": "mute", "seconds": 0}, 422),
        (p["mod"], on_bob, {"action": "pardon"}, 422),
        (p["mod"], on_bob, {"action": "dismiss", "outcome": "banned"}, 422),
        (p["mod"], "nosuchitem", {"action": "dismiss"}, 404),
    ]
    for api, item, body, status in cases:
        resp = await api.post(f"/api/circles/{cid}/reports/decision", {"item_id": item, **body})
        assert resp.status_code == status, (body, resp.text)
    # the member left after being reported: kicking them is refused, and the item stays open
    await p["bob"].ok("POST", f"/api/circles/{cid}/leave")
    resp = await decide(p["mod"], cid, on_bob, "kick")
    assert resp.status_code == 409 and resp.json()["error"]["details"]["reason"] == "not_member"
    still = (await queue(p["mod"], cid))["items"]
    assert {i["id"] for i in still} == {on_admin, on_bob, on_mod}
    assert all(i["decision"] is None for i in still)
    assert {e["action"] for e in await audit(p["owner"], cid)} == {"set_role"}  # setup only
    assert await outcomes(p["carol"]) == []
    # the owner may act on the admin; bob's item can still be decided
    assert (await decide(p["owner"], cid, on_admin, "dismiss")).status_code == 200
    assert (await decide(p["mod"], cid, on_bob, "ban", reason="left")).status_code == 200
    sc = await make_sock(p["carol"])
    await say(sc, conv, "thanks")


async def test_a_decided_target_reported_again_opens_a_new_item(make_user):
    circle, p = await circle_of(make_user)
    cid = circle["id"]
    first = await filed(p["carol"], cid, "member", p["bob"].id)
    item = (await queue(p["mod"], cid))["items"][0]
    assert (await decide(p["mod"], cid, item["id"], "dismiss")).status_code == 200
    # carol's report stands decided; dave's opens the next round
    assert (await filed(p["carol"], cid, "member", p["bob"].id))["id"] == first["id"]
    newer = await filed(p["dave"], cid, "member", p["bob"].id)
    assert newer["status"] == "open"
    open_items = (await queue(p["mod"], cid))["items"]
    assert len(open_items) == 1 and open_items[0]["id"] != item["id"]
    assert [r["reporter_id"] for r in open_items[0]["reports"]] == [p["dave"].id]
    assert (await report(p["carol"], cid, "member", p["bob"].id)).json()["report"]["outcome"] == (
        "dismissed"
    )
