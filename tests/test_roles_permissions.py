"""Roles and permissions (issue 14 item 1): one permission table, checked as every role through
the real server (HTTP and Socket.IO), refusals included; role changes and owner transfer."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from tests.support.activities import post_activity
from tests.support.chat import history, refused, say
from tests.support.client import Api

ROLES = ("owner", "admin", "moderator", "checkin", "member")
# The table as the protocol documents it (docs/protocol.md, "Roles and permissions").
EXPECTED = {
    "owner": {
        "post", "post_media", "create_activities", "delete_messages", "pin",
        "mention_everyone", "moderate", "manage_roles", "manage_circle", "view_audit",
        "view_reports", "check_in", "review_payments",
    },
    "moderator": {
        "post", "post_media", "delete_messages", "pin", "mention_everyone", "moderate",
        "view_audit", "view_reports",
    },
    "checkin": {"post", "post_media", "check_in"},
    "member": {"post", "post_media"},
}  # fmt: skip
EXPECTED["admin"] = EXPECTED["owner"]


async def staffed(
    make_user: Any, visibility: str = "public"
) -> tuple[dict[str, Any], dict[str, Api]]:
    """A circle with one member of each role (given by the owner) and two plain members."""
    people = {r: await make_user(r) for r in (*ROLES, "target", "other")}
    circle = await people["owner"].create_circle(f"Staffed {uuid.uuid4().hex[:6]}", visibility)
    invite = None
    if visibility == "private":
        invite = (await people["owner"].ok("POST", f"/api/circles/{circle['id']}/invites"))[
            "invite"
        ]
    for name, api in people.items():
        if name != "owner":
            await api.join(circle["id"], invite)
    for role in ("admin", "moderator", "checkin"):
        await set_role(people["owner"], circle["id"], people[role].id, role)
    return circle, people


async def set_role(actor: Api, circle_id: str, user_id: str, role: str) -> Any:
    return await actor.request(
        "PUT", f"/api/circles/{circle_id}/roles", json={"user_id": user_id, "role": role}
    )


async def roles_of(api: Api, circle_id: str) -> dict[str, str]:
    members = (await api.ok("GET", f"/api/circles/{circle_id}/members"))["members"]
    return {m["user"]["id"]: m["role"] for m in members}


async def test_permissions_lists_each_roles_table_and_outsiders_get_nothing(make_user):
    circle, people = await staffed(make_user)
    for role in ROLES:
        got = await people[role].ok("GET", f"/api/circles/{circle['id']}/permissions")
        assert got["role"] == role
        assert set(got["permissions"]) == EXPECTED[role], role
        assert got["muted_until"] is None and got["slow_mode_seconds"] == 0
    outsider = await make_user("outsider")
    resp = await outsider.get(f"/api/circles/{circle['id']}/permissions")
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "forbidden"
    private, _ = await staffed(make_user, "private")
    resp = await outsider.get(f"/api/circles/{private['id']}/permissions")
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"
    # the roles are what GET /members and the circle show too, as stored values
    assert (await roles_of(people["member"], circle["id"]))[people["checkin"].id] == "checkin"
    mine = (await people["moderator"].ok("GET", f"/api/circles/{circle['id']}"))["circle"]
    assert mine["my_role"] == "moderator"


async def _outcome(resp: Any) -> str:
    return "ok" if resp.status_code < 300 else resp.json()["error"]["code"]


async def test_every_permission_as_every_role(make_user, make_sock):
    """Each gated action tried by each role: allowed exactly where the table says, and a refusal
    (``forbidden``) leaves everything as it was."""
    circle, people = await staffed(make_user)
    cid, conv = circle["id"], circle["conversation_id"]
    socks = {r: await make_sock(people[r]) for r in ROLES}
    target_sock = await make_sock(people["target"])
    for role in ROLES:
        allowed = EXPECTED[role]
        victim = await say(target_sock, conv, f"a message for {role} to delete")
        result = await socks[role].call("message:delete", {"message_id": victim["id"]})
        assert result["ok"] is ("delete_messages" in allowed), (role, result)
        if not result["ok"]:
            assert result["error"]["code"] == "forbidden"
        result = await socks[role].call("message:pin", {"message_id": victim["id"]})
        if "pin" not in allowed:
            assert result["ok"] is False and result["error"]["code"] == "forbidden", role
        stored = {m["id"]: m for m in await history(target_sock, conv)}[victim["id"]]
        assert stored["deleted"] is ("delete_messages" in allowed), role

        checks = {
            "moderate": ("POST", "mute", {"user_id": people["other"].id, "seconds": 5}),
            "manage_roles": ("PUT", "roles", {"user_id": people["other"].id, "role": "member"}),
            "manage_circle": ("PUT", "slow-mode", {"seconds": 0}),
            "view_audit": ("GET", "audit", None),
        }
        more = [
            ("moderate", "GET", "bans", None),
            ("manage_circle", "PUT", "rules", {"text": ""}),
            ("manage_circle", "POST", "invites/revoke", {}),
        ]
        for permission, method, path, body in more:
            resp = await people[role].request(method, f"/api/circles/{cid}/{path}", json=body)
            want = "ok" if permission in allowed else "forbidden"
            assert await _outcome(resp) == want, (role, permission, resp.text)
        for permission, (method, path, body) in checks.items():
            resp = await people[role].request(method, f"/api/circles/{cid}/{path}", json=body)
            want = "ok" if permission in allowed else "forbidden"
            assert await _outcome(resp) == want, (role, permission, resp.text)
        resp = await people[role].post(f"/api/circles/{cid}/invites")
        assert await _outcome(resp) == ("ok" if "manage_circle" in allowed else "forbidden")
        # @everyone notifies only where the table allows it
        sent = await say(socks[role], conv, "@everyone hello")
        assert sent["mention_everyone"] is ("mention_everyone" in allowed), role
    # nothing a refused role tried shows in the audit log: only the staff's mutes
    log = (await people["owner"].ok("GET", f"/api/circles/{cid}/audit"))["entries"]
    actors = {e["actor_id"] for e in log if e["action"] == "mute"}
    assert actors == {people[r].id for r in ("owner", "admin", "moderator")}


async def test_role_changes_follow_rank(make_user):
    circle, people = await staffed(make_user)
    cid, owner, admin = circle["id"], people["owner"], people["admin"]
    # admins give roles below admin, to members below admin
    resp = await set_role(admin, cid, people["target"].id, "moderator")
    assert resp.status_code == 200, resp.text
    assert resp.json()["membership"]["role"] == "moderator"
    for user, role in (
        (people["target"], "admin"),  # promote to admin
        (owner, "member"),  # touch the owner
        (admin, "member"),  # themselves
    ):
        resp = await set_role(admin, cid, user.id, role)
        assert resp.status_code == 403, (role, resp.text)
    second_admin = people["other"]
    await set_role(owner, cid, second_admin.id, "admin")
    resp = await set_role(admin, cid, second_admin.id, "member")  # a peer
    assert resp.status_code == 403
    # nobody is made owner by a role change
    resp = await set_role(owner, cid, people["target"].id, "owner")
    assert resp.status_code == 422 and resp.json()["error"]["details"]["fields"]
    # a non-member cannot be given a role
    outsider = await make_user("outsider")
    resp = await set_role(owner, cid, outsider.id, "moderator")
    assert resp.status_code == 409 and resp.json()["error"]["details"]["reason"] == "not_member"
    roles = await roles_of(owner, cid)
    assert roles[owner.id] == "owner" and roles[admin.id] == "admin"
    assert roles[second_admin.id] == "admin" and roles[people["target"].id] == "moderator"
    assert outsider.id not in roles
    # the owner demotes anyone
    resp = await set_role(owner, cid, admin.id, "member")
    assert resp.status_code == 200 and (await roles_of(owner, cid))[admin.id] == "member"
    perms = await admin.ok("GET", f"/api/circles/{cid}/permissions")
    assert set(perms["permissions"]) == EXPECTED["member"]
    log = (await owner.ok("GET", f"/api/circles/{cid}/audit"))["entries"]
    changes = [e for e in log if e["action"] == "set_role" and e["target_id"] == admin.id]
    assert changes[0]["details"] == {"role": "member", "was": "admin"}


async def test_owner_transfer(make_user, make_sock):
    circle, people = await staffed(make_user)
    cid, owner, heir = circle["id"], people["owner"], people["member"]
    for who in ("admin", "moderator", "member"):
        resp = await people[who].post(
            f"/api/circles/{cid}/transfer", {"user_id": people["target"].id}
        )
        assert resp.status_code == 403, who
    outsider = await make_user("outsider")
    resp = await owner.post(f"/api/circles/{cid}/transfer", {"user_id": outsider.id})
    assert resp.status_code == 409 and resp.json()["error"]["details"]["reason"] == "not_member"
    assert (await owner.ok("GET", f"/api/circles/{cid}"))["circle"]["owner_id"] == owner.id
    watcher = await make_sock(people["target"])
    got = await owner.ok(
        "POST", f"/api/circles/{cid}/transfer", {"user_id": heir.id, "reason": "moving away"}
    )
    assert got["circle"]["owner_id"] == heir.id and got["circle"]["my_role"] == "admin"
    await watcher.wait_for(
        "circle:role", lambda e: e["user_id"] == heir.id and e["role"] == "owner"
    )
    roles = await roles_of(owner, cid)
    assert roles[heir.id] == "owner" and roles[owner.id] == "admin"
    assert (await heir.ok("GET", f"/api/circles/{cid}/permissions"))["role"] == "owner"
    # the old owner is an admin now: may leave, may not transfer again
    resp = await owner.post(f"/api/circles/{cid}/transfer", {"user_id": people["target"].id})
    assert resp.status_code == 403
    resp = await heir.post(f"/api/circles/{cid}/leave")
    assert resp.status_code == 409 and resp.json()["error"]["details"]["reason"] == "owner"
    entry = (await heir.ok("GET", f"/api/circles/{cid}/audit"))["entries"][0]
    assert entry["action"] == "transfer_ownership" and entry["actor_id"] == owner.id
    assert entry["target_id"] == heir.id and entry["reason"] == "moving away"


async def test_concurrent_transfers_hand_over_once(make_user):
    owner, a, b = await make_user("owner"), await make_user("a"), await make_user("b")
    circle = await owner.create_circle(f"Race {uuid.uuid4().hex[:6]}")
    for m in (a, b):
        await m.join(circle["id"])
    path = f"/api/circles/{circle['id']}/transfer"
    results = await asyncio.gather(
        *(owner.post(path, {"user_id": who.id}) for who in (a, b, a, b, a, b))
    )
    roles = await roles_of(owner, circle["id"])
    owners = [uid for uid, role in roles.items() if role == "owner"]
    assert len(owners) == 1 and owners[0] in (a.id, b.id), roles
    assert roles[owner.id] == "admin"
    winner = owners[0]
    for r in results:
        if r.status_code == 200:
            assert r.json()["circle"]["owner_id"] == winner
        else:
            assert r.status_code in (403, 409), r.text
    assert (await owner.ok("GET", f"/api/circles/{circle['id']}"))["circle"]["owner_id"] == winner


async def test_moderator_pins_and_check_in_staff_cannot(make_user, make_sock):
    circle, people = await staffed(make_user)
    conv = circle["conversation_id"]
    sm, sc = await make_sock(people["moderator"]), await make_sock(people["checkin"])
    m = await say(sc, conv, "staff meeting at 6")
    pinned = (await sm.ok("message:pin", {"message_id": m["id"]}))["message"]
    assert pinned["pinned"] is True
    err = await refused(sc, "message:unpin", {"message_id": m["id"]})
    assert err["code"] == "forbidden"
    assert [x["id"] for x in (await sc.ok("pins", {"conversation_id": conv}))["messages"]] == [
        m["id"]
    ]


async def test_check_in_staff_work_the_door_and_moderators_delete_posts(
    make_user, make_sock, clock
):
    """The table's ``check_in`` and ``delete_messages`` reach the activity and post gates: check-in
    staff check attendees in (and see the door list), moderators and members do not; a moderator
    removes a member's post."""
    circle, people = await staffed(make_user)
    act = await post_activity(people["owner"], circle, clock.now(), starts_in=timedelta(hours=1))
    sock = await make_sock(people["target"])
    await sock.ok("activity:signup", {"activity_id": act["id"]})
    url = f"/api/activities/{act['id']}"
    for name in ("moderator", "other"):
        resp = await people[name].post(f"{url}/checkin/user", {"user_id": people["target"].id})
        assert resp.status_code == 403, (name, resp.text)
        assert (await people[name].get(f"{url}/attendees")).status_code == 403
    done = await people["checkin"].ok(
        "POST", f"{url}/checkin/user", {"user_id": people["target"].id}
    )
    assert done["signup"]["checked_in_at"] is not None, done
    assert (await people["checkin"].get(f"{url}/attendees")).status_code == 200

    await people["owner"].ok(
        "PUT", f"/api/circles/{circle['id']}/posts/settings", {"members_can_post": True}
    )
    post = (
        await people["target"].ok("POST", f"/api/circles/{circle['id']}/posts", {"text": "hi"})
    )["post"]
    resp = await people["checkin"].request("DELETE", f"/api/posts/{post['id']}")
    assert resp.status_code == 403, resp.text
    resp = await people["moderator"].request("DELETE", f"/api/posts/{post['id']}")
    assert resp.status_code in (200, 204), resp.text
