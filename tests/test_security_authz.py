"""Authorization matrix (TESTING.md item 17).

Every chat event and every circle route, tried by each persona: the circle owner, an admin, a
member, the other party of a DM, an outsider, a member who left while connected, and nobody
(no token). Refusals change nothing, and for private things an outsider's refusal is
indistinguishable from the refusal for an id that does not exist.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.support.activities import iso, post_activity
from tests.support.client import Api, Sock
from tests.support.security_infra import Dedicated, People, shared_dedicated

PERSONAS = ("owner", "admin", "alice", "carol", "eve", "lee")
NO_SUCH = "Zz9nosuchthing000000000000000000"  # the shape of an id, of nothing


@pytest.fixture(scope="session")
def dedicated(stack: Any) -> Iterator[Dedicated]:
    d = shared_dedicated(stack)
    yield d
    d.proc.stop()


@dataclass
class World:
    """owner, admin (promoted in the database: there is no role API yet), alice and carol are in
    the public circle; owner and alice in the private one; alice and carol share a DM; eve is in
    nothing; lee was in both circles and left them while his socket stayed connected."""

    api: dict[str, Api]
    sock: dict[str, Sock]
    public: dict[str, Any]
    private: dict[str, Any]
    dm: dict[str, Any]
    members: dict[str, set[str]] = field(default_factory=dict)

    def conv(self, where: str) -> str:
        return {
            "public": self.public["conversation_id"],
            "private": self.private["conversation_id"],
            "dm": self.dm["id"],
        }[where]


@pytest.fixture(scope="module")
async def world(dedicated: Dedicated) -> AsyncIterator[World]:
    people = People(dedicated.url)
    api = {name: await people.user(name) for name in PERSONAS}
    public = await api["owner"].create_circle("Authz public")
    private = await api["owner"].create_circle("Authz private", visibility="private")
    invite = (await api["owner"].post(f"/api/circles/{private['id']}/invites")).json()["invite"]
    for name in ("admin", "alice", "carol", "lee"):
        await api[name].join(public["id"])
    for name in ("alice", "lee"):
        await api[name].join(private["id"], invite)
    async with dedicated.database() as db:
        promoted = await db["memberships"].update_one(
            {"_id": f"{public['id']}:{api['admin'].id}"}, {"$set": {"role": "admin"}}
        )
        assert promoted.modified_count == 1
    sock = {name: await people.sock(api[name]) for name in PERSONAS}
    dm = (await sock["alice"].ok("dm:open", {"user_id": api["carol"].id}))["conversation"]
    for circle in (public, private):
        assert (await api["lee"].post(f"/api/circles/{circle['id']}/leave")).status_code == 204
    w = World(api, sock, public, private, dm)
    w.members = {
        "public": {"owner", "admin", "alice", "carol"},
        "private": {"owner", "alice"},
        "dm": {"alice", "carol"},
    }
    yield w
    await people.aclose()


def cid() -> str:
    return uuid.uuid4().hex


async def alice_says(w: World, where: str, text: str = "target") -> dict[str, Any]:
    sent = await w.sock["alice"].ok(
        "message:send", {"conversation_id": w.conv(where), "client_id": cid(), "text": text}
    )
    return dict(sent["message"])


async def stored(w: World, where: str, message_id: str) -> dict[str, Any]:
    history = await w.sock["alice"].ok("history", {"conversation_id": w.conv(where), "limit": 100})
    return next(m for m in history["messages"] if m["id"] == message_id)


def expected(w: World, event: str, where: str, who: str) -> str:
    """The access rules of PROTOCOL §2, written out independently of the server's code."""
    if who not in w.members[where]:
        return "not_found"
    if event == "message:edit":
        return "ok" if who == "alice" else "forbidden"
    if event == "message:delete":
        moderator = where == "public" and who in ("owner", "admin")
        moderator |= where == "private" and who == "owner"
        return "ok" if who == "alice" or moderator else "forbidden"
    return "ok"


CONVERSATION_EVENTS = ("message:send", "history", "sync", "read", "typing")
MESSAGE_EVENTS = ("message:edit", "message:delete")
CASES = [
    (event, where, who)
    for event in CONVERSATION_EVENTS + MESSAGE_EVENTS
    for where in ("public", "private", "dm")
    for who in PERSONAS
]


def payload(event: str, conv: str, message_id: str) -> dict[str, Any]:
    return {
        "message:send": {"conversation_id": conv, "client_id": cid(), "text": "probe"},
        "history": {"conversation_id": conv},
        "sync": {"conversation_id": conv, "since_rev": 0},
        "read": {"conversation_id": conv, "seq": 1},
        "typing": {"conversation_id": conv},
        "message:edit": {"message_id": message_id, "text": "edited by someone"},
        "message:delete": {"message_id": message_id},
    }[event]


@pytest.mark.parametrize(("event", "where", "who"), CASES)
async def test_chat_event_matrix(world: World, event: str, where: str, who: str) -> None:
    w = world
    target = await alice_says(w, where) if event in MESSAGE_EVENTS else None
    body = payload(event, w.conv(where), target["id"] if target else NO_SUCH)
    observer = w.sock["carol" if who == "alice" else "alice"]
    typing_before = len(observer.events.get("typing", []))

    res = await w.sock[who].call(event, body)
    want = expected(w, event, where, who)
    if want == "ok":
        assert res["ok"] is True, (event, where, who, res)
    else:
        assert res["ok"] is False and res["error"]["code"] == want, (event, where, who, res)
    if want == "not_found":
        # Outsiders cannot tell a private thing from a thing that does not exist.
        ghost = payload(event, NO_SUCH, NO_SUCH)
        twin = await w.sock[who].call(event, ghost)
        assert res["error"] == twin["error"], (event, where, who, res, twin)

    if want != "ok":  # a refusal changes nothing
        if target is not None:
            assert await stored(w, where, target["id"]) == target
        if event == "message:send":
            history = await w.sock["alice"].ok("history", {"conversation_id": w.conv(where)})
            assert body["client_id"] not in {m["client_id"] for m in history["messages"]}
        if event == "typing":
            await asyncio.sleep(0.3)
            assert len(observer.events.get("typing", [])) == typing_before


async def test_conversations_lists_exactly_your_own(world: World) -> None:
    w = world
    ours = {w.conv(where): where for where in ("public", "private", "dm")}
    for who in PERSONAS:
        listed = (await w.sock[who].ok("conversations"))["conversations"]
        mine = {ours[c["id"]] for c in listed if c["id"] in ours}
        assert mine == {where for where, members in w.members.items() if who in members}, who


async def test_dm_open_needs_a_shared_circle_or_an_existing_dm(world: World) -> None:
    w = world
    carol = await w.sock["alice"].ok("dm:open", {"user_id": w.api["carol"].id})
    assert carol["conversation"]["id"] == w.dm["id"]
    for who, peer, code in [
        ("eve", "alice", "forbidden"),  # shares nothing
        ("lee", "alice", "forbidden"),  # used to share two circles, left both
        ("alice", "lee", "forbidden"),
        ("eve", "eve", "invalid"),
    ]:
        res = await w.sock[who].call("dm:open", {"user_id": w.api[peer].id})
        assert res["ok"] is False and res["error"]["code"] == code, (who, peer, res)
    # The circle's owner shares a circle with alice, so may open a DM with her, but that DM is
    # not alice's DM with carol.
    owned = await w.sock["owner"].ok("dm:open", {"user_id": w.api["alice"].id})
    assert owned["conversation"]["id"] != w.dm["id"]


async def test_a_dm_is_read_by_its_two_parties_only(world: World) -> None:
    w = world
    secret = await alice_says(w, "dm", "for carol only")
    await w.sock["carol"].wait_for("message:new", lambda e: e["message"]["id"] == secret["id"])
    edited = await w.sock["alice"].ok(
        "message:edit", {"message_id": secret["id"], "text": "for carol, edited"}
    )
    await w.sock["carol"].wait_for(
        "message:updated", lambda e: e["message"]["rev"] == edited["message"]["rev"]
    )
    await asyncio.sleep(0.3)
    for who in PERSONAS:
        if who in w.members["dm"]:
            continue
        seen = [
            e
            for name in ("message:new", "message:updated")
            for e in w.sock[who].events.get(name, [])
            if e["message"]["conversation_id"] == w.dm["id"]
        ]
        assert seen == [], who


async def test_a_member_who_left_while_connected_gets_nothing_more(world: World) -> None:
    w = world
    lee = w.sock["lee"]
    assert not lee.disconnected.is_set()
    before = len(lee.log)
    for where in ("public", "private"):
        m = await alice_says(w, where, "after lee left")
        await w.sock["alice"].ok("message:edit", {"message_id": m["id"], "text": "edited"})
        await w.sock["alice"].ok("typing", {"conversation_id": w.conv(where)})
        await w.sock["owner"].wait_for(
            "message:updated", lambda e, m=m: e["message"]["id"] == m["id"]
        )
    await asyncio.sleep(0.3)
    convs = {w.conv("public"), w.conv("private")}
    leaked = [
        (name, data)
        for name, data in lee.log[before:]
        if isinstance(data, dict)
        and (
            data.get("conversation_id") in convs
            or (data.get("message") or {}).get("conversation_id") in convs
        )
    ]
    assert leaked == []


# HTTP ---------------------------------------------------------------------------------------

ROUTES = {
    # name: (method, path template, body)
    "get": ("GET", "/api/circles/{id}", None),
    "members": ("GET", "/api/circles/{id}/members", None),
    "invite": ("POST", "/api/circles/{id}/invites", None),
    "join_without_invite": ("POST", "/api/circles/{id}/join", {}),
    "leave": ("POST", "/api/circles/{id}/leave", None),
    "activities": ("GET", "/api/circles/{id}/activities", None),
}

# Expected status per (route, circle, persona), the non-destructive cases: `leave` only where it is
# refused, `join_without_invite` only where it is idempotent or refused.
HTTP_MATRIX: dict[tuple[str, str], dict[str, int]] = {
    ("get", "public"): {"owner": 200, "admin": 200, "alice": 200, "eve": 200, "lee": 200},
    ("get", "private"): {"owner": 200, "alice": 200, "admin": 404, "eve": 404, "lee": 404},
    ("members", "public"): {"owner": 200, "admin": 200, "alice": 200, "eve": 403, "lee": 403},
    ("members", "private"): {"owner": 200, "alice": 200, "admin": 404, "eve": 404, "lee": 404},
    ("invite", "public"): {"owner": 201, "admin": 201, "alice": 403, "eve": 403, "lee": 403},
    ("invite", "private"): {"owner": 201, "alice": 403, "admin": 404, "eve": 404, "lee": 404},
    ("join_without_invite", "private"): {
        "owner": 200,
        "alice": 200,
        "admin": 404,
        "eve": 404,
        "lee": 404,
    },
    ("leave", "public"): {"owner": 409, "eve": 403, "lee": 403},
    ("leave", "private"): {"owner": 409, "admin": 404, "eve": 404, "lee": 404},
    ("activities", "public"): {"owner": 200, "alice": 200, "eve": 200, "lee": 200},
    ("activities", "private"): {"owner": 200, "alice": 200, "admin": 404, "eve": 404, "lee": 404},
}


@pytest.mark.parametrize(("route", "where"), list(HTTP_MATRIX))
async def test_circle_route_matrix(world: World, route: str, where: str) -> None:
    w = world
    method, template, body = ROUTES[route]
    circle = w.public if where == "public" else w.private
    path = template.format(id=circle["id"])
    for who, status in HTTP_MATRIX[(route, where)].items():
        resp = await w.api[who].request(method, path, json=body)
        assert resp.status_code == status, (route, where, who, resp.status_code, resp.text)
        if status >= 400:
            assert set(resp.json()) == {"error"}
        if status == 404:
            ghost = await w.api[who].request(method, template.format(id=NO_SUCH), json=body)
            assert (ghost.status_code, ghost.json()) == (404, resp.json()), (route, who)
        if status == 409:
            assert resp.json()["error"]["details"]["reason"] == "owner"
    nobody = await w.api["eve"].request(method, path, json=body, token="")
    assert nobody.status_code == 401 and nobody.json()["error"]["code"] == "unauthorized"
    # Nothing above changed the membership.
    got = await w.api["owner"].get(f"/api/circles/{circle['id']}")
    assert got.json()["circle"]["member_count"] == (4 if where == "public" else 2)


async def test_roles_as_the_api_reports_them(world: World) -> None:
    w = world
    for who, role in [("owner", "owner"), ("admin", "admin"), ("alice", "member")]:
        got = (await w.api[who].get(f"/api/circles/{w.public['id']}")).json()["circle"]
        assert got["my_role"] == role
    for who in ("eve", "lee"):
        got = (await w.api[who].get(f"/api/circles/{w.public['id']}")).json()["circle"]
        assert got["my_role"] is None


async def test_private_circles_are_listed_to_members_only(world: World) -> None:
    w = world
    for who in PERSONAS:
        listed = (await w.api[who].get("/api/circles")).json()["circles"]
        ids = {c["id"] for c in listed}
        assert (w.private["id"] in ids) == (who in w.members["private"]), who
        assert w.public["id"] in ids


async def test_removal_on_one_process_reaches_the_socket_on_the_other(server_pair: Any) -> None:
    a, b = server_pair
    people = People(a.url)
    try:
        alice, lee = await people.user("alice"), await people.user("lee")
        circle = await alice.create_circle("Cross-process leave", visibility="private")
        invite = (await alice.post(f"/api/circles/{circle['id']}/invites")).json()["invite"]
        await lee.join(circle["id"], invite)
        conv = circle["conversation_id"]
        sa, sl = await people.sock(alice, a.url), await people.sock(lee, b.url)
        await sa.ok("message:send", {"conversation_id": conv, "client_id": cid(), "text": "hi"})
        await sl.wait_for("message:new", lambda e: e["message"]["text"] == "hi")
        # lee takes part through b first, so b has the participation in memory when he leaves
        await sl.ok("message:send", {"conversation_id": conv, "client_id": cid(), "text": "bye"})

        async with httpx.AsyncClient(base_url=a.url) as http:
            resp = await http.post(
                f"/api/circles/{circle['id']}/leave",
                headers={"Authorization": f"Bearer {lee.token}"},
            )
        assert resp.status_code == 204
        sent = await sa.ok(
            "message:send", {"conversation_id": conv, "client_id": cid(), "text": "gone"}
        )
        await sa.ok("typing", {"conversation_id": conv})
        for event, body in [
            ("history", {"conversation_id": conv}),
            ("sync", {"conversation_id": conv, "since_rev": 0}),
            ("read", {"conversation_id": conv, "seq": 1}),
            ("typing", {"conversation_id": conv}),
            ("message:send", {"conversation_id": conv, "client_id": cid(), "text": "x"}),
            ("message:delete", {"message_id": sent["message"]["id"]}),
        ]:
            res = await sl.call(event, body)
            assert res["ok"] is False and res["error"]["code"] == "not_found", (event, res)
        await asyncio.sleep(0.5)
        assert "gone" not in [m["text"] for m in sl.messages(conv)]
        assert sl.events.get("typing", []) == []
    finally:
        await people.aclose()


# activities and payments --------------------------------------------------------------------


@dataclass
class ActivityWorld:
    """In each circle (public, private) the owner organises a free activity that `attendee` signed
    up for, and in the private one a paid activity that `attendee` is paying for by hand. `admin`
    is an admin of both circles, `member` a plain member of both, eve in neither."""

    api: dict[str, Api]
    sock: dict[str, Sock]
    circles: dict[str, dict[str, Any]]
    free: dict[str, dict[str, Any]]
    paid: dict[str, Any]
    payment: dict[str, Any]


@pytest.fixture(scope="module")
async def activity_world(stack: Any, dedicated: Dedicated) -> AsyncIterator[ActivityWorld]:
    people = People(dedicated.url)
    names = ("owner", "admin", "attendee", "member", "eve")
    api = {name: await people.user(name) for name in names}
    now = stack.clock.now()
    circles, free = {}, {}
    for where in ("public", "private"):
        circle = await api["owner"].create_circle(f"Activities {where}", visibility=where)
        invite = (await api["owner"].post(f"/api/circles/{circle['id']}/invites")).json()
        for name in ("admin", "attendee", "member"):
            await api[name].join(circle["id"], invite["invite"])
        circles[where] = circle
    async with dedicated.database() as db:
        for circle in circles.values():
            await db["memberships"].update_one(
                {"_id": f"{circle['id']}:{api['admin'].id}"}, {"$set": {"role": "admin"}}
            )
    for where, circle in circles.items():
        free[where] = await post_activity(api["owner"], circle, now, capacity=5)
    paid = await post_activity(
        api["owner"], circles["private"], now, price={"amount": 500, "currency": "EUR"}
    )
    sock = {name: await people.sock(api[name]) for name in names}
    for act in (*free.values(), paid):
        await sock["attendee"].ok("activity:signup", {"activity_id": act["id"]})
    made = await api["attendee"].post(
        f"/api/activities/{paid['id']}/payment", {"provider": "manual"}
    )
    assert made.status_code == 201, made.text
    yield ActivityWorld(api, sock, circles, free, paid, made.json()["payment"])
    await people.aclose()


# (route template, body, kind of object) -> expected status per persona, per circle. Only calls
# that change nothing when they succeed (or that are refused for everyone who is tried).
ACTIVITY_MATRIX: list[tuple[str, str, Any, dict[str, dict[str, int]]]] = [
    (
        "GET",
        "/api/activities/{a}",
        None,
        {
            "public": {"owner": 200, "admin": 200, "attendee": 200, "member": 200, "eve": 200},
            "private": {"owner": 200, "admin": 200, "attendee": 200, "member": 200, "eve": 404},
        },
    ),
    (
        "GET",
        "/api/activities/{a}/attendees",
        None,
        {
            "public": {"owner": 200, "admin": 200, "attendee": 403, "member": 403, "eve": 403},
            "private": {"owner": 200, "admin": 200, "attendee": 403, "member": 403, "eve": 404},
        },
    ),
    (
        "PATCH",
        "/api/activities/{a}",
        {"description": "same for everyone"},
        {
            "public": {"owner": 200, "admin": 200, "attendee": 403, "member": 403, "eve": 403},
            "private": {"owner": 200, "admin": 200, "attendee": 403, "member": 403, "eve": 404},
        },
    ),
    (
        "POST",
        "/api/activities/{a}/cancel",
        {"reason": "not yours to cancel"},
        {
            "public": {"attendee": 403, "member": 403, "eve": 403},
            "private": {"attendee": 403, "member": 403, "eve": 404},
        },
    ),
    (
        "GET",
        "/api/activities/{a}/ticket",
        None,
        {
            "public": {"attendee": 200, "owner": 403, "member": 403, "eve": 403},
            "private": {"attendee": 200, "owner": 403, "member": 403, "eve": 404},
        },
    ),
    (
        "POST",
        "/api/activities/{a}/checkin",
        {"code": "forged"},
        {
            "public": {"owner": 409, "admin": 409, "attendee": 403, "member": 403, "eve": 403},
            "private": {"owner": 409, "admin": 409, "attendee": 403, "member": 403, "eve": 404},
        },
    ),
    (
        "GET",
        "/api/activities/{a}/payments",
        None,
        {
            "public": {"owner": 200, "admin": 200, "attendee": 403, "member": 403, "eve": 403},
            "private": {"owner": 200, "admin": 200, "attendee": 403, "member": 403, "eve": 404},
        },
    ),
]


@pytest.mark.parametrize(
    ("method", "template", "body", "expect"),
    ACTIVITY_MATRIX,
    ids=[f"{m} {t}" for m, t, _, _ in ACTIVITY_MATRIX],
)
async def test_activity_route_matrix(
    activity_world: ActivityWorld, method: str, template: str, body: Any, expect: Any
) -> None:
    w = activity_world
    for where, statuses in expect.items():
        act = w.free[where]
        path = template.format(a=act["id"])
        for who, status in statuses.items():
            resp = await w.api[who].request(method, path, json=body)
            assert resp.status_code == status, (where, who, method, path, resp.text)
            if status >= 400:
                assert set(resp.json()) == {"error"}
            if status == 404:  # the same as for an activity that does not exist
                ghost = await w.api[who].request(method, template.format(a=NO_SUCH), json=body)
                assert (ghost.status_code, ghost.json()) == (404, resp.json()), (where, who)
        nobody = await w.api["eve"].request(method, path, json=body, token="")
        assert nobody.status_code == 401
    for where, act in w.free.items():  # nothing above cancelled or moved anything
        got = (await w.api["owner"].get(f"/api/activities/{act['id']}")).json()["activity"]
        assert got["status"] == "open" and got["confirmed_count"] == 1, (where, got)
        assert got["starts_at"] == act["starts_at"] and got["title"] == act["title"]


async def test_posting_an_activity_needs_a_circle_owner_or_admin(
    stack: Any, activity_world: ActivityWorld
) -> None:
    w = activity_world
    expect = {
        "public": {"owner": 201, "admin": 201, "attendee": 403, "member": 403, "eve": 403},
        "private": {"owner": 201, "admin": 201, "attendee": 403, "member": 403, "eve": 404},
    }
    for where, statuses in expect.items():
        for who, status in statuses.items():
            body = {
                "title": f"by {who}",
                "category": "x",
                "starts_at": iso(stack.clock.now() + timedelta(days=5)),
                "ends_at": iso(stack.clock.now() + timedelta(days=5, hours=1)),
                "location": {"name": "here"},
                "capacity": 1,
            }
            resp = await w.api[who].post(f"/api/circles/{w.circles[where]['id']}/activities", body)
            assert resp.status_code == status, (where, who, resp.text)


async def test_calendar_needs_a_token_or_its_own_key(activity_world: ActivityWorld) -> None:
    w = activity_world
    private = w.free["private"]
    url = private["calendar_url"]
    path, _, query = url.partition("/api/")[2].partition("?")
    async with httpx.AsyncClient(base_url=w.api["eve"].base_url) as http:
        keyed = await http.get(f"/api/{path}?{query}")
        assert keyed.status_code == 200 and b"BEGIN:VCALENDAR" in keyed.content
        assert (await http.get(f"/api/{path}")).status_code == 401
        other = w.free["public"]["calendar_url"].partition("?")[2]
        assert (await http.get(f"/api/{path}?{other}")).status_code == 404
        assert (await http.get(f"/api/{path}?key=forged")).status_code == 404
        session_as_key = await http.get(f"/api/{path}", params={"key": w.api["eve"].token})
        assert session_as_key.status_code == 404
    assert (await w.api["eve"].get(f"/api/{path}")).status_code == 404
    assert (await w.api["member"].get(f"/api/{path}")).status_code == 200


async def test_activity_events_for_outsiders_of_a_private_circle(
    activity_world: ActivityWorld,
) -> None:
    w = activity_world
    act = w.free["private"]
    for event, extra in [
        ("activity:signup", {}),
        ("activity:cancel", {}),
        ("activity:accept_offer", {}),
        ("activity:decline_offer", {}),
        ("activity:reconfirm", {"going": True}),
    ]:
        res = await w.sock["eve"].call(event, {"activity_id": act["id"], **extra})
        ghost = await w.sock["eve"].call(event, {"activity_id": NO_SUCH, **extra})
        assert res["ok"] is False and res["error"]["code"] == "not_found", (event, res)
        assert res["error"] == ghost["error"], (event, res, ghost)
    got = (await w.api["owner"].get(f"/api/activities/{act['id']}")).json()["activity"]
    assert got["confirmed_count"] == 1 and got["waitlist_count"] == 0
    circle = (await w.api["owner"].get(f"/api/circles/{w.circles['private']['id']}")).json()
    assert circle["circle"]["member_count"] == 4  # eve did not get in by signing up


async def test_a_payment_is_seen_by_its_payer_and_organisers_only(
    activity_world: ActivityWorld,
) -> None:
    w = activity_world
    pid = w.payment["id"]
    for who, status in [
        ("attendee", 200),
        ("owner", 200),
        ("admin", 200),
        ("member", 404),
        ("eve", 404),
    ]:
        resp = await w.api[who].get(f"/api/payments/{pid}")
        assert resp.status_code == status, (who, resp.text)
        if status == 404:
            ghost = await w.api[who].get(f"/api/payments/{NO_SUCH}")
            assert ghost.json() == resp.json()
    # Deciding a manual payment is for organisers: the payer may not, others do not even see it.
    for action, body in [("confirm", {}), ("reject", {"reason": "no"})]:
        for who, status in [("attendee", 403), ("member", 404), ("eve", 404)]:
            resp = await w.api[who].post(f"/api/payments/{pid}/{action}", body)
            assert resp.status_code == status, (action, who, resp.text)
    proof = await w.api["member"].post(f"/api/payments/{pid}/proof", {"reference": "mine"})
    assert proof.status_code == 404, proof.text
    got = (await w.api["attendee"].get(f"/api/payments/{pid}")).json()["payment"]
    assert got["status"] == "pending" and got.get("reference") is None
