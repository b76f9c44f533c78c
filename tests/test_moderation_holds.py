"""Held newcomer messages (issue 14 item 4): a newcomer's link is held for review instead of
stored; staff list, approve (posted once as the sender, live) or decline it; the sender is told;
decisions are audited; plain members and outsiders are refused and change nothing."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from tests.support.chat import history, refused
from tests.support.client import Api, Sock

LINK = "cheap pills at spam.example/x"


def code(resp: httpx.Response) -> tuple[int, str, dict[str, Any]]:
    err = resp.json()["error"]
    return resp.status_code, err["code"], err.get("details") or {}


async def holding_circle(make_user: Any, make_sock: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """owner, mod (moderator), carol (a member since before the window), bob (a newcomer),
    eve (an outsider), with sockets; the circle holds newcomers' links for 24 hours."""
    p = {n: await make_user(n) for n in ("owner", "mod", "carol", "bob", "eve")}
    circle = await p["owner"].create_circle(f"Holds {uuid.uuid4().hex[:6]}")
    cid = circle["id"]
    for n in ("mod", "carol"):
        await p[n].join(cid)
    body = {"user_id": p["mod"].id, "role": "moderator"}
    await p["owner"].ok("PUT", f"/api/circles/{cid}/roles", body)
    await p["owner"].ok("PUT", f"/api/circles/{cid}/newcomers", {"link_hours": 24})
    await p["bob"].join(cid)
    socks = {n: await make_sock(p[n]) for n in ("owner", "mod", "carol", "bob")}
    return circle, {**p, **{f"s_{n}": s for n, s in socks.items()}}


async def hold(sock: Sock, conv: str, text: str = LINK, client_id: str | None = None) -> str:
    body = {"conversation_id": conv, "client_id": client_id or uuid.uuid4().hex, "text": text}
    err = await refused(sock, "message:send", body)
    assert err["code"] == "forbidden" and err["details"]["reason"] == "held_for_review", err
    assert "retry_after" not in err["details"]
    return str(err["details"]["hold_id"])


async def holds(api: Api, cid: str) -> list[dict[str, Any]]:
    return list((await api.ok("GET", f"/api/circles/{cid}/holds"))["holds"])


async def decide(api: Api, cid: str, hid: str, what: str, **body: Any) -> httpx.Response:
    return await api.post(f"/api/circles/{cid}/holds/{hid}/{what}", body)


async def test_a_held_link_is_not_in_the_log_and_staff_see_it(make_user, make_sock):
    circle, p = await holding_circle(make_user, make_sock)
    cid, conv = circle["id"], circle["conversation_id"]
    first = await hold(p["s_bob"], conv)
    second = await hold(p["s_bob"], conv, "and www.spam.example too")
    for staff in ("s_mod", "s_owner"):
        told = await p[staff].wait_for("circle:link_held", lambda e: e["hold_id"] == first)
        assert told == {"circle_id": cid, "user_id": p["bob"].id, "text": LINK, "hold_id": first}
    await asyncio.sleep(0.2)
    assert p["s_carol"].events.get("circle:link_held", []) == []  # members are not told
    assert await history(p["s_carol"], conv) == []
    listed = await holds(p["mod"], cid)
    assert [h["id"] for h in listed] == [first, second]  # oldest first
    assert listed[0]["text"] == LINK and listed[0]["status"] == "pending"
    assert listed[0]["sender"]["id"] == p["bob"].id and listed[0]["conversation_id"] == conv
    assert [h["id"] for h in await holds(p["owner"], cid)] == [first, second]


async def test_a_retried_send_makes_one_hold(make_user, make_sock):
    circle, p = await holding_circle(make_user, make_sock)
    cid, conv = circle["id"], circle["conversation_id"]
    client_id = uuid.uuid4().hex
    ids = await asyncio.gather(*(hold(p["s_bob"], conv, client_id=client_id) for _ in range(4)))
    ids.append(await hold(p["s_bob"], conv, client_id=client_id))
    assert len(set(ids)) == 1
    assert [h["id"] for h in await holds(p["mod"], cid)] == ids[:1]
    await asyncio.sleep(0.2)
    assert len(p["s_mod"].events.get("circle:link_held", [])) == 1  # staff told once


async def test_members_and_outsiders_are_refused_on_the_routes(make_user, make_sock):
    circle, p = await holding_circle(make_user, make_sock)
    cid, conv = circle["id"], circle["conversation_id"]
    hid = await hold(p["s_bob"], conv)
    for who in ("carol", "bob", "eve"):
        want = (403, "forbidden") if who != "eve" else None
        for resp in (
            await p[who].request("GET", f"/api/circles/{cid}/holds"),
            await decide(p[who], cid, hid, "approve"),
            await decide(p[who], cid, hid, "decline", reason="mine"),
        ):
            got = code(resp)[:2]
            assert got == want if want else got in {(403, "forbidden"), (404, "not_found")}, got
            assert LINK not in resp.text  # nothing of the held text leaks
    assert [h["id"] for h in await holds(p["mod"], cid)] == [hid]  # nothing changed
    assert await history(p["s_carol"], conv) == []
    missing = await decide(p["mod"], cid, "nosuchhold", "approve")
    assert code(missing)[:2] == (404, "not_found")
    other = await p["owner"].create_circle(f"Other {uuid.uuid4().hex[:6]}")
    elsewhere = await decide(p["owner"], other["id"], hid, "approve")  # not this circle's
    assert code(elsewhere)[:2] == (404, "not_found")
    bad = await decide(p["mod"], cid, hid, "decline", reason=5)
    assert code(bad)[:2] == (422, "invalid")
    assert [h["id"] for h in await holds(p["mod"], cid)] == [hid]


async def test_concurrent_approvals_post_it_once_and_members_see_it_live(make_user, make_sock):
    circle, p = await holding_circle(make_user, make_sock)
    cid, conv = circle["id"], circle["conversation_id"]
    hid = await hold(p["s_bob"], conv)
    results = await asyncio.gather(
        *(decide(p[who], cid, hid, "approve") for who in ("mod", "owner", "mod", "owner"))
    )
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 409, 409, 409], [r.text for r in results]
    for loser in (r for r in results if r.status_code == 409):
        assert code(loser)[1:] == ("conflict", {"reason": "already_decided", "status": "approved"})
    won = next(r for r in results if r.status_code == 200).json()["hold"]
    assert won["status"] == "approved" and won["message_id"]
    live = await p["s_carol"].wait_for(
        "message:new", lambda e: e["message"]["id"] == won["message_id"]
    )
    assert live["message"]["text"] == LINK and live["message"]["sender_id"] == p["bob"].id
    told = await p["s_bob"].wait_for("circle:hold_decided")
    assert told == {
        "circle_id": cid,
        "hold_id": hid,
        "status": "approved",
        "reason": "",
        "message_id": won["message_id"],
    }
    await asyncio.sleep(0.3)
    logged = await history(p["s_carol"], conv)
    assert [(m["id"], m["text"]) for m in logged] == [(won["message_id"], LINK)]
    posted = [e for e in p["s_carol"].events["message:new"] if e["message"]["text"] == LINK]
    assert len(posted) == 1
    assert await holds(p["mod"], cid) == []
    again = await decide(p["owner"], cid, hid, "decline", reason="late")
    assert code(again)[1:] == ("conflict", {"reason": "already_decided", "status": "approved"})


async def test_decline_changes_nothing_in_the_log_and_both_are_audited(make_user, make_sock):
    circle, p = await holding_circle(make_user, make_sock)
    cid, conv = circle["id"], circle["conversation_id"]
    declined_id = await hold(p["s_bob"], conv)
    approved_id = await hold(p["s_bob"], conv, "see https://example.org/trail")
    resp = await decide(p["mod"], cid, declined_id, "decline", reason="spam")
    assert resp.status_code == 200 and resp.json()["hold"]["status"] == "declined", resp.text
    told = await p["s_bob"].wait_for("circle:hold_decided")
    assert told == {
        "circle_id": cid,
        "hold_id": declined_id,
        "status": "declined",
        "reason": "spam",
        "message_id": None,
    }
    assert await history(p["s_carol"], conv) == []
    assert [h["id"] for h in await holds(p["mod"], cid)] == [approved_id]
    assert (await decide(p["owner"], cid, approved_id, "approve")).status_code == 200
    entries = (await p["owner"].ok("GET", f"/api/circles/{cid}/audit"))["entries"]
    got = {(e["action"], e["actor_id"], e["target_id"], e["reason"]) for e in entries}
    assert ("decline_hold", p["mod"].id, p["bob"].id, "spam") in got
    assert ("approve_hold", p["owner"].id, p["bob"].id, "") in got
    assert [e["action"] for e in entries].count("decline_hold") == 1
