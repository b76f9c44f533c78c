"""The gate on paid activities and circles' payout accounts, on a server of this module's own
with PAID_ACTIVITIES_REQUIRE_VERIFICATION on (the shared test servers turn it off)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from server import container as wiring
from server.seed import DEMO_PASSWORD, seed_demo
from server.settings import Settings
from tests.support.activities import card_of, post_activity
from tests.support.client import Api, Sock, register
from tests.support.security_infra import Dedicated, start_dedicated
from tests.support.trust import BAD_IBAN, IBAN, make_admin, set_iban, verify

PRICE = {"amount": 1500, "currency": "EUR"}


@pytest.fixture(scope="module")
def trusted(stack: Any) -> Iterator[Dedicated]:
    d = start_dedicated(stack, PAID_ACTIVITIES_REQUIRE_VERIFICATION="1")
    yield d
    d.proc.stop()


@pytest.fixture
async def people(trusted: Dedicated) -> AsyncIterator[dict[str, Api]]:
    made = {n: await register(trusted.url, n) for n in ("organiser", "admin", "member", "eve")}
    make_admin(trusted, made["admin"])
    yield made
    for api in made.values():
        await api.aclose()


async def listed(api: Api, circle_id: str) -> list[str]:
    body = await api.ok("GET", f"/api/circles/{circle_id}/activities")
    return [a["id"] for a in body["activities"]]


async def refused(resp: Any, reason: str) -> None:
    assert resp.status_code == 403, resp.text
    error = resp.json()["error"]
    assert (error["code"], error["details"]["reason"]) == ("forbidden", reason)


async def test_a_paid_activity_needs_verification_then_a_payout_account(
    people: dict[str, Api], clock: Any
) -> None:
    organiser, admin = people["organiser"], people["admin"]
    circle = await organiser.create_circle("Paid hikes")
    body = {
        "title": "Guided hike",
        "category": "outdoors",
        "starts_at": "2030-01-05T09:00:00.000Z",
        "ends_at": "2030-01-05T12:00:00.000Z",
        "location": {"name": "Trailhead"},
        "capacity": 5,
        "price": PRICE,
    }
    path = f"/api/circles/{circle['id']}/activities"
    await refused(await organiser.post(path, body), "verification_required")
    free = await post_activity(organiser, circle, clock.now(), title="Free walk")
    priced = await organiser.request(
        "PATCH", f"/api/activities/{free['id']}", json={"price": PRICE}
    )
    await refused(priced, "verification_required")
    assert await listed(organiser, circle["id"]) == [free["id"]]  # nothing else was stored
    assert (await organiser.ok("GET", f"/api/activities/{free['id']}"))["activity"]["price"] is None
    # a free activity and a price of 0 need neither
    zero = await post_activity(
        organiser, circle, clock.now(), price={"amount": 0, "currency": "EUR"}
    )
    pages = (f"/s/a/{free['id']}", f"/s/c/{circle['id']}")
    async with httpx.AsyncClient(base_url=organiser.base_url, timeout=30) as anon:
        for page in pages:
            assert "Verified organiser" not in (await anon.get(page)).text
        await verify(organiser, admin)
        for page in pages:  # the badge on the public share pages
            shown = await anon.get(page)
            assert shown.status_code == 200 and '<p class="verified">' in shown.text, page
    await refused(await organiser.post(path, body), "payout_account_required")
    badge = await people["eve"].ok("GET", f"/api/circles/{circle['id']}/trust")
    assert badge == {"circle_id": circle["id"], "owner_verified": True, "payout_account": False}
    assert sorted(await listed(organiser, circle["id"])) == sorted([free["id"], zero["id"]])
    assert (await set_iban(organiser, circle["id"])).status_code == 200
    made = await organiser.post(path, body)
    assert made.status_code == 201, made.text
    sock = await Sock(organiser.base_url, organiser.token).connect()
    try:  # the badge on the cards: the new one, and the old one once it changes
        conv = circle["conversation_id"]
        new = await card_of(sock, conv, made.json()["activity"]["card_message_id"])
        assert new["organiser_verified"] is True
        old = await card_of(sock, conv, free["card_message_id"])
        assert old["organiser_verified"] is False
        patched = await organiser.request(
            "PATCH", f"/api/activities/{free['id']}", json={"price": PRICE}
        )
        assert patched.status_code == 200 and patched.json()["activity"]["price"] == PRICE
        for _ in range(100):  # the card is re-rendered after the edit is stored
            old = await card_of(sock, conv, free["card_message_id"])
            if old["price"] == PRICE:
                break
            await asyncio.sleep(0.05)
        assert old["organiser_verified"] is True and old["price"] == PRICE
    finally:
        await sock.close()
    badge = await people["eve"].ok("GET", f"/api/circles/{circle['id']}/trust")
    assert badge["payout_account"] is True


async def test_a_circle_admins_unverified_paid_activity_is_refused_in_a_set_up_circle(
    people: dict[str, Api], clock: Any
) -> None:
    """The account belongs to the circle, the verification to the person publishing."""
    organiser, admin, member = people["organiser"], people["admin"], people["member"]
    await verify(organiser, admin)
    circle = await organiser.create_circle("Owner verified")
    assert (await set_iban(organiser, circle["id"])).status_code == 200
    other = await member.create_circle("Member's own")
    await refused(
        await member.post(
            f"/api/circles/{other['id']}/activities",
            {
                "title": "Paid",
                "category": "outdoors",
                "starts_at": "2030-01-05T09:00:00.000Z",
                "ends_at": "2030-01-05T12:00:00.000Z",
                "location": {"name": "Trailhead"},
                "capacity": 5,
                "price": PRICE,
            },
        ),
        "verification_required",
    )
    assert await post_activity(organiser, circle, clock.now(), price=PRICE)


async def test_the_payout_account_is_the_owners_and_shown_masked(
    trusted: Dedicated, people: dict[str, Api]
) -> None:
    organiser, member, eve = people["organiser"], people["member"], people["eve"]
    public = await organiser.create_circle("Public one")
    private = await organiser.create_circle("Private one", visibility="private")
    await member.join(public["id"])
    acct = f"/api/circles/{public['id']}/payout-account"
    assert (await organiser.get(acct)).status_code == 404  # none yet
    bad = await set_iban(organiser, public["id"], BAD_IBAN)
    assert bad.status_code == 422 and "iban" in bad.json()["error"]["details"]["fields"]
    for body, field in (
        ({"holder_name": "Maya"}, "iban"),
        ({"holder_name": "Maya", "iban": IBAN, "platform": "paypal", "handle": "maya"}, "iban"),
        ({"holder_name": "", "iban": IBAN}, "holder_name"),
        ({"holder_name": "Maya", "platform": "venmo", "handle": "maya"}, "platform"),
        ({"holder_name": "Maya", "iban": {"$gt": ""}}, "iban"),
    ):
        resp = await organiser.request("PUT", acct, json=body)
        assert resp.status_code == 422 and field in resp.json()["error"]["details"]["fields"], (
            body,
            resp.text,
        )
    assert (await organiser.get(acct)).status_code == 404  # refusals stored nothing
    # members and outsiders may neither set nor see it
    assert (await set_iban(member, public["id"])).status_code == 403
    assert (await set_iban(eve, private["id"])).status_code == 404
    ok = await set_iban(organiser, public["id"])
    assert ok.status_code == 200, ok.text
    shown = ok.json()["payout_account"]
    assert shown["masked"] == "DE•• •••• 3000" and shown["method"] == "iban"
    assert (await organiser.ok("GET", acct))["payout_account"] == shown
    assert (await member.get(acct)).status_code == 403
    assert (await eve.get(acct)).status_code == 403
    assert (await set_iban(organiser, private["id"])).status_code == 200
    assert (await eve.get(f"/api/circles/{private['id']}/payout-account")).status_code == 404
    assert (await eve.get(f"/api/circles/{private['id']}/trust")).status_code == 404
    digits = IBAN.replace(" ", "")
    async with trusted.database() as db:
        raw = await db["payout_accounts"].find_one({"_id": public["id"]})
    assert raw is not None and digits not in json.dumps(raw, default=str)
    assert digits[4:12] not in ok.text
    # a payment-platform handle instead
    handle = await organiser.request(
        "PUT", acct, json={"holder_name": "Maya Chen", "platform": "paypal", "handle": "maya.chen"}
    )
    assert handle.status_code == 200, handle.text
    assert handle.json()["payout_account"]["masked"] == "ma•••en"
    assert (await member.request("DELETE", acct)).status_code == 403
    assert (await organiser.request("DELETE", acct)).status_code == 204
    assert (await organiser.get(acct)).status_code == 404


async def test_the_demo_organisers_may_publish_paid_activities(stack: Any, tmp_path: Any) -> None:
    """server/seed.py verifies the demo circles' owners and gives the circles a payout account,
    so demo data still has paid activities with the gate on."""
    db = f"t_{uuid.uuid4().hex[:12]}"
    settings = Settings(
        mongodb_url=stack.mongo_url,
        mongodb_db=db,
        secret_key="test-secret-key-for-the-whole-run",
        data_dir=tmp_path,
        password_time_cost=1,
        password_memory_kib=8192,
    )
    c = wiring.build(settings, stack.mongo_url)
    try:
        await c.init_storage(stack.postgres_url or None)
        await seed_demo(c, history=False)
    finally:
        await c.close()
    d = start_dedicated(stack, db=db, PAID_ACTIVITIES_REQUIRE_VERIFICATION="1")
    try:
        async with httpx.AsyncClient(base_url=d.url, timeout=60) as http:
            login = await http.post(
                "/api/auth/login", json={"handle": "maya", "password": DEMO_PASSWORD}
            )
            assert login.status_code == 200, login.text
            maya = Api(d.url, login.json()["token"], login.json()["user"])
        try:
            found = await maya.ok("GET", "/api/circles?q=Sunday")
            circle = next(c for c in found["circles"] if c["name"] == "Sunday Hikers")
            assert await post_activity(maya, circle, datetime.now(UTC), price=PRICE)
            shown = await maya.ok("GET", f"/api/circles/{circle['id']}/payout-account")
            assert shown["payout_account"]["masked"] == "GB•• •••• 5432"
        finally:
            await maya.aclose()
    finally:
        d.proc.stop()


async def test_circle_admins_see_the_masked_account_and_statements_moderators_do_not(
    people: dict[str, Api],
) -> None:
    """Roles come from PUT /api/circles/{id}/roles (server/moderation/): admins read, only the
    owner writes; a moderator is a member here."""
    organiser, member, eve = people["organiser"], people["member"], people["eve"]
    circle = await organiser.create_circle("Roles and money")
    await member.join(circle["id"])
    await eve.join(circle["id"])
    for who, role in ((member, "admin"), (eve, "moderator")):
        await organiser.ok(
            "PUT", f"/api/circles/{circle['id']}/roles", {"user_id": who.id, "role": role}
        )
    assert (await set_iban(organiser, circle["id"])).status_code == 200
    acct = f"/api/circles/{circle['id']}/payout-account"
    statement = f"/api/circles/{circle['id']}/payout-statement?from=2026-01-01&to=2026-01-31"
    shown = (await member.ok("GET", acct))["payout_account"]
    assert shown["masked"] == "DE•• •••• 3000"
    assert (await member.get(statement)).status_code == 200
    assert (await set_iban(member, circle["id"])).status_code == 403
    assert (await member.request("DELETE", acct)).status_code == 403
    assert (await eve.get(acct)).status_code == 403
    assert (await eve.get(statement)).status_code == 403
