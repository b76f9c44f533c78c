"""The organiser's activity report (issue 13, item 1): sign-ups per day, the funnel, the
waitlist and what became of its offers, cancellations and how long before the start, no-shows
from check-ins, money paid and refunded, and where sign-ups came from, with exact numbers for
an activity whose whole history the test wrote (the servers' clock moved by the test)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.support import infra
from tests.support.activities import activity, post_activity
from tests.support.client import Api, Sock
from tests.support.share import anon

PRICE = {"amount": 1500, "currency": "EUR"}


@pytest.fixture(scope="module")
def server(stack: Any) -> Any:
    """A server of this module's own, where anyone who may post activities may price them:
    these tests are about reports, not the organiser verification gate (server/trust/)."""
    proc: infra.Proc = stack.start(**stack.server_env(PAID_ACTIVITIES_REQUIRE_VERIFICATION="0"))
    yield proc
    proc.stop()


def align(clock: Any) -> datetime:
    """Move the servers' clock forward to noon UTC of the 10th of a coming month, so the days
    and months a test writes its history on are known (the clock only ever moves forward)."""
    now = clock.now()
    first = (now.replace(day=1) + timedelta(days=32)).replace(day=1)
    target = first.replace(day=10, hour=12, minute=0, second=0, microsecond=0)
    clock.advance((target - now).total_seconds())
    return target


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.1)


async def status(api: Api, act: dict[str, Any]) -> str | None:
    mine = (await activity(api, act["id"]))["my_signup"]
    return mine["status"] if mine else None


async def signup(make_sock: Any, who: Api, act: dict[str, Any], **via: str) -> Sock:
    sock = await make_sock(who)
    await sock.ok("activity:signup", {"activity_id": act["id"], **via})
    return sock


async def paid_by_transfer(organiser: Api, payer: Api, act: dict[str, Any], ref: str) -> str:
    """Pay the held seat by a confirmed manual transfer; the payment's id."""
    made = await payer.post(f"/api/activities/{act['id']}/payment", {"provider": "manual"})
    assert made.status_code == 201, made.text
    pid = str(made.json()["payment"]["id"])
    await payer.ok("POST", f"/api/payments/{pid}/proof", {"reference": ref})
    done = await organiser.ok("POST", f"/api/payments/{pid}/confirm", {})
    assert done["payment"]["status"] == "paid"
    return pid


async def report(api: Api, act: dict[str, Any]) -> dict[str, Any]:
    return dict(await api.ok("GET", f"/api/activities/{act['id']}/report"))


async def test_an_activity_report_counts_its_known_history_exactly(make_user, make_sock, clock):
    d0 = align(clock)
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Paid walks")
    act = await post_activity(
        organiser,
        circle,
        d0,
        starts_in=timedelta(days=3),
        capacity=2,
        price=PRICE,
        offer_window_minutes=60,
        refund_cutoff_hours=24,
    )
    alice, bob, carol, dave, erin = [
        await make_user(n) for n in ("alice", "bob", "carol", "dave", "erin")
    ]
    # Day 0: alice and bob take the two seats and pay; carol and dave wait (dave came from
    # alice's poster); three people open alice's share page.
    await signup(make_sock, alice, act)
    await paid_by_transfer(organiser, alice, act, "IBAN alice")
    await signup(make_sock, bob, act)
    bob_paid = await paid_by_transfer(organiser, bob, act, "IBAN bob")
    await signup(make_sock, carol, act)
    sd = await signup(make_sock, dave, act, ref=alice.user["handle"], ch="poster")
    for agent, ch in (
        ("Agent-A", "link"),
        ("Agent-A", "link"),
        ("Agent-B", "link"),
        ("C", "poster"),
    ):
        page = await anon(
            alice.base_url,
            f"/s/a/{act['id']}",
            params={"ref": alice.user["handle"], "ch": ch},
            headers={"User-Agent": agent},
        )
        assert page.status_code == 200
    before = await report(organiser, act)
    assert before["waitlist"] == {"current": 2, "ever": 2}
    assert before["no_shows"] is None and before["ended"] is False

    # Day 1: bob cancels 48 hours before the start (refunded by hand); the seat is offered to
    # carol, who declines, then to dave, who lets the offer run out; erin then takes the seat.
    clock.advance(24 * 3600)
    sb = await make_sock(bob)
    await sb.ok("activity:cancel", {"activity_id": act["id"]})

    async def refund_started() -> bool:
        found = await bob.ok("GET", f"/api/payments/{bob_paid}")
        return bool(found["payment"]["status"] == "refund_pending")

    await eventually(refund_started)
    await organiser.ok("POST", f"/api/payments/{bob_paid}/refunded", {})
    assert await status(carol, act) == "offered"
    sc = await make_sock(carol)
    await sc.ok("activity:decline_offer", {"activity_id": act["id"]})
    assert await status(dave, act) == "offered"
    clock.advance(61 * 60)
    await sd.wait_for("notification", lambda e: e["notification"]["kind"] == "offer_expired")

    async def dave_lost_it() -> bool:
        return await status(dave, act) == "cancelled"

    await eventually(dave_lost_it)
    await signup(make_sock, erin, act)
    await paid_by_transfer(organiser, erin, act, "IBAN erin")

    # The day of the activity: alice is checked in, erin never comes.
    clock.advance(47 * 3600)
    await organiser.ok("POST", f"/api/activities/{act['id']}/checkin/user", {"user_id": alice.id})
    clock.advance(3 * 3600)  # past the end

    day0, day1 = d0.strftime("%Y-%m-%d"), (d0 + timedelta(days=1)).strftime("%Y-%m-%d")
    expected = {
        "activity_id": act["id"],
        "circle_id": circle["id"],
        "title": "Saturday hike",
        "starts_at": act["starts_at"],
        "cancelled": False,
        "ended": True,
        "views": {"share_page": {"link": 2, "poster": 1, "going": 0}},
        "signups": 5,
        "signups_by_day": [{"day": day0, "signups": 4}, {"day": day1, "signups": 1}],
        "funnel": {"viewed": 3, "signed_up": 5, "confirmed": 3, "attended": 1},
        "waitlist": {"current": 0, "ever": 2},
        "offers": {"made": 2, "claimed": 0, "declined": 1, "expired": 1, "open": 0},
        "holds_expired": 0,
        "cancellations": {
            "count": 1,
            "late": 0,
            "hours_before_start": [48.0],
            "median_hours_before_start": 48.0,
        },
        "reconfirmation": {"asked": 0, "reconfirmed": 0},
        "no_shows": 1,
        "no_show_rate": 0.5,
        "payments": [
            {"currency": "EUR", "test": False, "paid": 4500, "refunded": 1500, "net": 3000}
        ],
        "referrals": {"total": 1, "by_channel": {"link": 0, "poster": 1, "going": 0}},
    }
    assert await report(organiser, act) == expected


async def test_late_cancellations_expired_holds_and_an_offer_claimed(make_user, make_sock, clock):
    """A free activity: a waitlisted person claims an offer; a late cancellation (6 hours
    before the start) is counted as late; an organiser cancelling the whole activity adds no
    cancellations; and a paid seat whose hold ran out is a hold expired, not a cancellation."""
    d0 = align(clock)
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Walks")
    free = await post_activity(organiser, circle, d0, starts_in=timedelta(hours=30), capacity=1)
    paid = await post_activity(
        organiser, circle, d0, starts_in=timedelta(days=2), capacity=1, price=PRICE
    )
    alice, bob, carol = [await make_user(n) for n in ("alice", "bob", "carol")]
    sa = await signup(make_sock, alice, free)
    sb = await signup(make_sock, bob, free)
    clock.advance(24 * 3600)  # 6 hours before the start
    await sa.ok("activity:cancel", {"activity_id": free["id"]})
    assert await status(bob, free) == "offered"
    await sb.ok("activity:accept_offer", {"activity_id": free["id"]})
    await signup(make_sock, carol, paid)  # holds the paid seat, never pays
    clock.advance(16 * 60)  # past the 15 minute hold

    async def hold_ran_out() -> bool:
        return await status(carol, paid) == "cancelled"

    await eventually(hold_ran_out)
    await organiser.ok("POST", f"/api/activities/{free['id']}/cancel", {"reason": "rain"})

    found = await report(organiser, free)
    assert found["signups"] == 2 and found["cancelled"] is True
    assert found["offers"] == {"made": 1, "claimed": 1, "declined": 0, "expired": 0, "open": 0}
    assert found["cancellations"] == {
        "count": 1,
        "late": 1,
        "hours_before_start": [6.0],
        "median_hours_before_start": 6.0,
    }
    assert found["funnel"] == {"viewed": 0, "signed_up": 2, "confirmed": 2, "attended": 0}
    assert found["no_shows"] is None and found["no_show_rate"] is None  # cancelled
    held = await report(organiser, paid)
    assert held["holds_expired"] == 1 and held["cancellations"]["count"] == 0
    assert held["funnel"] == {"viewed": 0, "signed_up": 1, "confirmed": 0, "attended": 0}
    assert held["payments"] == []


async def test_a_reconfirmation_after_a_change_is_counted(make_user, make_sock, clock):
    d0 = align(clock)
    organiser = await make_user("organiser")
    circle = await organiser.create_circle("Walks")
    act = await post_activity(organiser, circle, d0, starts_in=timedelta(days=3), capacity=3)
    alice, bob = [await make_user(n) for n in ("alice", "bob")]
    sa = await signup(make_sock, alice, act)
    await signup(make_sock, bob, act)
    moved = (d0 + timedelta(days=4)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    ends = (d0 + timedelta(days=4, hours=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    await organiser.ok(
        "PATCH", f"/api/activities/{act['id']}", {"starts_at": moved, "ends_at": ends}
    )
    await sa.ok("activity:reconfirm", {"activity_id": act["id"], "going": True})
    found = await report(organiser, act)
    assert found["reconfirmation"] == {"asked": 2, "reconfirmed": 1}
    assert found["cancellations"]["count"] == 0


async def test_concurrent_signups_on_two_processes_are_each_counted_once(
    make_user, make_sock, clock, server_pair
):
    """Twelve people sign up at once for four seats, half through each of two processes (each
    process records its own commits and, on its first commit, the entries it had not seen),
    then two of the confirmed cancel at once: the report counts every step once."""
    one, two = server_pair
    organiser = await make_user("organiser", base_url=one.url)
    circle = await organiser.create_circle("Busy walks")
    act = await post_activity(organiser, circle, clock.now(), capacity=4)
    people = [await make_user(f"p{i}", base_url=(one, two)[i % 2].url) for i in range(12)]
    socks = [await make_sock(p, (one, two)[i % 2].url) for i, p in enumerate(people)]
    await asyncio.gather(*(s.ok("activity:signup", {"activity_id": act["id"]}) for s in socks))
    confirmed = [
        s for p, s in zip(people, socks, strict=True) if await status(p, act) == "confirmed"
    ]
    assert len(confirmed) == 4
    await asyncio.gather(
        *(s.ok("activity:cancel", {"activity_id": act["id"]}) for s in confirmed[:2])
    )

    async def settled() -> bool:
        found = await report(organiser, act)
        return bool(found["offers"]["made"] == 2 and found["cancellations"]["count"] == 2)

    await eventually(settled)
    found = await report(organiser, act)
    assert found["signups"] == 12 and found["signups_by_day"][0]["signups"] == 12
    assert found["funnel"] == {"viewed": 0, "signed_up": 12, "confirmed": 4, "attended": 0}
    assert found["waitlist"] == {"current": 6, "ever": 8}
    assert found["offers"] == {"made": 2, "claimed": 0, "declined": 0, "expired": 0, "open": 2}
    assert found["cancellations"]["count"] == 2
    assert await report(two_api(organiser, two), act) == found


def two_api(api: Api, proc: Any) -> Api:
    """The same session, talking to the other process."""
    return Api(proc.url, api.token, api.user)


def _imports(package: str) -> dict[str, set[str]]:
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "server" / package
    found: dict[str, set[str]] = {}
    for path in root.glob("*.py"):
        names = found.setdefault(path.name, set())
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(n.name for n in node.names)
    return found


def test_reports_stay_off_the_message_path():
    """Nothing on the send path knows of reports (the reason an earlier attempt was not
    merged): server/messages/ and server/realtime/ never import server/reports/. Only the circle
    report's sweeper (rollups*.py) reads the chat, with the read side of the log (its models,
    repository, sync pages and shared tops), never the service or the writer that sends."""
    for package in ("messages", "realtime"):
        for name, imported in _imports(package).items():
            assert not {m for m in imported if m.startswith("server.reports")}, (package, name)
    read_side = {
        "server.messages.models",
        "server.messages.repository",
        "server.messages.syncing",
        "server.messages.tops",
    }
    for name, imported in _imports("reports").items():
        touching = {m for m in imported if m.startswith(("server.messages", "server.realtime"))}
        if name.startswith("rollups"):
            assert touching <= read_side, (name, touching - read_side)
        else:
            assert not touching, (name, touching)
