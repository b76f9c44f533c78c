"""Every query of the main flows is served by an index: no sequential scan of the table of any
collection (every one of them grows with use: messages, claims, participations, memberships,
notifications, activity states, payment events, sessions, and users, circles, activities too).

The flows run against a server of this module's own, on a FerretDB whose PostgreSQL database
logs the plan of every statement (``auto_explain``) and plans with ``enable_seqscan=off``: at test
sizes PostgreSQL would rightly scan a tiny table, but with sequential scans priced out a plan
still shows ``Seq Scan`` only when no index can serve the statement. FerretDB v1 pushes only
top-level scalar equality down to PostgreSQL, so a query shaped otherwise (``$in``, a range
alone, ``$or``) or an equality on a field without a declared index makes this test fail.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from PIL import Image
from psycopg import sql

from server.core.pgindex import METADATA_TABLE
from tests.support import infra
from tests.support.activities import post_activity
from tests.support.client import PASSWORD, Api, Sock, register
from tests.support.posts import image, post_image, publish, upload_for, whole_feed
from tests.support.trust import admin_cli, set_iban, submit

pytestmark = pytest.mark.slow

WATCH = {
    "session_preload_libraries": "auto_explain",
    "auto_explain.log_min_duration": "0",
    "enable_seqscan": "off",
}
ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \w+ \[\d+\] (\S*) ", re.M)


@dataclass
class Watched:
    server: infra.Proc
    ferret: infra.Proc
    schema: str
    log_path: Path
    log_start: int

    def scans(self) -> dict[str, list[str]]:
        """Collection → the statements whose plan scanned its table, since the module began."""
        url = self.ferret.extra["postgres_url"]
        database = url.rsplit("/", 1)[1]
        with psycopg.connect(url) as conn:
            rows = conn.execute(
                sql.SQL("SELECT _jsonb ->> 'table', _jsonb ->> '_id' FROM {}").format(
                    sql.Identifier(self.schema, METADATA_TABLE)
                )
            ).fetchall()
        collection_of = dict(rows)
        with open(self.log_path, "rb") as f:
            f.seek(self.log_start)
            text = f.read().decode(errors="replace")
        found: dict[str, list[str]] = {}
        starts = list(ENTRY.finditer(text))
        for i, m in enumerate(starts):
            if m.group(1) != database:
                continue
            entry = text[m.start() : starts[i + 1].start() if i + 1 < len(starts) else len(text)]
            for table in re.findall(r"Seq Scan on (?:\w+\.)?(\w+)", entry):
                if table in collection_of:
                    query = re.search(r"Query Text: (.*)", entry)
                    found.setdefault(collection_of[table], []).append(
                        query.group(1) if query else entry
                    )
        return found


@pytest.fixture(scope="module")
async def watched(stack: Any) -> AsyncIterator[Watched]:
    if stack.postgres is None:
        pytest.skip("needs the PostgreSQL stack (MONGODB_URL is set)")
    log_path = stack.postgres.cluster.log_path
    start = log_path.stat().st_size
    ferret = stack.ferretdb(WATCH)
    schema = f"scan_{uuid.uuid4().hex[:8]}"
    env = stack.server_env(
        db=schema,
        MONGODB_URL=ferret.url,
        FERRETDB_POSTGRESQL_URL=ferret.extra["postgres_url"],
        REPORT_ROLLUP_SECONDS="0.5",  # the circle report's sweeper runs during the flows
    )
    server = stack.start(**env)
    try:
        yield Watched(server, ferret, schema, log_path, start)
    finally:
        server.stop()
        ferret.stop()


def cid() -> str:
    return uuid.uuid4().hex


async def send(sock: Sock, conversation_id: str, text: str) -> dict[str, Any]:
    payload = {"conversation_id": conversation_id, "client_id": cid(), "text": text}
    return (await sock.ok("message:send", payload))["message"]


async def chat(url: str, alice: Api, bob: Api, carol: Api) -> dict[str, Any]:
    """Circles, joins, handshakes, sends, edits, history, sync, reads, DMs."""
    login = await alice.post(
        "/api/auth/login", {"handle": alice.user["handle"], "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    circle = await alice.create_circle("Index walkers")
    await bob.join(circle["id"])
    await carol.join(circle["id"])
    sa, sb = await Sock(url, alice.token).connect(), await Sock(url, bob.token).connect()
    try:
        conv = circle["conversation_id"]
        sent = [await send(sa, conv, f"m{i}") for i in range(12)]
        await sb.wait_for("message:new", lambda e: e["message"]["id"] == sent[-1]["id"])
        await sa.ok("message:edit", {"message_id": sent[1]["id"], "text": "edited"})
        await sa.ok("message:delete", {"message_id": sent[2]["id"]})
        page = await sb.ok("history", {"conversation_id": conv, "limit": 3})
        await sb.ok("history", {"conversation_id": conv, "limit": 3, "before_seq": 3})
        synced = await sb.ok("sync", {"conversation_id": conv, "since_rev": 0})
        await sb.ok("sync", {"conversation_id": conv, "since_rev": synced["rev"] - 2})
        await sb.ok("conversations")
        await sb.ok("read", {"conversation_id": conv, "seq": page["messages"][-1]["seq"]})
        dm = (await sa.ok("dm:open", {"user_id": bob.id}))["conversation"]
        await send(sa, dm["id"], "psst")
        await sb.ok("dm:open", {"user_id": alice.id})
        await sb.ok("history", {"conversation_id": dm["id"]})
        await sb.ok("sync", {"conversation_id": dm["id"], "since_rev": 0})
        for path in (
            "/api/me",
            "/api/circles",
            f"/api/circles/{circle['id']}",
            f"/api/circles/{circle['id']}/members",
        ):
            assert (await alice.get(path)).status_code == 200, path
    finally:
        await sa.close()
        await sb.close()
    return circle


async def activities(url: str, clock: Any, alice: Api, bob: Api, carol: Api, circle: Any) -> None:
    """Sign-up, waitlist, cancel, offer, accept; reads of activities and attendees."""
    sb, sc = await Sock(url, bob.token).connect(), await Sock(url, carol.token).connect()
    try:
        act = await post_activity(alice, circle, clock.now(), capacity=1)
        await sb.ok("activity:signup", {"activity_id": act["id"]})
        await sc.ok("activity:signup", {"activity_id": act["id"]})
        await sb.ok("activity:cancel", {"activity_id": act["id"]})
        await sc.wait_for("notification", lambda e: e["notification"]["kind"] == "offer")
        await sc.ok("activity:accept_offer", {"activity_id": act["id"]})
        for path in (
            f"/api/activities/{act['id']}",
            f"/api/activities/{act['id']}/attendees",
            f"/api/circles/{circle['id']}/activities",
            "/api/me/activities",
            "/api/me/hosting",
        ):
            assert (await alice.get(path)).status_code == 200, path
    finally:
        await sb.close()
        await sc.close()


async def payments(url: str, clock: Any, alice: Api, bob: Api, circle: Any) -> None:
    """A paid seat: hold, sandbox checkout, signed webhook, ledger and notification reads."""
    price = {"amount": 1500, "currency": "EUR"}
    act = await post_activity(alice, circle, clock.now(), capacity=2, price=price)
    sb = await Sock(url, bob.token).connect()
    try:
        await sb.ok("activity:signup", {"activity_id": act["id"]})
        resp = await bob.post(f"/api/activities/{act['id']}/payment", {"provider": "sandbox"})
        assert resp.status_code == 201, resp.text
        payment = resp.json()["payment"]
        # The sandbox checkout, completed by the payer's own session as the web client does.
        done = await bob.post(f"/api/payments/{payment['id']}/sandbox/complete", {})
        assert done.status_code == 200, done.text
        await sb.wait_for(
            "notification", lambda e: e["notification"]["kind"] == "payment_succeeded"
        )
        assert (await bob.get(f"/api/payments/{payment['id']}")).status_code == 200
        assert (await alice.get(f"/api/activities/{act['id']}/payments")).status_code == 200
        listed = await bob.get("/api/notifications")
        assert listed.status_code == 200, listed.text
        first = listed.json()["notifications"][0]["id"]
        for body in ({"ids": [first]}, {"all": True}):
            marked = await bob.post("/api/notifications/read", body)
            assert marked.status_code in (200, 204), marked.text
    finally:
        await sb.close()
    assert (await bob.post("/api/auth/logout")).status_code in (200, 204)


async def chat_features(url: str, alice: Api, bob: Api, circle: Any) -> None:
    """Replies, reactions, mentions, pins and the sidebar (issue 11)."""
    sa, sb = await Sock(url, alice.token).connect(), await Sock(url, bob.token).connect()
    try:
        conv = circle["conversation_id"]
        first = await send(sa, conv, "question")
        reply = {"conversation_id": conv, "client_id": cid(), "text": "answer"}
        await sb.ok("message:send", {**reply, "reply_to": first["id"]})
        await sa.ok("message:edit", {"message_id": first["id"], "text": "question, edited"})
        await sb.ok("reaction:add", {"message_id": first["id"], "emoji": "👍"})
        await sb.ok("reaction:remove", {"message_id": first["id"], "emoji": "👍"})
        mention = await send(sa, conv, f"@{bob.user['handle']} look")
        await sb.ok("conversations")
        await sb.ok("read", {"conversation_id": conv, "seq": mention["seq"]})
        await sa.ok("message:pin", {"message_id": first["id"]})
        await sb.ok("pins", {"conversation_id": conv})
        await sa.ok("message:unpin", {"message_id": first["id"]})
        await sa.ok("message:delete", {"message_id": first["id"]})
        await sb.ok("sync", {"conversation_id": conv, "since_rev": first["rev"]})
    finally:
        await sa.close()
        await sb.close()


async def uploads_and_search(url: str, alice: Api, bob: Api, circle: Any) -> None:
    """An upload (GridFS), attached, served, hidden by a delete; searches (issue 11)."""
    conv = circle["conversation_id"]
    image = io.BytesIO()
    Image.new("RGB", (40, 30), (9, 99, 199)).save(image, "PNG")
    resp = await alice.http.post(
        "/api/uploads",
        files={"file": ("a.png", image.getvalue(), "image/png")},
        data={"conversation_id": conv},
        headers={"Authorization": f"Bearer {alice.token}"},
    )
    assert resp.status_code == 201, resp.text
    up = resp.json()["upload"]
    sa = await Sock(url, alice.token).connect()
    try:
        body = {"conversation_id": conv, "client_id": cid(), "text": "needle in a haystack"}
        sent = (await sa.ok("message:send", {**body, "attachments": [up["id"]]}))["message"]
        for path in (up["url"], up["thumbnail"]):
            assert (await bob.get(path)).status_code == 200, path
        for _ in range(50):  # the index follows the log
            found = (await bob.get("/api/search", params={"q": "needle"})).json()["results"]
            if found:
                break
            await asyncio.sleep(0.1)
        assert [r["message_id"] for r in found] == [sent["id"]]
        for params in (
            {"q": "haystack", "conversation_id": conv},
            {"q": "needle haystack", "sender": alice.id, "limit": "1"},
        ):
            assert (await bob.get("/api/search", params=params)).status_code == 200
        await sa.ok("message:edit", {"message_id": sent["id"], "text": "needle moved"})
        await sa.ok("message:delete", {"message_id": sent["id"]})
        assert (await bob.get(up["url"])).status_code == 404
        await asyncio.sleep(0.5)  # the index's own writes after the delete
    finally:
        await sa.close()


async def discovery(clock: Any, alice: Api, bob: Api, circle: Any) -> None:
    """Discovery lists and sections, following, push to members (issue 12)."""
    place = {"name": "Park", "lat": 52.52, "lng": 13.405}
    act = await post_activity(
        alice, circle, clock.now(), tags=["sunrise"], location=place, title="Sunrise walk"
    )
    assert (await bob.post(f"/api/circles/{circle['id']}/follow")).status_code == 200
    for params in (
        {},
        {"tag": "sunrise"},
        {"category": "outdoors"},
        {"q": "sunrise walk"},
        {"near": "52.5,13.4", "radius_km": "20"},
        {"following": "true"},
        {"circle": circle["id"]},
    ):
        resp = await bob.get("/api/activities", params=params)
        assert resp.status_code == 200, (params, resp.text)
    assert (await bob.get("/api/discover", params={"near": "52.5,13.4"})).status_code == 200
    assert (await bob.get("/api/me/following")).status_code == 200
    assert (await alice.post(f"/api/activities/{act['id']}/push")).status_code == 200
    assert (await bob.request("DELETE", f"/api/circles/{circle['id']}/follow")).status_code == 200


async def referrals_and_circle_page(url: str, clock: Any, alice: Api, carol: Api) -> None:
    """Sign-up and join credited to a share link, the counts, the circle page (issue 12)."""
    dave = await register(url, "dave")
    try:
        circle = await alice.create_circle("Referred", description="About us")
        act = await post_activity(alice, circle, clock.now(), title="Shared walk")
        via = {"ref": carol.user["handle"], "ch": "poster"}
        sd = await Sock(url, dave.token).connect()
        try:
            await sd.ok("activity:signup", {"activity_id": act["id"], **via})
        finally:
            await sd.close()
        other = await alice.create_circle("Referred too")
        joined = await dave.post(f"/api/circles/{other['id']}/join", {"ref": carol.id})
        assert joined.status_code == 200, joined.text
        found = await alice.get(f"/api/activities/{act['id']}/referrals")
        assert found.status_code == 200 and found.json()["total"] == 1, found.text
        found = await alice.get(f"/api/circles/{other['id']}/referrals")
        assert found.status_code == 200 and found.json()["total"] == 1, found.text
        for who in (dave, carol):
            assert (await who.get(f"/api/circles/{circle['id']}/page")).status_code == 200
    finally:
        await dave.aclose()


async def posts_and_profiles(url: str, alice: Api, carol: Api) -> None:
    """Circle posts with an image, likes, comments, both feeds; profiles and avatars (issue 12,
    items 6 and 7)."""
    circle = await alice.create_circle("Posting")
    await carol.join(circle["id"])
    post = await publish(
        alice,
        circle["id"],
        text="hello",
        tags=["news"],
        images=[await post_image(alice, circle["id"])],
    )
    await publish(alice, circle["id"], text="again")
    for call in (
        carol.request("PUT", f"/api/posts/{post['id']}/like"),
        carol.post(f"/api/posts/{post['id']}/comments", {"text": "nice"}),
        carol.get(f"/api/posts/{post['id']}/comments"),
        carol.get(f"/api/posts/{post['id']}"),
        carol.get(post["images"][0]["url"]),
        carol.request("DELETE", f"/api/posts/{post['id']}/like"),
        alice.request(
            "PUT", f"/api/circles/{circle['id']}/posts/settings", json={"members_can_post": True}
        ),
        carol.get(f"/api/users/{alice.id}/profile"),
        carol.get(f"/api/users/by-handle/{alice.user['handle']}"),
        alice.request("PATCH", "/api/me/profile", json={"bio": "hi", "interests": ["tea"]}),
    ):
        resp = await call
        assert resp.status_code in (200, 201), resp.text
    assert len(await whole_feed(carol, f"/api/circles/{circle['id']}/posts")) == 2
    assert len(await whole_feed(carol, f"/api/users/{alice.id}/posts")) == 2
    avatar = await upload_for(alice, {"purpose": "avatar"}, image((60, 40)))
    assert avatar.status_code == 201, avatar.text
    await alice.ok("PUT", "/api/me/avatar", {"upload_id": avatar.json()["upload"]["id"]})
    assert (await alice.request("DELETE", f"/api/posts/{post['id']}")).status_code == 204


async def reports(url: str, clock: Any, alice: Api, bob: Api, circle: Any) -> None:
    """The organiser's reports (issue 13): an activity's report, the circle's revenue and CSV
    ledger (the circle's paid activity comes from the payments flow)."""
    act = await post_activity(alice, circle, clock.now(), capacity=1, title="Reported")
    sb = await Sock(url, bob.token).connect()
    try:
        await sb.ok("activity:signup", {"activity_id": act["id"]})
        await sb.ok("activity:cancel", {"activity_id": act["id"]})
    finally:
        await sb.close()
    for path in (
        f"/api/activities/{act['id']}/report",
        f"/api/circles/{circle['id']}/revenue",
        f"/api/circles/{circle['id']}/revenue/ledger.csv",
    ):
        assert (await alice.get(path)).status_code == 200, path


async def trust(watched: Watched, clock: Any, alice: Api, carol: Api, circle: Any) -> None:
    """Verification (carol made a platform administrator by the command line), badges, the
    payout account and statements (issue 14, items 5-6)."""
    env = {
        "MONGODB_URL": watched.ferret.url,
        "MONGODB_DB": watched.schema,
        "FERRETDB_POSTGRESQL_URL": watched.ferret.extra["postgres_url"],
        "SECRET_KEY": "test-secret-key-for-the-whole-run",
    }
    assert admin_cli(env, "grant", carol.user["handle"]).returncode == 0
    sub = await submit(alice)
    assert sub.status_code == 201, sub.text
    sid = sub.json()["verification"]["id"]
    await alice.ok("GET", "/api/me/verification")
    await carol.ok("GET", "/api/admin/verifications")
    await carol.ok("GET", f"/api/admin/verifications/{sid}")
    assert (await carol.get(f"/api/admin/verifications/{sid}/image")).status_code == 200
    review = {"decision": "approved"}
    await carol.ok("POST", f"/api/admin/verifications/{sid}/review", review)
    await carol.ok("GET", f"/api/users/{alice.id}/trust")
    assert (await set_iban(alice, circle["id"])).status_code == 200
    await alice.ok("GET", f"/api/circles/{circle['id']}/payout-account")
    await carol.ok("GET", f"/api/circles/{circle['id']}/trust")
    # the badges of API outputs, batched per answer (owner_verified, organiser_verified)
    assert (await carol.ok("GET", f"/api/circles/{circle['id']}"))["circle"]["owner_verified"]
    await carol.ok("GET", "/api/circles")
    await carol.ok("GET", f"/api/circles/{circle['id']}/page")
    await carol.ok("GET", f"/api/circles/{circle['id']}/activities")
    await carol.ok("GET", "/api/me/activities")
    await alice.ok("GET", "/api/me/hosting")
    pending = await submit(carol)  # a latest submission still pending: its review is looked up
    assert pending.status_code == 201, pending.text
    await carol.ok("GET", f"/api/users/{carol.id}/trust")
    assert (await alice.ok("GET", "/api/circles"))["circles"]
    today = clock.now().date()
    q = f"from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"
    body = await alice.ok("GET", f"/api/circles/{circle['id']}/payout-statement?{q}")
    assert body["test_totals"], body  # the payments flow's sandbox payment
    csv = await alice.get(f"/api/circles/{circle['id']}/payout-statement.csv?{q}")
    assert csv.status_code == 200, csv.text


async def moderation(url: str, clock: Any, alice: Api, carol: Api) -> None:
    """Roles and moderation (issue 14, items 1-2): permissions, role changes, rules, slow mode,
    mutes, moderator deletes, kicks, bans, the audit log, invite revocation, owner transfer."""
    dan = await register(url, "dan")
    circle = await alice.create_circle("Moderated")
    c = f"/api/circles/{circle['id']}"
    conv = circle["conversation_id"]
    await carol.join(circle["id"])
    await dan.join(circle["id"])
    sd, sc = await Sock(url, dan.token).connect(), await Sock(url, carol.token).connect()
    try:
        await alice.ok("PUT", f"{c}/roles", {"user_id": carol.id, "role": "moderator"})
        await dan.ok("GET", f"{c}/permissions")
        rules = (await alice.ok("PUT", f"{c}/rules", {"text": "Be kind."}))["rules"]
        await dan.ok("GET", f"{c}/rules")
        await dan.ok("POST", f"{c}/rules/accept", {"version": rules["version"]})
        await alice.ok("PUT", f"{c}/slow-mode", {"seconds": 30})
        sent = await send(sd, conv, "hello")
        assert (await sd.call("message:send", {"conversation_id": conv, "client_id": cid(),
                                               "text": "again"}))["ok"] is False  # fmt: skip
        clock.advance(31)
        await send(sd, conv, "later")
        await sc.ok("message:delete", {"message_id": sent["id"]})
        await carol.ok("POST", f"{c}/mute", {"user_id": dan.id, "seconds": 60})
        assert (await sd.call("message:send", {"conversation_id": conv, "client_id": cid(),
                                               "text": "muted"}))["ok"] is False  # fmt: skip
        await carol.ok("POST", f"{c}/unmute", {"user_id": dan.id})
        await carol.ok("POST", f"{c}/kick", {"user_id": dan.id})
        await dan.join(circle["id"])
        await carol.ok("POST", f"{c}/ban", {"user_id": dan.id, "reason": "spam"})
        assert (await dan.post(f"{c}/join", {})).status_code == 403
        await carol.ok("GET", f"{c}/bans")
        await carol.ok("POST", f"{c}/unban", {"user_id": dan.id})
        page = await carol.ok("GET", f"{c}/audit?limit=3")
        await carol.ok("GET", f"{c}/audit?limit=3&before={page['next_before']}")
        await alice.ok("POST", f"{c}/invites/revoke", {})
        invite = (await alice.ok("POST", f"{c}/invites"))["invite"]
        await dan.join(circle["id"], invite)
        await alice.ok("POST", f"{c}/transfer", {"user_id": carol.id})
    finally:
        await sd.close()
        await sc.close()
        await dan.aclose()


async def joins_and_blocks(url: str, alice: Api, carol: Api) -> None:
    """Join approval, newcomers' links and blocks (issue 14, item 4): requests, the staff's
    list, decisions, withdrawal; a newcomer's refused link; blocking, the list, a refused DM open
    and send."""
    erin = await register(url, "erin")
    circle = await alice.create_circle("Approving")
    c = f"/api/circles/{circle['id']}"
    se, sc = await Sock(url, erin.token).connect(), await Sock(url, carol.token).connect()
    try:
        await carol.join(circle["id"])
        await alice.ok("PUT", f"{c}/join-approval", {"required": True, "questions": ["Why?"]})
        assert (await erin.post(f"{c}/join", {})).status_code == 409
        await erin.ok("POST", f"{c}/join-requests", {"answers": ["hills"]})
        await erin.ok("GET", f"{c}/join-requests/mine")
        await erin.ok("DELETE", f"{c}/join-requests/mine")
        await erin.ok("POST", f"{c}/join-requests", {"answers": ["hills"]})
        await alice.ok("GET", f"{c}/join-requests")
        await alice.ok("POST", f"{c}/join-requests/decline", {"user_id": erin.id, "reason": "x"})
        await erin.ok("POST", f"{c}/join-requests", {"answers": ["hills!"]})
        await alice.ok("POST", f"{c}/join-requests/approve", {"user_id": erin.id})
        await alice.ok("PUT", f"{c}/newcomers", {"link_hours": 1})
        for n in range(2):  # newcomers' links held for review (moderation/holds.py)
            text = f"https://spam.example/{n} @{carol.user['handle']}"  # mentions on approval
            held = await se.call("message:send", {"conversation_id": circle["conversation_id"],
                                 "client_id": cid(), "text": text})  # fmt: skip
            hold = held["error"]["details"]["hold_id"]
            await alice.ok("GET", f"{c}/holds")
            await alice.ok("POST", f"{c}/holds/{hold}/{('approve', 'decline')[n]}", {})
        dm = (await sc.ok("dm:open", {"user_id": erin.id}))["conversation"]["id"]
        await erin.ok("POST", "/api/me/blocks", {"user_id": carol.id})
        await erin.ok("GET", "/api/me/blocks")
        assert (await sc.call("dm:open", {"user_id": erin.id}))["ok"] is False
        assert (await sc.call("message:send", {"conversation_id": dm, "client_id": cid(),
                                               "text": "hi"}))["ok"] is False  # fmt: skip
        await erin.ok("DELETE", f"/api/me/blocks/{carol.id}")
        await send(sc, dm, "hi again")
    finally:
        await se.close()
        await sc.close()
        await erin.aclose()


async def member_reports(url: str, alice: Api, carol: Api) -> None:
    """Member reports and the review queue (issue 14, item 3): reports of a message, a post and
    a member, a repeat, the queue and one item with context, decisions, the reporters told,
    and a decided target reported again."""
    fay, gus = await register(url, "fay"), await register(url, "gus")
    circle = await alice.create_circle("Reported")
    c = f"/api/circles/{circle['id']}"
    for api in (carol, fay, gus):
        await api.join(circle["id"])
    sf = await Sock(url, fay.token).connect()
    try:
        said = [await send(sf, circle["conversation_id"], f"spam {i}") for i in range(4)]
        await alice.ok("PUT", f"{c}/posts/settings", {"members_can_post": True})
        post = (await fay.ok("POST", f"{c}/posts", {"text": "a post"}))["post"]
        about = [("message", said[2]["id"]), ("post", post["id"]), ("member", fay.id)]
        for kind, target in about:
            body = {"kind": kind, "target_id": target, "reason": "spam"}
            await carol.ok("POST", f"{c}/reports", body)
        await carol.ok("POST", f"{c}/reports", {"kind": "member", "target_id": fay.id,
                                                "reason": "spam"})  # fmt: skip
        items = (await alice.ok("GET", f"{c}/reports?limit=2"))["items"]
        await alice.ok("GET", f"{c}/reports?limit=2&before={items[-1]['opened_at']}")
        await alice.ok("GET", f"{c}/reports/{items[0]['id']}")
        for item in (await alice.ok("GET", f"{c}/reports"))["items"]:
            action = {"message": "remove", "post": "remove", "member": "dismiss"}[item["kind"]]
            body = {"item_id": item["id"], "action": action}
            await alice.ok("POST", f"{c}/reports/decision", body)
        await alice.ok("GET", f"{c}/reports?status=decided")
        await gus.ok("POST", f"{c}/reports", {"kind": "member", "target_id": fay.id,
                                              "reason": "scam"})  # fmt: skip
        item = (await alice.ok("GET", f"{c}/reports"))["items"][0]
        await alice.ok("POST", f"{c}/reports/decision",
                       {"item_id": item["id"], "action": "mute", "seconds": 60})  # fmt: skip
        await carol.ok("GET", "/api/notifications")
    finally:
        await sf.close()
        await fay.aclose()
        await gus.aclose()


async def circle_report(watched: Watched, clock: Any, alice: Api, circle: Any) -> None:
    """The circle report (issue 13, items 2, 6): the sweeper's reads (circles, the chat's rev
    pages, memberships, reactions, facts, days, state, leases), the report's reads by month,
    and a full rebuild by the command line."""
    path = f"/api/circles/{circle['id']}/report"
    today = clock.now().date()
    since = today - timedelta(days=700)
    for _ in range(100):  # the chat flow's messages reach the rollups within a sweep or two
        found = await alice.ok("GET", f"{path}?period=month&from={since}&to={today}")
        if sum(b["messages"] for b in found["buckets"]):
            break
        await asyncio.sleep(0.2)
    else:
        raise AssertionError(f"the rollups never counted the chat: {found}")
    for period in ("day", "week"):
        await alice.ok("GET", f"{path}?period={period}")
    env = {
        "MONGODB_URL": watched.ferret.url,
        "MONGODB_DB": watched.schema,
        "FERRETDB_POSTGRESQL_URL": watched.ferret.extra["postgres_url"],
        "SECRET_KEY": "test-secret-key-for-the-whole-run",
    }
    # a full rebuild; then the days re-encoded by a fresh process: the numbering read by
    # ``_id`` (a reader that knows no version yet), then all of a circle's versions by
    # ``circle_id`` (its writer); then the books and people tables alone
    for what in ([], ["--days"], ["--books"]):
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "server.reports.rebuild", "--all", *what],
            env={**os.environ, **env},
            cwd=infra.ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, (what, done.stderr)


async def member_lifecycle(alice: Api, circle: Any) -> None:
    """Member lifecycle and RFM (issue 13, item 4): the thresholds set and read by ``_id``, the
    stages from the memberships, the day rollups, the activities and their payments."""
    c = f"/api/circles/{circle['id']}"
    body = {"new_days": 14, "cooling_days": 14, "silent_days": 30, "churned_days": 60}
    await alice.ok("PUT", f"{c}/lifecycle", body)
    found = await alice.ok("GET", f"{c}/members/lifecycle")
    assert found["members"], found
    await alice.ok("GET", f"{c}/members/lifecycle?stage=active&segment=champions")
    # member tags and outreach (issue 13, item 5): tags per circle, sends per circle, deliveries
    # per send, read positions by ``_id``
    other = next(m["user_id"] for m in found["members"] if m["user_id"] != alice.id)
    await alice.ok("PUT", f"{c}/members/{other}/tags", {"tags": ["regular"]})
    await alice.ok("GET", f"{c}/members/lifecycle?tag=regular")
    body = {"kind": "dm", "text": "Thanks for coming", "tag": "regular"}
    await alice.ok("POST", f"{c}/outreach", body, status=201)
    body = {"kind": "announcement", "text": "Season starts", "user_ids": [other]}
    await alice.ok("POST", f"{c}/outreach", body, status=201)
    assert len((await alice.ok("GET", f"{c}/outreach"))["outreach"]) == 2


async def test_main_flows_scan_no_collection(watched: Watched, clock: Any) -> None:
    url = watched.server.url
    alice, bob, carol = [await register(url, name) for name in ("alice", "bob", "carol")]
    try:
        circle = await chat(url, alice, bob, carol)
        await chat_features(url, alice, bob, circle)
        await activities(url, clock, alice, bob, carol, circle)
        await payments(url, clock, alice, bob, circle)
        await uploads_and_search(url, alice, carol, circle)  # bob logged out
        await discovery(clock, alice, carol, circle)
        await referrals_and_circle_page(url, clock, alice, carol)
        await posts_and_profiles(url, alice, carol)
        await reports(url, clock, alice, carol, circle)
        await trust(watched, clock, alice, carol, circle)
        await moderation(url, clock, alice, carol)
        await joins_and_blocks(url, alice, carol)
        await member_reports(url, alice, carol)
        await circle_report(watched, clock, alice, circle)
        await member_lifecycle(alice, circle)
        clock.advance(timedelta(minutes=1).total_seconds())
    finally:
        for api in (alice, bob, carol):
            await api.aclose()
    scans = watched.scans()
    growing = {c: sorted(set(q)) for c, q in scans.items()}
    assert not growing, "sequential scans of collections' tables:\n" + "\n".join(
        f"  {c}: {q}" for c, qs in growing.items() for q in qs
    )


async def test_the_check_sees_a_query_that_lost_its_index(watched: Watched) -> None:
    """Without the GIN indexes on ``messages``, history scans the messages."""
    url = watched.server.url
    alice = await register(url, "alice")
    try:
        circle = await alice.create_circle("Lost index")
        conv = circle["conversation_id"]
        with psycopg.connect(watched.ferret.extra["postgres_url"], autocommit=True) as conn:
            found = conn.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND indexname LIKE %s",
                (watched.schema, "messages%gin"),
            ).fetchall()
            assert found
            for (name,) in found:
                conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(watched.schema, name)))
        watched.log_start = watched.log_path.stat().st_size
        sa = await Sock(url, alice.token).connect()
        try:
            await send(sa, conv, "hello")
            await sa.ok("history", {"conversation_id": conv})
        finally:
            await sa.close()
    finally:
        await alice.aclose()
    assert "messages" in watched.scans()
