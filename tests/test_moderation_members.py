"""Moderation of members (issue 14 item 2): mute, kick, ban and unban with reasons, each in the
audit log; refusals change nothing."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.support.activities import post_activity
from tests.support.chat import history, refused, say
from tests.support.client import Api
from tests.support.staff import staffed_circle


async def circle_of(
    make_user: Any, visibility: str = "public"
) -> tuple[dict[str, Any], dict[str, Api]]:
    """owner, an admin, a moderator and two members (bob, carol)."""
    return await staffed_circle(
        make_user,
        ("owner", "admin", "mod", "bob", "carol"),
        {"admin": "admin", "mod": "moderator"},
        visibility,
        "Mod",
    )


async def act(actor: Api, circle_id: str, action: str, **body: Any) -> Any:
    return await actor.post(f"/api/circles/{circle_id}/{action}", body)


async def audit(api: Api, circle_id: str) -> list[dict[str, Any]]:
    return list((await api.ok("GET", f"/api/circles/{circle_id}/audit"))["entries"])


async def member_ids(api: Api, circle_id: str) -> set[str]:
    members = (await api.ok("GET", f"/api/circles/{circle_id}/members"))["members"]
    return {m["user"]["id"] for m in members}


async def test_muted_member_reads_but_cannot_send_until_the_time_is_up(make_user, make_sock, clock):
    circle, p = await circle_of(make_user)
    cid, conv = circle["id"], circle["conversation_id"]
    sb, sc = await make_sock(p["bob"]), await make_sock(p["carol"])
    resp = await act(p["mod"], cid, "mute", user_id=p["bob"].id, seconds=600, reason="flooding")
    assert resp.status_code == 200, resp.text
    until = resp.json()["muted_until"]
    err = await refused(
        sb, "message:send", {"conversation_id": conv, "client_id": "m1", "text": "hey"}
    )
    assert err["code"] == "forbidden" and err["details"]["reason"] == "muted"
    assert 590 <= err["details"]["retry_after"] <= 600 and err["details"]["muted_until"] == until
    assert "600 more seconds" in err["message"] or "599 more seconds" in err["message"]
    # reading still works, live and by history
    said = await say(sc, conv, "carol speaks")
    await sb.wait_for("message:new", lambda e: e["message"]["id"] == said["id"])
    assert [m["id"] for m in await history(sb, conv)] == [said["id"]]
    perms = await p["bob"].ok("GET", f"/api/circles/{cid}/permissions")
    assert perms["muted_until"] == until
    clock.advance(601)
    await say(sb, conv, "back")
    assert (await p["bob"].ok("GET", f"/api/circles/{cid}/permissions"))["muted_until"] is None
    # unmute lifts a mute at once
    await act(p["admin"], cid, "mute", user_id=p["bob"].id, seconds=60)
    await refused(sb, "message:send", {"conversation_id": conv, "client_id": "m2", "text": "x"})
    resp = await act(p["mod"], cid, "unmute", user_id=p["bob"].id, reason="apologised")
    assert resp.status_code == 204
    await say(sb, conv, "thanks")
    resp = await act(p["mod"], cid, "unmute", user_id=p["bob"].id)
    assert resp.status_code == 409 and resp.json()["error"]["details"]["reason"] == "not_muted"
    log = await audit(p["owner"], cid)
    assert [(e["action"], e["actor_id"], e["reason"]) for e in log[:3]] == [
        ("unmute", p["mod"].id, "apologised"),
        ("mute", p["admin"].id, ""),
        ("mute", p["mod"].id, "flooding"),
    ]
    assert log[2]["target_id"] == p["bob"].id and log[2]["details"] == {"seconds": 600}
    assert log[2]["at"] < log[1]["at"] < log[0]["at"]


async def test_moderation_refusals_change_nothing(make_user, make_sock):
    circle, p = await circle_of(make_user)
    cid = circle["id"]
    outsider = await make_user("outsider")
    cases = [
        (p["bob"], "mute", {"user_id": p["carol"].id, "seconds": 60}, 403),  # a member
        (p["mod"], "mute", {"user_id": p["admin"].id, "seconds": 60}, 403),  # above them
        (p["mod"], "mute", {"user_id": p["mod"].id, "seconds": 60}, 403),  # themselves
        (p["admin"], "kick", {"user_id": p["owner"].id}, 403),
        (p["mod"], "ban", {"user_id": p["admin"].id}, 403),
        (p["mod"], "mute", {"user_id": outsider.id, "seconds": 60}, 409),  # not a member
        (p["mod"], "kick", {"user_id": outsider.id}, 409),
        (p["mod"], "mute", {"user_id": p["bob"].id, "seconds": 0}, 422),
        (p["mod"], "ban", {"user_id": "nosuchuser"}, 404),
        (p["mod"], "unban", {"user_id": p["bob"].id}, 409),
        (outsider, "kick", {"user_id": p["bob"].id}, 403),
    ]
    before = await member_ids(p["owner"], cid)
    for actor, action, body, status in cases:
        resp = await act(actor, cid, action, **body)
        assert resp.status_code == status, (action, body, resp.text)
    assert await member_ids(p["owner"], cid) == before
    assert {e["action"] for e in await audit(p["owner"], cid)} == {"set_role"}  # setup only
    sb = await make_sock(p["bob"])
    await say(sb, circle["conversation_id"], "still here, unmuted")
    resp = await p["bob"].get(f"/api/circles/{cid}/audit")
    assert resp.status_code == 403
    resp = await p["bob"].get(f"/api/circles/{cid}/bans")
    assert resp.status_code == 403


async def test_kick_removes_and_the_member_may_rejoin(make_user, make_sock):
    circle, p = await circle_of(make_user)
    cid, conv = circle["id"], circle["conversation_id"]
    sb, so = await make_sock(p["bob"]), await make_sock(p["owner"])
    resp = await act(p["mod"], cid, "kick", user_id=p["bob"].id, reason="off topic")
    assert resp.status_code == 204, resp.text
    gone = await sb.wait_for("circle:removed")
    assert gone == {"circle_id": cid, "conversation_id": conv, "reason": "kicked"}
    assert p["bob"].id not in await member_ids(p["owner"], cid)
    listed = (await sb.ok("conversations", {}))["conversations"]
    assert conv not in {c["id"] for c in listed}
    later = await say(so, conv, "after the kick")
    err = await refused(sb, "history", {"conversation_id": conv})
    assert err["code"] == "not_found"
    await asyncio.sleep(0.3)
    assert later["id"] not in {m["id"] for m in sb.messages(conv)}
    assert (await p["bob"].join(cid))["role"] == "member"
    entry = (await audit(p["owner"], cid))[0]
    assert (entry["action"], entry["target_id"], entry["reason"]) == (
        "kick",
        p["bob"].id,
        "off topic",
    )


async def test_ban_keeps_a_user_out_by_every_path_until_unbanned(make_user, make_sock):
    circle, p = await circle_of(make_user)
    cid, conv = circle["id"], circle["conversation_id"]
    sb = await make_sock(p["bob"])
    resp = await act(p["mod"], cid, "ban", user_id=p["bob"].id, reason="spam")
    assert resp.status_code == 200, resp.text
    assert resp.json()["ban"]["reason"] == "spam" and resp.json()["ban"]["banned_by"] == p["mod"].id
    assert (await sb.wait_for("circle:removed"))["reason"] == "banned"
    assert p["bob"].id not in await member_ids(p["owner"], cid)
    resp = await p["bob"].post(f"/api/circles/{cid}/join", {})
    assert resp.status_code == 403 and resp.json()["error"]["details"]["reason"] == "banned"
    invite = (await p["owner"].ok("POST", f"/api/circles/{cid}/invites"))["invite"]
    resp = await p["bob"].post(f"/api/circles/{cid}/join", {"invite": invite})
    assert resp.status_code == 403
    err = await refused(
        sb, "message:send", {"conversation_id": conv, "client_id": "b1", "text": "hi"}
    )
    assert err["code"] == "not_found"
    assert p["bob"].id not in await member_ids(p["owner"], cid)
    # banning again answers the same ban; a preemptive ban of a non-member works too
    again = await act(p["admin"], cid, "ban", user_id=p["bob"].id, reason="again")
    assert again.json()["ban"]["reason"] == "spam"
    stranger = await make_user("stranger")
    await act(p["mod"], cid, "ban", user_id=stranger.id)
    resp = await stranger.post(f"/api/circles/{cid}/join", {})
    assert resp.status_code == 403
    bans = (await p["mod"].ok("GET", f"/api/circles/{cid}/bans"))["bans"]
    assert {b["user_id"] for b in bans} == {p["bob"].id, stranger.id}
    resp = await act(p["mod"], cid, "unban", user_id=p["bob"].id, reason="second chance")
    assert resp.status_code == 204
    assert (await p["bob"].join(cid))["role"] == "member"
    actions = [(e["action"], e["target_id"]) for e in await audit(p["owner"], cid)][:3]
    assert actions == [("unban", p["bob"].id), ("ban", stranger.id), ("ban", p["bob"].id)]


async def test_banned_user_cannot_see_or_rejoin_a_private_circle(make_user, make_sock):
    circle, p = await circle_of(make_user, "private")
    cid = circle["id"]
    await act(p["owner"], cid, "ban", user_id=p["carol"].id, reason="leaked photos")
    invite = (await p["owner"].ok("POST", f"/api/circles/{cid}/invites"))["invite"]
    for method, path, body in (
        ("GET", f"/api/circles/{cid}", None),
        ("POST", f"/api/circles/{cid}/join", {"invite": invite}),
        ("GET", f"/api/circles/{cid}/rules", None),
        ("GET", f"/api/circles/{cid}/permissions", None),
    ):
        resp = await p["carol"].request(method, path, json=body)
        assert resp.status_code == 404, (path, resp.text)
    assert p["carol"].id not in await member_ids(p["owner"], cid)
    listed = (await p["carol"].ok("GET", "/api/circles"))["circles"]
    assert cid not in {c["id"] for c in listed}
    # outsiders learn nothing of the audit log or the bans either
    for path in ("audit", "bans"):
        resp = await p["carol"].get(f"/api/circles/{cid}/{path}")
        assert resp.status_code == 404


async def test_a_join_racing_a_ban_never_leaves_a_banned_member(make_user):
    owner = await make_user("owner")
    circle = await owner.create_circle(f"Race {uuid.uuid4().hex[:6]}")
    cid = circle["id"]
    for _ in range(5):
        user = await make_user("racer")
        results = await asyncio.gather(
            user.post(f"/api/circles/{cid}/join", {}),
            act(owner, cid, "ban", user_id=user.id),
            user.post(f"/api/circles/{cid}/join", {}),
        )
        assert results[1].status_code == 200
        assert user.id not in await member_ids(owner, cid)
        resp = await user.get(f"/api/circles/{cid}/permissions")
        assert resp.status_code == 403


async def test_audit_log_pages_by_time(make_user):
    circle, p = await circle_of(make_user)
    cid = circle["id"]
    for i in range(5):
        await act(p["mod"], cid, "mute", user_id=p["bob"].id, seconds=10 + i, reason=f"r{i}")
    first = (await p["mod"].get(f"/api/circles/{cid}/audit", params={"limit": 2})).json()
    assert [e["reason"] for e in first["entries"]] == ["r4", "r3"]
    second = (
        await p["mod"].get(
            f"/api/circles/{cid}/audit", params={"limit": 2, "before": first["next_before"]}
        )
    ).json()
    assert [e["reason"] for e in second["entries"]] == ["r2", "r1"]
    third = (
        await p["mod"].get(
            f"/api/circles/{cid}/audit", params={"limit": 10, "before": second["next_before"]}
        )
    ).json()
    assert [e["reason"] for e in third["entries"]] == ["r0", "", ""]  # then the two role changes
    assert third["next_before"] is None
    resp = await p["mod"].get(f"/api/circles/{cid}/audit", params={"limit": 0})
    assert resp.status_code == 422


async def test_a_banned_user_cannot_rejoin_by_signing_up_to_an_activity(
    make_user, make_sock, clock
):
    circle, p = await circle_of(make_user)
    act_ = await post_activity(p["owner"], circle, clock.now(), title="Picnic")
    await act(p["mod"], circle["id"], "ban", user_id=p["bob"].id)
    sb = await make_sock(p["bob"])
    err = await refused(sb, "activity:signup", {"activity_id": act_["id"]})
    assert err["code"] == "forbidden" and err["details"]["reason"] == "banned"
    assert p["bob"].id not in await member_ids(p["owner"], circle["id"])
    going = (await p["owner"].ok("GET", f"/api/activities/{act_['id']}"))["activity"]
    assert going["confirmed_count"] == 0 and going["held_count"] == 0


async def test_concurrent_mutes_of_one_member_all_succeed_and_one_mute_stands(make_user, make_sock):
    circle, p = await circle_of(make_user)
    cid = circle["id"]
    results = await asyncio.gather(
        *(act(who, cid, "mute", user_id=p["bob"].id, seconds=100 + i)
          for i, who in enumerate([p["owner"], p["admin"], p["mod"]] * 4))
    )  # fmt: skip
    assert [r.status_code for r in results] == [200] * 12, [r.text for r in results]
    ends = {r.json()["muted_until"] for r in results}
    perms = await p["bob"].ok("GET", f"/api/circles/{cid}/permissions")
    assert perms["muted_until"] in ends
    sb = await make_sock(p["bob"])
    err = await refused(sb, "message:send", {"conversation_id": circle["conversation_id"],
                                             "client_id": "c", "text": "x"})  # fmt: skip
    assert err["details"]["reason"] == "muted"
    assert len([e for e in await audit(p["owner"], cid) if e["action"] == "mute"]) == 12
