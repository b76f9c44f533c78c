"""The last gaps of issue 14: the ``post_media`` and ``review_payments`` permissions are asked of
the one table (moderation/permissions.py) like every other; an approved held message mentions
as a direct send does; a reply's quote of a message a moderator removed says so."""

from __future__ import annotations

import ast
import asyncio
import uuid
from pathlib import Path

from server.moderation.permissions import ROLES, allowed
from tests.support.activities import post_activity
from tests.support.chat import conversation, history, refused, say
from tests.support.client import Api, Sock
from tests.support.posts import image, post_image, upload_for
from tests.support.staff import staffed_circle
from tests.test_moderation_holds import decide, hold, holding_circle

ROOT = Path(__file__).resolve().parent.parent


def at(api: Api) -> str:
    return "@" + api.user["handle"]


# 1. permissions through the one table -----------------------------------------------------

# the gates of posting media and of reviewing payments
GATES = (
    "server/posts/access.py",
    "server/posts/service.py",
    "server/payments/access.py",
    "server/payments/service.py",
    "server/trust/payouts.py",
    "server/activities/access.py",
)


def test_the_media_and_payment_gates_name_no_roles():
    """A list of roles in a gate is a permission decided outside the table: these gates ask
    ``allowed`` instead (before, posts listed ``("owner", "admin")`` as organisers, and payouts
    and the activity organiser gate did too)."""
    found = []
    for rel in GATES:
        for node in ast.walk(ast.parse((ROOT / rel).read_text())):
            if isinstance(node, ast.Tuple | ast.List | ast.Set) and node.elts:
                words = [e.value for e in node.elts if isinstance(e, ast.Constant)]
                if len(words) == len(node.elts) and set(words) <= set(ROLES):
                    found.append(f"{rel}:{node.lineno} {words}")
    assert not found, found


async def _send_media(api: Api, sock: Sock, conv: str, role: str) -> tuple[bool, bool]:
    """(a link in the chat, an image attached in the chat) went through."""
    link = await sock.call(
        "message:send",
        {"conversation_id": conv, "client_id": uuid.uuid4().hex, "text": f"x.example/{role}"},
    )
    resp = await upload_for(api, {"conversation_id": conv})
    assert resp.status_code == 201, resp.text
    body = {
        "conversation_id": conv,
        "client_id": uuid.uuid4().hex,
        "text": "look",
        "attachments": [resp.json()["upload"]["id"]],
    }
    attached = await sock.call("message:send", body)
    return bool(link["ok"]), bool(attached["ok"])


async def test_every_role_posts_media_and_reviews_payments_as_the_table_says(
    make_user, make_sock, clock
):
    roles = {"admin": "admin", "mod": "moderator", "door": "checkin"}
    names = ("owner", "admin", "mod", "door", "member", "payer")
    circle, p = await staffed_circle(make_user, names, roles, "private", "Gaps")
    cid, conv = circle["id"], circle["conversation_id"]
    owner = p["owner"]
    await owner.ok("PUT", f"/api/circles/{cid}/posts/settings", {"members_can_post": True})
    iban = {"holder_name": "Owner O", "iban": "DE89370400440532013000"}
    await owner.ok("PUT", f"/api/circles/{cid}/payout-account", iban)
    price = {"amount": 700, "currency": "EUR"}
    act = (await post_activity(owner, circle, clock.now(), capacity=20, price=price))["id"]
    payer_sock = await make_sock(p["payer"])
    await payer_sock.ok("activity:signup", {"activity_id": act})
    made = await p["payer"].ok("POST", f"/api/activities/{act}/payment", {"provider": "manual"})
    payment = made["payment"]["id"]
    statement = {"from": "2026-01-01", "to": "2026-01-31"}
    names_of = {"owner": "owner", "admin": "admin", "moderator": "mod", "checkin": "door"}
    names_of["member"] = "member"
    assert sorted(names_of) == sorted(ROLES)
    for role in ROLES:
        api = p[names_of[role]]
        media, review = allowed(role, "post_media"), allowed(role, "review_payments")
        mine = (await api.ok("GET", f"/api/circles/{cid}/permissions"))["permissions"]
        assert ("post_media" in mine, "review_payments" in mine) == (media, review), role
        assert await _send_media(api, await make_sock(api), conv, role) == (media, media), role
        upload = await upload_for(api, {"circle_id": cid})
        assert (upload.status_code == 201) == media, (role, upload.text)
        if media:
            img = await post_image(api, cid, image((30, 30)))
            made_post = await api.post(f"/api/circles/{cid}/posts", {"images": [img]})
            assert made_post.status_code == 201, (role, made_post.text)
        reads = [
            await api.get(f"/api/circles/{cid}/payout-account"),
            await api.get(f"/api/circles/{cid}/payout-statement", params=statement),
            await api.get(f"/api/activities/{act}/payments"),
            await api.get(f"/api/payments/{payment}"),
        ]
        for resp in reads:
            assert (resp.status_code == 200) == review, (role, str(resp.url), resp.text)
            if not review:
                assert resp.json()["error"]["code"] in ("forbidden", "not_found"), resp.text
    # the payment is decided by one who may review it; the others were refused and changed
    # nothing (it is still pending)
    assert (await p["payer"].ok("GET", f"/api/payments/{payment}"))["payment"]["status"] == (
        "pending"
    )
    refused_confirm = await p["mod"].post(f"/api/payments/{payment}/confirm", {})
    assert refused_confirm.status_code == 404, refused_confirm.text  # hidden from non-reviewers
    confirmed = await p["admin"].post(f"/api/payments/{payment}/confirm", {})
    assert confirmed.status_code == 200, confirmed.text


# 2. mentions of an approved held message ---------------------------------------------------


async def test_an_approved_held_message_mentions_as_a_direct_send(make_user, make_sock):
    circle, p = await holding_circle(make_user, make_sock)
    cid, conv = circle["id"], circle["conversation_id"]
    text = f"hi {at(p['carol'])} see https://x.example"
    hid = await hold(p["s_bob"], conv, text)
    assert (await conversation(p["s_carol"], conv))["mentions"] == 0
    resp = await decide(p["mod"], cid, hid, "approve")
    assert resp.status_code == 200, resp.text
    mid = resp.json()["hold"]["message_id"]
    live = await p["s_carol"].wait_for("message:new", lambda e: e["message"]["id"] == mid)
    assert live["message"]["mentions"] == [p["carol"].id]
    note = await p["s_carol"].wait_for(
        "notification", lambda e: e["notification"]["kind"] == "mention"
    )
    assert note["notification"]["data"]["message_id"] == mid
    assert "see https://x.example" in note["notification"]["body"]
    assert (await conversation(p["s_carol"], conv))["mentions"] == 1
    assert (await conversation(p["s_owner"], conv))["mentions"] == 0  # not mentioned
    stored = {m["id"]: m for m in await history(p["s_carol"], conv)}
    assert stored[mid]["mentions"] == [p["carol"].id] and stored[mid]["text"] == text
    await p["s_carol"].ok("read", {"conversation_id": conv, "seq": stored[mid]["seq"]})
    assert (await conversation(p["s_carol"], conv))["mentions"] == 0


# 3. the quote of a message a moderator removed ---------------------------------------------


async def test_a_reply_quoting_a_removed_message_says_a_moderator_removed_it(make_user, make_sock):
    names = ("owner", "mod", "alice", "carol")
    circle, p = await staffed_circle(make_user, names, {"mod": "moderator"}, prefix="Quotes")
    conv = circle["conversation_id"]
    sm, sa, sc = await make_sock(p["mod"]), await make_sock(p["alice"]), await make_sock(p["carol"])
    spam = await say(sa, conv, "buy cheap watches")
    own = await say(sa, conv, "typo here")
    to_spam = await say(sc, conv, "what is this?", reply_to=spam["id"])
    to_own = await say(sc, conv, "no worries", reply_to=own["id"])
    assert to_spam["reply"]["removed_by"] is None and to_spam["reply"]["deleted"] is False

    await sm.ok("message:delete", {"message_id": spam["id"], "reason": "spam"})
    live = await sc.wait_for(
        "message:updated",
        lambda e: e["message"]["id"] == to_spam["id"] and e["message"]["reply"]["deleted"],
    )
    assert live["message"]["reply"]["removed_by"] == "moderator"
    assert live["message"]["reply"]["text"] == ""
    await sa.ok("message:delete", {"message_id": own["id"]})  # the sender's own deletion
    mine = await sc.wait_for(
        "message:updated",
        lambda e: e["message"]["id"] == to_own["id"] and e["message"]["reply"]["deleted"],
    )
    assert mine["message"]["reply"]["removed_by"] is None

    stored = {m["id"]: m for m in await history(sc, conv)}
    assert stored[to_spam["id"]]["reply"]["removed_by"] == "moderator"
    assert stored[to_own["id"]]["reply"]["removed_by"] is None
    synced = await sc.ok("sync", {"conversation_id": conv, "since_rev": 0})
    quotes = {m["id"]: m["reply"] for m in synced["messages"] if m["reply"]}
    assert quotes[to_spam["id"]]["removed_by"] == "moderator"
    assert quotes[to_own["id"]]["removed_by"] is None
    # replying to a removed message is refused as before, and stores nothing
    body = {"conversation_id": conv, "client_id": uuid.uuid4().hex, "text": "late", "reply_to": spam["id"]}  # fmt: skip
    assert (await refused(sc, "message:send", body))["code"] == "conflict"
    await asyncio.sleep(0.2)
    assert len(await history(sc, conv)) == len(stored)
