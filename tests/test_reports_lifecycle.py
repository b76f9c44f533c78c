"""Each member's lifecycle stage, RFM score and segments (issue 13, item 4), read from the day
rollups, the memberships, the circle's activities (check-ins) and payments (paid minus refunds):
a small community whose 70-day history the test writes on days it sets with the servers' clock,
then the exact stage, RFM and segments of every member, the thresholds as circle settings, the
filters, and who may read them (owners/admins only: members never see others' spending)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.support import infra
from tests.support.activities import activity, post_activity
from tests.support.chat import say
from tests.support.client import Api
from tests.test_reports_activity import eventually, paid_by_transfer, signup
from tests.test_reports_circle import align
from tests.test_reports_revenue import sandbox_paid

DAY = 86_400
EUR = "EUR"


@pytest.fixture(scope="module")
def server(stack: Any) -> Any:
    """Rollups kept every 0.3 s, paid activities without the verification gate, and sessions
    that outlive the 70 days the test moves the clock through."""
    env = stack.server_env(
        REPORT_ROLLUP_SECONDS="0.3",
        PAID_ACTIVITIES_REQUIRE_VERIFICATION="0",
        SESSION_TTL_DAYS="400",
    )
    proc: infra.Proc = stack.start(**env)
    yield proc
    proc.stop()


def price(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": EUR}


def rfm(
    recency: int | None, attended: int, active: int, money: dict[str, int], r: int, f: int, m: int
) -> dict[str, Any]:
    return {
        "recency_days": recency,
        "frequency": attended + active,
        "attended": attended,
        "active_days": active,
        "monetary": money,
        "r": r,
        "f": f,
        "m": m,
    }


async def lifecycle(api: Api, circle: dict[str, Any], query: str = "") -> dict[str, Any]:
    return dict(await api.ok("GET", f"/api/circles/{circle['id']}/members/lifecycle{query}"))


def by_user(found: dict[str, Any], names: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Each listed member's stage, RFM and segments, by the test's name for them."""
    return {
        names[m["user_id"]]: {k: m[k] for k in ("stage", "rfm", "segments")}
        for m in found["members"]
    }


async def test_stages_rfm_and_segments_of_a_known_community_exactly(
    make_user: Callable[..., Awaitable[Api]], make_sock: Any, clock: Any
) -> None:
    d0 = align(clock)
    day = 0

    def to_day(n: int) -> None:
        nonlocal day
        assert n >= day
        clock.advance((n - day) * DAY)
        day = n

    owner = await make_user("owner", display_name="Olga")
    circle = await owner.create_circle("Runners")
    conv = circle["conversation_id"]
    people = {
        n: await make_user(n, display_name=n.title())
        for n in ("alice", "carol", "dave", "frank", "grace", "henry", "erin")
    }
    names = {owner.id: "owner", **{api.id: n for n, api in people.items()}}
    alice, carol, dave, frank, grace, henry, erin = people.values()
    for n in ("alice", "carol", "dave", "frank", "grace", "henry"):
        await people[n].join(circle["id"])
    socks = {n: await make_sock(api) for n, api in [("owner", owner), *people.items()]}

    async def post(who: str, text: str) -> None:
        await say(socks[who], conv, text)

    # day 0..3: alice talks, pays for a hike, cancels it (refunded) and leaves
    hike = await post_activity(
        owner, circle, d0, starts_in=timedelta(days=30), capacity=5, price=price(5000)
    )
    await post("owner", "Welcome, runners")
    await post("alice", "Hi all")
    to_day(1)
    await post("alice", "Anyone for Sunday?")
    await post("grace", "Maybe")
    await signup(make_sock, grace, hike)  # paid in the sandbox: no money moved
    await sandbox_paid(grace, hike)
    to_day(2)
    await signup(make_sock, alice, hike)
    alice_pid = await paid_by_transfer(owner, alice, hike, "IBAN alice")
    await post("henry", "Hello")
    to_day(3)
    await socks["alice"].ok("activity:cancel", {"activity_id": hike["id"]})

    async def refund_started() -> bool:
        found = await alice.ok("GET", f"/api/payments/{alice_pid}")
        return bool(found["payment"]["status"] == "refund_pending")

    await eventually(refund_started)
    await owner.ok("POST", f"/api/payments/{alice_pid}/refunded", {})
    await alice.ok("POST", f"/api/circles/{circle['id']}/leave", {})

    # days 33..36: frank, four days in a row, then nothing
    for n in range(33, 37):
        to_day(n)
        await post("frank", f"day {n}")
    to_day(45)
    await post("owner", "Midsummer run?")
    to_day(50)
    await post("carol", "I'm back from travelling")

    # day 55: dave pays a lot for a race and never shows up (no check-in)
    to_day(55)
    now = d0 + timedelta(days=55)
    race = await post_activity(
        owner, circle, now, starts_in=timedelta(hours=2), capacity=5, price=price(25_000)
    )
    await signup(make_sock, dave, race)
    await paid_by_transfer(owner, dave, race, "IBAN dave")
    to_day(58)
    await post("owner", "Race photos are up")

    # day 60: carol pays a meetup and is checked in; then talks every day to day 70
    to_day(60)
    now = d0 + timedelta(days=60)
    meetup = await post_activity(
        owner, circle, now, starts_in=timedelta(hours=2), capacity=5, price=price(3000)
    )
    await signup(make_sock, carol, meetup)
    await paid_by_transfer(owner, carol, meetup, "IBAN carol")
    clock.advance(2 * 3600)
    checked = await owner.post(
        f"/api/activities/{meetup['id']}/checkin/user", {"user_id": carol.id}
    )
    assert checked.status_code == 200, checked.text
    assert (await activity(carol, meetup["id"]))["my_signup"]["status"] == "attended"
    for n in range(61, 71):
        to_day(n)
        await post("carol", f"run log {n}")
        if n == 65:  # alice comes back, erin joins and stays quiet
            await alice.join(circle["id"])
            socks["alice"] = await make_sock(alice)
            await erin.join(circle["id"])
        if n == 66:
            await post("alice", "Good to be back")
        if n == 68:
            await post("henry", "Long time no see")
        if n == 69:
            await post("owner", "Welcome, Erin")

    expected = {
        # posted days 0, 45, 58, 69: back on day 45 after 45 idle days (a return), since then
        # never 14 days apart, and that return is 25 days old: active
        "owner": {"stage": "active", "rfm": rfm(1, 0, 4, {}, 5, 3, 1), "segments": []},
        # rejoined 5 days ago and posted since: activated; her days before the leave (0, 1,
        # and the sign-up on day 2) still count; her 5000 was refunded: 0
        "alice": {
            "stage": "activated",
            "rfm": rfm(4, 0, 4, {EUR: 0}, 5, 3, 1),
            "segments": [],
        },
        # days 50, 60 (sign-up) and 61..70, and checked in on day 60
        "carol": {
            "stage": "active",
            "rfm": rfm(0, 1, 12, {EUR: 3000}, 5, 5, 2),
            "segments": ["champions"],
        },
        # signed up on day 55, a no-show: 15 idle days
        "dave": {
            "stage": "cooling",
            "rfm": rfm(15, 0, 1, {EUR: 25_000}, 3, 1, 5),
            "segments": ["at risk", "big spenders"],
        },
        "frank": {"stage": "silent", "rfm": rfm(34, 0, 4, {}, 2, 3, 1), "segments": ["at risk"]},
        # talked and signed up on day 1 (her sandbox payment is no money)
        "grace": {"stage": "churned", "rfm": rfm(69, 0, 1, {}, 1, 1, 1), "segments": ["lost"]},
        # back on day 68 after 66 idle days
        "henry": {"stage": "returning", "rfm": rfm(2, 0, 2, {}, 5, 2, 1), "segments": []},
        "erin": {
            "stage": "new",
            "rfm": rfm(None, 0, 0, {}, 1, 1, 1),
            "segments": ["new and not yet activated"],
        },
    }
    deadline = asyncio.get_running_loop().time() + 45
    while True:  # the sweeper (every 0.3 s) catches up with the chat
        found = await lifecycle(owner, circle)
        if by_user(found, names) == expected:
            break
        assert asyncio.get_running_loop().time() < deadline, by_user(found, names)
        await asyncio.sleep(0.3)

    today = (d0 + timedelta(days=70)).date().isoformat()
    assert found["day"] == today
    assert found["main_currency"] == EUR
    assert found["thresholds"] == {
        "circle_id": circle["id"],
        "new_days": 14,
        "cooling_days": 14,
        "silent_days": 30,
        "churned_days": 60,
    }
    listed = {names[m["user_id"]]: m for m in found["members"]}
    assert listed["alice"]["display_name"] == "Alice"
    assert listed["owner"]["role"] == "owner" and listed["alice"]["role"] == "member"
    rejoined = datetime.fromisoformat(listed["alice"]["joined_at"].replace("Z", "+00:00"))
    assert rejoined.date() == (d0 + timedelta(days=65)).date()

    # filters: a stage, a segment, both
    cooling = await lifecycle(owner, circle, "?stage=cooling")
    assert [names[m["user_id"]] for m in cooling["members"]] == ["dave"]
    at_risk = await lifecycle(owner, circle, "?segment=at%20risk")
    assert sorted(names[m["user_id"]] for m in at_risk["members"]) == ["dave", "frank"]
    both = await lifecycle(owner, circle, "?stage=silent&segment=big%20spenders")
    assert both["members"] == []

    # the thresholds are the circle's: an admin sets them, and the stages follow
    await owner.ok(
        "PUT", f"/api/circles/{circle['id']}/roles", {"user_id": henry.id, "role": "admin"}
    )
    body = {"new_days": 3, "cooling_days": 10, "silent_days": 20, "churned_days": 70}
    assert await henry.ok("PUT", f"/api/circles/{circle['id']}/lifecycle", body) == {
        "circle_id": circle["id"],
        **body,
    }
    stages = {k: v["stage"] for k, v in by_user(await lifecycle(henry, circle), names).items()}
    assert stages == {
        "owner": "returning",  # day 69 came 11 days after day 58: a return at 10
        "alice": "active",  # no longer new at 3 days; day 66 is no return (1 day after the join)
        "carol": "active",  # day 60 was a return (10 days after 50), 10 days ago: over
        "dave": "cooling",
        "frank": "silent",
        "grace": "silent",  # 69 idle days: not yet churned at 70
        "henry": "returning",
        "erin": "cooling",  # no longer new, never participated since the join
    }


async def test_thresholds_are_validated_and_a_refusal_changes_nothing(
    make_user: Callable[..., Awaitable[Api]],
) -> None:
    owner = await make_user("owner")
    circle = await owner.create_circle("Walkers")
    path = f"/api/circles/{circle['id']}/lifecycle"
    good = {"new_days": 7, "cooling_days": 10, "silent_days": 20, "churned_days": 40}
    await owner.ok("PUT", path, good)
    for body, field in (
        ({**good, "silent_days": 10}, "silent_days"),
        ({**good, "churned_days": 20}, "churned_days"),
        ({**good, "churned_days": 91}, "churned_days"),
        ({**good, "new_days": 0}, "new_days"),
        ({**good, "cooling_days": "14"}, "cooling_days"),
    ):
        resp = await owner.request("PUT", path, json=body)
        assert resp.status_code == 422, resp.text
        err = resp.json()["error"]
        assert err["code"] == "invalid" and field in err["details"]["fields"], err
    resp = await owner.request("PUT", path, json={k: v for k, v in good.items() if k != "new_days"})
    assert resp.status_code == 422
    found = await lifecycle(owner, circle)
    assert found["thresholds"] == {"circle_id": circle["id"], **good}


async def test_only_owners_and_admins_read_stages_and_spending(
    make_user: Callable[..., Awaitable[Api]],
) -> None:
    owner = await make_user("owner")
    circle = await owner.create_circle("Open club")
    hidden = await owner.create_circle("Closed club", visibility="private")
    member, moderator, admin, outsider = [
        await make_user(n) for n in ("member", "moderator", "admin", "outsider")
    ]
    for api in (member, moderator, admin):
        await api.join(circle["id"])
    for who, role in ((moderator, "moderator"), (admin, "admin")):
        await owner.ok(
            "PUT", f"/api/circles/{circle['id']}/roles", {"user_id": who.id, "role": role}
        )
    body = {"new_days": 7, "cooling_days": 10, "silent_days": 20, "churned_days": 40}
    for who, expected in ((member, 403), (moderator, 403), (outsider, 403)):
        for method, path, json in (
            ("GET", f"/api/circles/{circle['id']}/members/lifecycle", None),
            ("PUT", f"/api/circles/{circle['id']}/lifecycle", body),
        ):
            resp = await who.request(method, path, json=json)
            assert resp.status_code == expected, (method, path, resp.text)
            assert resp.json()["error"]["code"] == "forbidden"
            assert "members" not in resp.json()
    for method, json in (("GET", None), ("PUT", body)):
        path = (
            f"/api/circles/{hidden['id']}/members/lifecycle"
            if method == "GET"
            else f"/api/circles/{hidden['id']}/lifecycle"
        )
        resp = await outsider.request(method, path, json=json)
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"
    # the refused PUTs changed nothing; an admin reads everyone's standing (the table follows
    # the joins at the sweeper's next pass)
    everyone = {owner.id, member.id, moderator.id, admin.id}

    async def listed() -> bool:
        return {m["user_id"] for m in (await lifecycle(admin, circle))["members"]} == everyone

    await eventually(listed)
    found = await lifecycle(admin, circle)
    assert found["thresholds"]["cooling_days"] == 14
    assert found["total"] == 4 and found["offset"] == 0
