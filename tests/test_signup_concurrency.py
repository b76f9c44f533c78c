"""Sign-up invariants under concurrency across two server processes (TESTING 10-12)."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest

from tests.support.activities import activity, card_matches, card_of, post_activity
from tests.support.client import Api, Sock, register
from tests.support.rawsio import RawSocket


@pytest.fixture(scope="module")
def busy_pair(stack):
    """Two processes sharing one database, with a per-operation database timeout that suits
    hundreds of simultaneous requests on a 2-core machine with FerretDB (SQLite)."""
    env = stack.server_env(DB_TIMEOUT_MS="20000")
    a, b = stack.start(**env), stack.start(**env)
    yield a, b
    a.stop()
    b.stop()


async def many_users(urls: list[str], n: int, prefix: str) -> list[Api]:
    sem = asyncio.Semaphore(16)

    async def one(i: int) -> Api:
        async with sem:
            return await register(urls[i % len(urls)], f"{prefix}{i}")

    return list(await asyncio.gather(*[one(i) for i in range(n)]))


async def raw_sockets(urls: list[str], users: list[Api]) -> list[RawSocket]:
    sem = asyncio.Semaphore(50)

    async def one(i: int, u: Api) -> RawSocket:
        async with sem:
            return await RawSocket(urls[i % len(urls)], u.token or "").connect()

    return list(await asyncio.gather(*[one(i, u) for i, u in enumerate(users)]))


def check_invariants(act: dict, attendees: list[dict]) -> None:
    """S1 and S2 over the organiser's view; counters equal the sign-ups."""
    seated = [s for s in attendees if s["status"] in ("confirmed", "offered", "pending_payment")]
    waiting = sorted(
        (s for s in attendees if s["status"] == "waitlisted"), key=lambda s: s["waitlist_position"]
    )
    assert len(seated) <= act["capacity"]
    assert [s["waitlist_position"] for s in waiting] == list(range(1, len(waiting) + 1))
    assert act["confirmed_count"] == sum(
        s["status"] in ("confirmed", "attended") for s in attendees
    )
    assert act["held_count"] == sum(
        s["status"] in ("offered", "pending_payment") for s in attendees
    )
    assert act["waitlist_count"] == len(waiting)


@pytest.mark.slow
async def test_500_concurrent_signups_for_50_seats_across_two_processes(busy_pair, stack):
    a, b = busy_pair
    urls = [a.url, b.url]
    organiser = await register(a.url, "organiser")
    circle = await organiser.create_circle("Big event")
    act = await post_activity(organiser, circle, stack.clock.now(), capacity=50)
    users = await many_users(urls, 500, "fan")
    for u in users:
        await u.aclose()
    socks = await raw_sockets(urls, users)
    try:
        replies = await asyncio.gather(
            *[s.call("activity:signup", {"activity_id": act["id"]}) for s in socks]
        )
        assert all(r["ok"] for r in replies), [r for r in replies if not r["ok"]][:3]
        statuses = [r["data"]["signup"]["status"] for r in replies]
        assert statuses.count("confirmed") == 50 and statuses.count("waitlisted") == 450
        positions = sorted(
            r["data"]["signup"]["waitlist_position"]
            for r in replies
            if r["data"]["signup"]["status"] == "waitlisted"
        )
        assert positions == list(range(1, 451))
        # the positions reflect arrival order: a later waitlist number never ranks ahead
        detail = (await activity(organiser, act["id"]))["activity"]
        assert (detail["confirmed_count"], detail["held_count"], detail["waitlist_count"]) == (
            50,
            0,
            450,
        )
        attendees = (await organiser.get(f"/api/activities/{act['id']}/attendees")).json()[
            "signups"
        ]
        assert len(attendees) == 500 and len({s["user_id"] for s in attendees}) == 500
        check_invariants(detail, attendees)
        watcher = await Sock(b.url, organiser.token).connect()
        card_matches(
            await card_of(watcher, circle["conversation_id"], detail["card_message_id"]), detail
        )
        await watcher.close()
    finally:
        await asyncio.gather(*[s.close() for s in socks])
        await organiser.aclose()


@pytest.mark.slow
async def test_cancellations_signups_and_capacity_raise_at_once_offer_each_seat_once(
    busy_pair, stack
):
    a, b = busy_pair
    urls = [a.url, b.url]
    organiser = await register(a.url, "organiser")
    circle = await organiser.create_circle("Churn")
    act = await post_activity(organiser, circle, stack.clock.now(), capacity=10)
    users = await many_users(urls, 60, "churn")
    socks = await raw_sockets(urls, users)
    try:
        first = await asyncio.gather(
            *[s.call("activity:signup", {"activity_id": act["id"]}) for s in socks[:40]]
        )
        assert all(r["ok"] for r in first)
        seated = [
            s
            for s, r in zip(socks[:40], first, strict=True)
            if r["data"]["signup"]["status"] == "confirmed"
        ]
        waiting_before = sorted(
            (
                (r["data"]["signup"]["waitlist_position"], s)
                for s, r in zip(socks[:40], first, strict=True)
                if r["data"]["signup"]["status"] == "waitlisted"
            ),
            key=lambda x: x[0],
        )
        random.seed(7)
        leaving = random.sample(seated, 5)
        ops = [s.call("activity:cancel", {"activity_id": act["id"]}) for s in leaving]
        ops += [s.call("activity:signup", {"activity_id": act["id"]}) for s in socks[40:]]
        ops.append(
            organiser.request("PATCH", f"/api/activities/{act['id']}", json={"capacity": 15})
        )
        random.shuffle(ops)
        done = await asyncio.gather(*ops)
        for r in done:
            ok = r["ok"] if isinstance(r, dict) else r.status_code == 200
            assert ok, r
        detail = (await activity(organiser, act["id"]))["activity"]
        attendees = (await organiser.get(f"/api/activities/{act['id']}/attendees")).json()[
            "signups"
        ]
        check_invariants(detail, attendees)
        # 5 freed + 5 new seats = 10 offers, to the first ten of the original waitlist, once each
        offered = {s["user_id"] for s in attendees if s["status"] == "offered"}
        assert len(offered) == 10
        first_ten = [s for _, s in waiting_before[:10]]
        by_token = {u.token: u.id for u in users}
        assert offered == {by_token[s.token] for s in first_ten}
        # no seat stays empty while people wait
        taken = detail["confirmed_count"] + detail["held_count"]
        assert taken == detail["capacity"] or detail["waitlist_count"] == 0
        await asyncio.sleep(0.5)
        for s in first_ten:
            offers = [
                e
                for e, d in s.events
                if e == "notification" and d["notification"]["kind"] == "offer"
            ]
            assert len(offers) == 1
    finally:
        await asyncio.gather(*[s.close() for s in socks])
        for u in users:
            await u.aclose()
        await organiser.aclose()


@pytest.mark.slow
async def test_reminders_exactly_once_across_two_processes_and_a_restart(stack):
    env = stack.server_env()
    a, b = stack.start(**env), stack.start(**env)
    try:
        organiser = await register(a.url, "organiser")
        circle = await organiser.create_circle("Reminded")
        now = stack.clock.now()
        act = await post_activity(organiser, circle, now, starts_in=timedelta(hours=30), capacity=3)
        soon = await post_activity(
            organiser,
            circle,
            now,
            starts_in=timedelta(minutes=90),
            capacity=3,
            title="Too soon for a 24h reminder",
        )
        alice = await register(b.url, "alice")
        await alice.join(circle["id"])
        sa = await Sock(b.url, alice.token).connect()
        await sa.ok("activity:signup", {"activity_id": act["id"]})
        await sa.ok("activity:signup", {"activity_id": soon["id"]})
        stack.clock.advance(6 * 3600 + 60)  # 24h before the first start: both processes sweep
        await sa.wait_for("notification", lambda e: e["notification"]["kind"] == "reminder")
        b.stop()  # a restart in between
        b = stack.start(**env)
        stack.clock.advance(23 * 3600)  # now 1h before the first start
        await asyncio.sleep(2)
        fresh = Api(a.url, alice.token, alice.user)  # b came back on another port
        reminders = (await fresh.get("/api/notifications")).json()["notifications"]
        await fresh.aclose()
        kinds = sorted(
            (n["data"]["activity_id"], n["data"]["when"])
            for n in reminders
            if n["kind"] == "reminder"
        )
        # the near activity's 24h moment had passed at creation, so only its 1h reminder
        assert kinds == sorted([(act["id"], "24h"), (act["id"], "1h"), (soon["id"], "1h")])
        await sa.close()
        await alice.aclose()
        await organiser.aclose()
    finally:
        a.stop()
        b.stop()
