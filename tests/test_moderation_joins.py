"""Join approval (issue 14 item 4): a circle that approves its members takes join requests with
answers; staff approve (a membership, as any join) or decline (the user is told why); each
request is decided once; refusals change nothing; private circles' requests stay invisible."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from tests.support.activities import post_activity
from tests.support.chat import refused
from tests.support.client import Api

QUESTIONS = ["Why do you want to join?", "Have you hiked before?"]


def code(resp: httpx.Response) -> tuple[int, str, dict[str, Any]]:
    err = resp.json()["error"]
    return resp.status_code, err["code"], err.get("details") or {}


async def approving_circle(
    make_user: Any, visibility: str = "public", **settings: Any
) -> tuple[dict[str, Any], dict[str, Api]]:
    """owner, an admin, a moderator and a member (carol); bob and eve are outsiders."""
    people = {n: await make_user(n) for n in ("owner", "admin", "mod", "carol", "bob", "eve")}
    circle = await people["owner"].create_circle(f"Approve {uuid.uuid4().hex[:6]}", visibility)
    cid = circle["id"]
    invite = None
    if visibility == "private":
        invite = (await people["owner"].ok("POST", f"/api/circles/{cid}/invites"))["invite"]
    for name in ("admin", "mod", "carol"):
        await people[name].join(cid, invite)
    for name, role in (("admin", "admin"), ("mod", "moderator")):
        await people["owner"].ok(
            "PUT", f"/api/circles/{cid}/roles", {"user_id": people[name].id, "role": role}
        )
    body = {"required": True, "questions": QUESTIONS, **settings}
    circle = (await people["owner"].ok("PUT", f"/api/circles/{cid}/join-approval", body))["circle"]
    return circle, people


async def ask(api: Api, cid: str, answers: list[str] | None = None, **extra: Any) -> httpx.Response:
    body = {"answers": ["I love hills", "Yes"] if answers is None else answers, **extra}
    return await api.post(f"/api/circles/{cid}/join-requests", body)


async def decide(api: Api, cid: str, what: str, user_id: str, **extra: Any) -> httpx.Response:
    return await api.post(f"/api/circles/{cid}/join-requests/{what}", {"user_id": user_id, **extra})


async def pending_ids(api: Api, cid: str) -> list[str]:
    found = (await api.ok("GET", f"/api/circles/{cid}/join-requests"))["requests"]
    return [r["user_id"] for r in found]


async def member_ids(api: Api, cid: str) -> set[str]:
    members = (await api.ok("GET", f"/api/circles/{cid}/members"))["members"]
    return {m["user"]["id"] for m in members}


async def test_only_owners_and_admins_set_approval_and_bad_settings_change_nothing(make_user):
    circle, p = await approving_circle(make_user)
    cid = circle["id"]
    assert circle["join_approval"] is True and circle["join_questions"] == QUESTIONS
    assert circle["invites_skip_approval"] is False
    for who in ("mod", "carol"):
        resp = await p[who].request(
            "PUT", f"/api/circles/{cid}/join-approval", json={"required": False}
        )
        assert code(resp)[:2] == (403, "forbidden")
    too_many = {"required": True, "questions": [f"q{i}?" for i in range(6)]}
    for bad in (too_many, {"required": True, "questions": [" "]}, {"required": "yes"}):
        resp = await p["admin"].request("PUT", f"/api/circles/{cid}/join-approval", json=bad)
        assert code(resp)[:2] == (422, "invalid"), resp.text
    seen = (await p["bob"].ok("GET", f"/api/circles/{cid}"))["circle"]
    assert seen["join_approval"] is True and seen["join_questions"] == QUESTIONS


async def test_a_join_becomes_a_request_that_a_moderator_approves(make_user, make_sock):
    circle, p = await approving_circle(make_user)
    cid, conv = circle["id"], circle["conversation_id"]
    resp = await p["bob"].post(f"/api/circles/{cid}/join", {})
    status, err, details = code(resp)
    assert (status, err, details["reason"]) == (409, "conflict", "approval_required")
    assert details["questions"] == QUESTIONS
    resp = await ask(p["bob"], cid, ["only one"])
    assert code(resp)[:2] == (422, "invalid") and "answers" in code(resp)[2]["fields"]
    assert await pending_ids(p["mod"], cid) == []
    resp = await ask(p["bob"], cid)
    assert resp.status_code == 201, resp.text
    request = resp.json()["request"]
    assert request["status"] == "pending" and request["answers"] == [
        {"question": QUESTIONS[0], "answer": "I love hills"},
        {"question": QUESTIONS[1], "answer": "Yes"},
    ]
    again = await ask(p["bob"], cid, ["changed my mind", "No"])  # idempotent while pending
    assert again.json()["request"] == request
    # members who are not staff see nothing; staff see the request with the answers
    resp = await p["carol"].get(f"/api/circles/{cid}/join-requests")
    assert code(resp)[:2] == (403, "forbidden")
    listed = (await p["mod"].ok("GET", f"/api/circles/{cid}/join-requests"))["requests"]
    assert [(r["user"]["id"], r["answers"]) for r in listed] == [(p["bob"].id, request["answers"])]
    assert p["bob"].id not in await member_ids(p["carol"], cid)
    sb, sc = await make_sock(p["bob"]), await make_sock(p["carol"])
    resp = await decide(p["mod"], cid, "approve", p["bob"].id)
    assert resp.status_code == 200, resp.text
    assert resp.json()["membership"]["role"] == "member"
    told = await sb.wait_for("circle:join_decided")
    assert told == {"circle_id": cid, "name": circle["name"], "status": "approved", "reason": ""}
    await sb.wait_for("conversation:new", lambda e: e["conversation"]["id"] == conv)
    count = await sc.wait_for("circle:members", lambda e: e["circle_id"] == cid)
    assert count["member_count"] == 5
    assert p["bob"].id in await member_ids(p["carol"], cid)
    assert await pending_ids(p["mod"], cid) == []
    mine = (await p["bob"].ok("GET", f"/api/circles/{cid}/join-requests/mine"))["request"]
    assert mine["status"] == "approved"
    resp = await decide(p["admin"], cid, "decline", p["bob"].id)
    assert code(resp) == (409, "conflict", {"reason": "already_decided", "status": "approved"})
    resp = await ask(p["bob"], cid)
    assert code(resp)[2]["reason"] == "already_member"


async def test_a_declined_user_is_told_why_and_may_ask_again(make_user, make_sock):
    circle, p = await approving_circle(make_user)
    cid = circle["id"]
    await ask(p["bob"], cid)
    sb = await make_sock(p["bob"])
    resp = await decide(p["carol"], cid, "decline", p["bob"].id, reason="spam")
    assert code(resp)[:2] == (403, "forbidden")
    resp = await decide(p["admin"], cid, "decline", p["bob"].id, reason="not a hiker")
    assert resp.status_code == 200 and resp.json()["request"]["status"] == "declined"
    told = await sb.wait_for("circle:join_decided")
    assert (told["status"], told["reason"]) == ("declined", "not a hiker")
    mine = (await p["bob"].ok("GET", f"/api/circles/{cid}/join-requests/mine"))["request"]
    assert (mine["status"], mine["reason"]) == ("declined", "not a hiker")
    assert p["bob"].id not in await member_ids(p["carol"], cid)
    resp = await decide(p["mod"], cid, "approve", p["bob"].id)
    assert code(resp)[2] == {"reason": "already_decided", "status": "declined"}
    assert p["bob"].id not in await member_ids(p["carol"], cid)
    resp = await ask(p["bob"], cid, ["I hike now", "Yes"])
    assert resp.status_code == 201 and resp.json()["request"]["status"] == "pending"
    assert await pending_ids(p["mod"], cid) == [p["bob"].id]


async def test_the_requester_withdraws_and_nobody_can_decide_it_after(make_user):
    circle, p = await approving_circle(make_user)
    cid = circle["id"]
    resp = await p["bob"].request("DELETE", f"/api/circles/{cid}/join-requests/mine")
    assert code(resp)[:2] == (404, "not_found")
    await ask(p["bob"], cid)
    resp = await p["bob"].request("DELETE", f"/api/circles/{cid}/join-requests/mine")
    assert resp.status_code == 204
    assert await pending_ids(p["mod"], cid) == []
    resp = await decide(p["mod"], cid, "approve", p["bob"].id)
    assert code(resp)[2] == {"reason": "already_decided", "status": "withdrawn"}
    assert p["bob"].id not in await member_ids(p["carol"], cid)
    resp = await decide(p["mod"], cid, "approve", p["eve"].id)  # never asked
    assert code(resp)[:2] == (404, "not_found")


async def test_concurrent_approve_and_decline_decide_once(make_user):
    circle, p = await approving_circle(make_user)
    cid = circle["id"]
    for _ in range(3):
        await ask(p["bob"], cid)
        approve, decline = await asyncio.gather(
            decide(p["mod"], cid, "approve", p["bob"].id),
            decide(p["admin"], cid, "decline", p["bob"].id, reason="full"),
        )
        codes = sorted([approve.status_code, decline.status_code])
        assert codes == [200, 409], (approve.text, decline.text)
        mine = (await p["bob"].ok("GET", f"/api/circles/{cid}/join-requests/mine"))["request"]
        won = "approved" if approve.status_code == 200 else "declined"
        assert mine["status"] == won
        loser = decline if won == "approved" else approve
        assert code(loser)[2] == {"reason": "already_decided", "status": won}
        assert (p["bob"].id in await member_ids(p["carol"], cid)) == (won == "approved")
        if won == "approved":
            await p["bob"].ok("POST", f"/api/circles/{cid}/leave")


async def test_private_circle_requests_need_an_invite_and_stay_invisible(make_user):
    circle, p = await approving_circle(make_user, "private")
    cid = circle["id"]
    for path in ("join-requests", "join-requests/mine"):
        resp = await p["eve"].get(f"/api/circles/{cid}/{path}")
        assert code(resp)[:2] == (404, "not_found"), path
    resp = await ask(p["eve"], cid)
    assert code(resp)[:2] == (404, "not_found")
    invite = (await p["owner"].ok("POST", f"/api/circles/{cid}/invites"))["invite"]
    # by default an invite still needs approval: the refusal carries the questions
    resp = await p["eve"].post(f"/api/circles/{cid}/join", {"invite": invite})
    assert code(resp)[2] == {"reason": "approval_required", "questions": QUESTIONS}
    resp = await ask(p["eve"], cid, invite=invite)
    assert resp.status_code == 201, resp.text
    assert await pending_ids(p["mod"], cid) == [p["eve"].id]
    mine = (await p["eve"].ok("GET", f"/api/circles/{cid}/join-requests/mine"))["request"]
    assert mine["status"] == "pending"
    resp = await p["eve"].get(f"/api/circles/{cid}/join-requests")  # still not staff
    assert code(resp)[:2] == (404, "not_found")
    # the circle may let invites skip approval
    body = {"required": True, "questions": QUESTIONS, "invites_skip_approval": True}
    await p["owner"].ok("PUT", f"/api/circles/{cid}/join-approval", body)
    await p["bob"].join(cid, invite)
    resp = await ask(p["eve"], cid, invite=invite)
    assert code(resp)[2]["reason"] == "approval_not_required"


async def test_a_banned_user_cannot_even_ask(make_user):
    for visibility, expect in (("public", (403, "forbidden")), ("private", (404, "not_found"))):
        circle, p = await approving_circle(make_user, visibility)
        cid = circle["id"]
        invite = None
        if visibility == "private":
            invite = (await p["owner"].ok("POST", f"/api/circles/{cid}/invites"))["invite"]
        await ask(p["bob"], cid, invite=invite) if invite else await ask(p["bob"], cid)
        resp = await p["mod"].post(f"/api/circles/{cid}/ban", {"user_id": p["bob"].id})
        assert resp.status_code == 200, resp.text
        resp = await decide(p["mod"], cid, "approve", p["bob"].id)
        assert code(resp)[2]["reason"] == "banned"
        resp = await ask(p["bob"], cid, invite=invite) if invite else await ask(p["bob"], cid)
        assert code(resp)[:2] == expect
        assert p["bob"].id not in await member_ids(p["carol"], cid)


async def test_each_new_route_as_every_role(make_user):
    """The settings need ``manage_circle`` (owner, admin), the queue ``moderate`` (and a
    moderator); check-in staff and members are ``forbidden`` and change nothing."""
    circle, p = await approving_circle(make_user)
    cid = circle["id"]
    await p["owner"].ok(
        "PUT", f"/api/circles/{cid}/roles", {"user_id": p["carol"].id, "role": "checkin"}
    )
    await ask(p["bob"], cid)
    plain = await make_user("plain")
    await p["owner"].ok("PUT", f"/api/circles/{cid}/join-approval", {"required": False})
    await plain.join(cid)
    body = {"required": True, "questions": QUESTIONS}
    await p["owner"].ok("PUT", f"/api/circles/{cid}/join-approval", body)
    people = {"owner": p["owner"], "admin": p["admin"], "moderator": p["mod"]}
    people |= {"checkin": p["carol"], "member": plain}
    manage = {"owner", "admin"}
    moderate = {"owner", "admin", "moderator"}
    for role, api in people.items():
        for path, json in (("join-approval", body), ("newcomers", {"link_hours": 0})):
            resp = await api.request("PUT", f"/api/circles/{cid}/{path}", json=json)
            assert resp.status_code == (200 if role in manage else 403), (role, path, resp.text)
        resp = await api.get(f"/api/circles/{cid}/join-requests")
        assert resp.status_code == (200 if role in moderate else 403), (role, resp.text)
        if role not in moderate:
            resp = await decide(api, cid, "decline", p["bob"].id)
            assert resp.status_code == 403, (role, resp.text)
    assert await pending_ids(p["owner"], cid) == [p["bob"].id]
    seen = (await p["bob"].ok("GET", f"/api/circles/{cid}"))["circle"]
    assert seen["join_questions"] == QUESTIONS and seen["newcomer_link_hours"] == 0


async def test_signing_up_to_an_activity_does_not_bypass_approval(make_user, make_sock, clock):
    circle, p = await approving_circle(make_user)
    cid = circle["id"]
    act_ = await post_activity(p["owner"], circle, clock.now(), title="Picnic")
    sb = await make_sock(p["bob"])
    err = await refused(sb, "activity:signup", {"activity_id": act_["id"]})
    assert err["code"] == "conflict" and err["details"]["reason"] == "approval_required"
    assert p["bob"].id not in await member_ids(p["owner"], cid)
    going = (await p["owner"].ok("GET", f"/api/activities/{act_['id']}"))["activity"]
    assert going["confirmed_count"] == 0 and going["held_count"] == 0
    await ask(p["bob"], cid)
    await decide(p["mod"], cid, "approve", p["bob"].id)
    await sb.ok("activity:signup", {"activity_id": act_["id"]})


async def test_approvals_and_declines_are_in_the_audit_log(make_user):
    """Who decided whom, when and why; a withdrawal and a refused or losing decision are not
    moderation actions and leave the log as it was."""
    circle, p = await approving_circle(make_user)
    cid = circle["id"]
    dan = await make_user("dan")
    for who in (p["bob"], p["eve"], dan):
        assert (await ask(who, cid)).status_code in (200, 201)

    async def log() -> list[dict[str, Any]]:
        return list((await p["owner"].ok("GET", f"/api/circles/{cid}/audit"))["entries"])

    empty = await log()
    assert (await decide(p["carol"], cid, "approve", p["bob"].id)).status_code == 403
    withdrawn = await dan.request("DELETE", f"/api/circles/{cid}/join-requests/mine")
    assert withdrawn.status_code == 204, withdrawn.text
    assert await log() == empty
    approved = await decide(p["mod"], cid, "approve", p["bob"].id)
    declined = await decide(p["admin"], cid, "decline", p["eve"].id, reason="no answers given")
    assert approved.status_code == 200 and declined.status_code == 200, declined.text
    again = await decide(p["owner"], cid, "decline", p["bob"].id, reason="too late")
    assert again.status_code == 409
    entries = [e for e in await log() if e not in empty]
    got = {(e["action"], e["actor_id"], e["target_id"], e["reason"]) for e in entries}
    assert got == {
        ("approve_join", p["mod"].id, p["bob"].id, ""),
        ("decline_join", p["admin"].id, p["eve"].id, "no answers given"),
    }
    assert all(e["at"] for e in entries) and len(entries) == 2


async def test_staff_learn_of_a_new_request_live_and_members_do_not(make_user, make_sock):
    """``circle:join_requested`` goes to each member with ``moderate`` once per request (not on
    an idempotent repeat, not on a refused request), and to nobody else."""
    circle, p = await approving_circle(make_user)
    cid = circle["id"]
    socks = {n: await make_sock(p[n]) for n in ("owner", "admin", "mod", "carol", "bob")}
    resp = await ask(p["bob"], cid, ["only one"])  # refused: nobody is told
    assert code(resp)[:2] == (422, "invalid")
    resp = await ask(p["bob"], cid)
    assert resp.status_code == 201, resp.text
    request = resp.json()["request"]
    for name in ("owner", "admin", "mod"):
        told = await socks[name].wait_for("circle:join_requested")
        assert told["circle_id"] == cid
        got = told["request"]
        assert got["user"]["id"] == p["bob"].id and got["user"]["handle"] == p["bob"].user["handle"]
        assert {**got, "user": None} == request  # the request as answered, with its user
    assert (await ask(p["bob"], cid)).json()["request"] == request  # a repeat tells no one again
    await asyncio.sleep(0.3)
    for name in ("owner", "admin", "mod"):
        assert len(socks[name].events["circle:join_requested"]) == 1
    for name in ("carol", "bob"):
        assert socks[name].events.get("circle:join_requested", []) == []
