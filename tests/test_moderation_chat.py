"""Moderation of the chat (issue 14 item 2): moderator deletes with a tombstone naming them,
slow mode (also under concurrency), rules to accept before posting, and revoking invites."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.support.chat import history, refused, say
from tests.support.client import Api


async def circle_of(
    make_user: Any, visibility: str = "public"
) -> tuple[dict[str, Any], dict[str, Api]]:
    people = {n: await make_user(n) for n in ("owner", "mod", "bob")}
    circle = await people["owner"].create_circle(f"Chat {uuid.uuid4().hex[:6]}", visibility)
    invite = None
    if visibility == "private":
        invite = (await people["owner"].ok("POST", f"/api/circles/{circle['id']}/invites"))[
            "invite"
        ]
    for name in ("mod", "bob"):
        await people[name].join(circle["id"], invite)
    await people["owner"].ok(
        "PUT",
        f"/api/circles/{circle['id']}/roles",
        {"user_id": people["mod"].id, "role": "moderator"},
    )
    return circle, people


def send_body(conv: str, text: str, client_id: str | None = None) -> dict[str, Any]:
    return {"conversation_id": conv, "client_id": client_id or uuid.uuid4().hex, "text": text}


async def test_moderator_delete_leaves_a_tombstone_naming_a_moderator(make_user, make_sock):
    circle, p = await circle_of(make_user)
    conv = circle["conversation_id"]
    sm, sb = await make_sock(p["mod"]), await make_sock(p["bob"])
    spam = await say(sb, conv, "buy cheap watches")
    own = await say(sb, conv, "oops, typo")
    removed = (await sm.ok("message:delete", {"message_id": spam["id"], "reason": "spam"}))[
        "message"
    ]
    assert removed["deleted"] is True and removed["removed_by"] == "moderator"
    assert removed["text"] == ""
    live = await sb.wait_for("message:updated", lambda e: e["message"]["id"] == spam["id"])
    assert live["message"]["removed_by"] == "moderator"
    too_long = {"message_id": own["id"], "reason": "x" * 501}
    assert (await refused(sb, "message:delete", too_long))["code"] == "invalid"
    mine = (await sb.ok("message:delete", {"message_id": own["id"]}))["message"]
    assert mine["deleted"] is True and mine["removed_by"] is None
    stored = {m["id"]: m for m in await history(sb, conv)}
    assert (
        stored[spam["id"]]["removed_by"] == "moderator" and stored[own["id"]]["removed_by"] is None
    )
    synced = await sb.ok("sync", {"conversation_id": conv, "since_rev": 0})
    assert {m["id"]: m["removed_by"] for m in synced["messages"]}[spam["id"]] == "moderator"
    entry = (await p["owner"].ok("GET", f"/api/circles/{circle['id']}/audit"))["entries"][0]
    assert entry["action"] == "delete_message" and entry["target_id"] == spam["id"]
    assert entry["reason"] == "spam"
    assert entry["actor_id"] == p["mod"].id and entry["details"] == {"sender_id": p["bob"].id}


async def test_slow_mode_lets_one_message_per_interval_and_exempts_moderators(
    make_user, make_sock, clock
):
    circle, p = await circle_of(make_user)
    cid, conv = circle["id"], circle["conversation_id"]
    sb, sm = await make_sock(p["bob"]), await make_sock(p["mod"])
    resp = await p["bob"].request("PUT", f"/api/circles/{cid}/slow-mode", json={"seconds": 30})
    assert resp.status_code == 403
    got = await p["owner"].ok(
        "PUT", f"/api/circles/{cid}/slow-mode", {"seconds": 30, "reason": "heated"}
    )
    assert got == {"slow_mode_seconds": 30}
    assert (await p["bob"].ok("GET", f"/api/circles/{cid}"))["circle"]["slow_mode_seconds"] == 30
    first_body = send_body(conv, "first")
    first = (await sb.ok("message:send", first_body))["message"]
    err = await refused(sb, "message:send", send_body(conv, "second"))
    assert err["code"] == "rate_limited" and err["details"]["reason"] == "slow_mode"
    assert 1 <= err["details"]["retry_after"] <= 30
    # a retry of the message let through is the same message, not a refusal
    again = (await sb.ok("message:send", first_body))["message"]
    assert again["id"] == first["id"]
    await say(sm, conv, "moderators are exempt")
    await say(sm, conv, "twice")
    clock.advance(31)
    await say(sb, conv, "after the interval")
    await refused(sb, "message:send", send_body(conv, "too soon again"))
    await p["owner"].ok("PUT", f"/api/circles/{cid}/slow-mode", {"seconds": 0})
    await say(sb, conv, "slow mode off")
    await say(sb, conv, "and again")
    texts = [m["text"] for m in await history(sb, conv) if m["sender_id"] == p["bob"].id]
    assert texts == ["first", "after the interval", "slow mode off", "and again"]
    log = (await p["owner"].ok("GET", f"/api/circles/{cid}/audit"))["entries"]
    assert [(e["action"], e["details"]) for e in log[:2]] == [
        ("slow_mode", {"seconds": 0}),
        ("slow_mode", {"seconds": 30}),
    ]


async def test_slow_mode_holds_under_concurrent_sends(make_user, make_sock, clock):
    circle, p = await circle_of(make_user)
    cid, conv = circle["id"], circle["conversation_id"]
    await p["owner"].ok("PUT", f"/api/circles/{cid}/slow-mode", {"seconds": 60})
    socks = [await make_sock(p["bob"]) for _ in range(4)]
    for round_ in range(2):
        results = await asyncio.gather(
            *(
                socks[i % 4].call("message:send", send_body(conv, f"r{round_} #{i}"))
                for i in range(20)
            )
        )
        ok = [r for r in results if r["ok"]]
        assert len(ok) == 1, results
        assert {r["error"]["code"] for r in results if not r["ok"]} == {"rate_limited"}
        clock.advance(61)
    stored = [m for m in await history(socks[0], conv) if m["sender_id"] == p["bob"].id]
    assert len(stored) == 2


async def test_rules_must_be_accepted_before_posting_and_again_after_a_change(make_user, make_sock):
    circle, p = await circle_of(make_user)
    cid, conv = circle["id"], circle["conversation_id"]
    sb, sm = await make_sock(p["bob"]), await make_sock(p["mod"])
    await say(sb, conv, "before any rules")
    resp = await p["mod"].request("PUT", f"/api/circles/{cid}/rules", json={"text": "be kind"})
    assert resp.status_code == 403
    v1 = (await p["owner"].ok("PUT", f"/api/circles/{cid}/rules", {"text": "Be kind. No ads."}))[
        "rules"
    ]
    assert v1["text"] == "Be kind. No ads." and v1["version"]
    newcomer = await make_user("newcomer")
    seen = (await newcomer.ok("GET", f"/api/circles/{cid}"))["circle"]
    assert seen["has_rules"] is True
    rules = (await newcomer.ok("GET", f"/api/circles/{cid}/rules"))["rules"]
    assert rules == {"text": "Be kind. No ads.", "version": v1["version"], "accepted": None}
    err = await refused(sb, "message:send", send_body(conv, "hello"))
    assert err["code"] == "forbidden" and err["details"] == {
        "reason": "rules_not_accepted",
        "rules_version": v1["version"],
    }
    await say(sm, conv, "moderators are exempt")
    assert (await p["bob"].ok("GET", f"/api/circles/{cid}/rules"))["rules"]["accepted"] is False
    resp = await p["bob"].post(f"/api/circles/{cid}/rules/accept", {"version": "old"})
    assert resp.status_code == 409 and resp.json()["error"]["details"]["reason"] == "rules_changed"
    resp = await newcomer.post(f"/api/circles/{cid}/rules/accept", {"version": v1["version"]})
    assert resp.status_code == 403  # members accept
    await p["bob"].ok("POST", f"/api/circles/{cid}/rules/accept", {"version": v1["version"]})
    await p["bob"].ok("POST", f"/api/circles/{cid}/rules/accept", {"version": v1["version"]})
    await say(sb, conv, "accepted")
    perms = await p["bob"].ok("GET", f"/api/circles/{cid}/permissions")
    assert perms["rules"]["accepted"] is True
    v2 = (
        await p["owner"].ok(
            "PUT", f"/api/circles/{cid}/rules", {"text": "Be kind. No ads. English."}
        )
    )["rules"]
    assert v2["version"] != v1["version"]
    err = await refused(sb, "message:send", send_body(conv, "again?"))
    assert err["details"]["rules_version"] == v2["version"]
    await p["bob"].ok("POST", f"/api/circles/{cid}/rules/accept", {"version": v2["version"]})
    await say(sb, conv, "ok, accepted again")
    await p["owner"].ok("PUT", f"/api/circles/{cid}/rules", {"text": ""})
    resp = await p["bob"].post(f"/api/circles/{cid}/rules/accept", {"version": v2["version"]})
    assert resp.status_code == 409 and resp.json()["error"]["details"]["reason"] == "no_rules"
    texts = [m["text"] for m in await history(sb, conv) if m["sender_id"] == p["bob"].id]
    assert texts == ["before any rules", "accepted", "ok, accepted again"]


async def test_private_rules_are_hidden_from_outsiders(make_user):
    circle, p = await circle_of(make_user, "private")
    await p["owner"].ok("PUT", f"/api/circles/{circle['id']}/rules", {"text": "secret rules"})
    outsider = await make_user("outsider")
    resp = await outsider.get(f"/api/circles/{circle['id']}/rules")
    assert resp.status_code == 404 and "secret" not in resp.text
    resp = await outsider.post(f"/api/circles/{circle['id']}/rules/accept", {"version": "x"})
    assert resp.status_code == 404


async def test_revoked_invites_stop_working(make_user):
    circle, p = await circle_of(make_user, "private")
    cid = circle["id"]
    old = (await p["owner"].ok("POST", f"/api/circles/{cid}/invites"))["invite"]
    early = await make_user("early")
    await early.join(cid, old)
    resp = await p["mod"].post(f"/api/circles/{cid}/invites/revoke", {})
    assert resp.status_code == 403
    resp = await p["owner"].post(f"/api/circles/{cid}/invites/revoke", {"reason": "leaked"})
    assert resp.status_code == 204
    late = await make_user("late")
    resp = await late.post(f"/api/circles/{cid}/join", {"invite": old})
    assert resp.status_code == 404
    resp = await late.post(f"/api/circles/{cid}/invite-preview", {"invite": old})
    assert resp.status_code == 404
    fresh = (await p["owner"].ok("POST", f"/api/circles/{cid}/invites"))["invite"]
    preview = await late.post(f"/api/circles/{cid}/invite-preview", {"invite": fresh})
    assert preview.status_code == 200
    await late.join(cid, fresh)
    members = (await p["owner"].ok("GET", f"/api/circles/{cid}/members"))["members"]
    assert {early.id, late.id} <= {m["user"]["id"] for m in members}
    entry = (await p["owner"].ok("GET", f"/api/circles/{cid}/audit"))["entries"][0]
    assert (entry["action"], entry["reason"]) == ("revoke_invites", "leaked")
