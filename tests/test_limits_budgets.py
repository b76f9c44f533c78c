"""Per-user budgets for every client event and authenticated route (issue 9, item 10).

Each budget is a bucket of ``burst`` requests refilled at ``per_minute`` (docs/protocol.md,
"Rate limits"), scaled by RATE_LIMIT_SCALE. The pair below runs at a scale of 0.05, so the
buckets are small and refill slowly: a flood alternating between the two processes is refused
after one process's worth, which shows the budget is one budget, kept in Redis. A refusal is
``rate_limited`` with ``retry_after`` (HTTP: 429 and ``Retry-After``) and changes nothing.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

from tests.support.activities import activity, post_activity
from tests.support.client import Api, Sock
from tests.support.security_infra import Dedicated, People, start_dedicated

SCALE = 0.05
# Requests each bucket holds at SCALE: ceil(burst * SCALE), at least 1 (docs/protocol.md).
BURST = {
    "edit": 1,
    "read": 15,
    "mark_read": 3,
    "typing": 2,
    "dm_open": 1,
    "signup": 1,
    "membership": 1,
    "http_write": 2,
    "http_read": 15,
}
# The reads refill every second at SCALE: a slow machine may earn a few extra in a loop.
SLACK = {"read": 4, "http_read": 4, "mark_read": 1}

Outcome = dict[str, Any]


@pytest.fixture(scope="module")
def budget_pair(stack: Any) -> Iterator[tuple[Dedicated, Dedicated]]:
    a = start_dedicated(stack, RATE_LIMIT_SCALE=str(SCALE))
    b = start_dedicated(stack, db=a.db_name, RATE_LIMIT_SCALE=str(SCALE))
    yield a, b
    a.proc.stop()
    b.proc.stop()


@pytest.fixture
async def people(budget_pair: tuple[Dedicated, Dedicated]) -> AsyncIterator[People]:
    p = People(budget_pair[0].url)
    yield p
    await p.aclose()


def refusal(outcome: Outcome) -> int:
    """The retry_after of a ``rate_limited`` refusal (ack or HTTP)."""
    assert outcome["ok"] is False, outcome
    error = outcome["error"]
    assert error["code"] == "rate_limited", outcome
    seconds = error["details"]["retry_after"]
    assert isinstance(seconds, int) and 1 <= seconds <= 120, outcome
    if "header" in outcome:
        assert outcome["header"] == str(seconds), outcome
    return seconds


async def http(api: Api, method: str, path: str, body: Any = None) -> Outcome:
    resp = await api.request(method, path, json=body)
    if resp.status_code < 400:
        return {"ok": True, "status": resp.status_code}
    return {
        "ok": False,
        "status": resp.status_code,
        "error": resp.json()["error"],
        "header": resp.headers.get("Retry-After"),
    }


async def flood(budget: str, calls: list[Callable[[], Awaitable[Outcome]]], most: int = 60) -> int:
    """Call round-robin until refused; returns how many were allowed, checking the count."""
    allowed = 0
    for i in range(most):
        outcome = await calls[i % len(calls)]()
        if outcome["ok"] is False and outcome["error"]["code"] == "rate_limited":
            refusal(outcome)
            break
        assert outcome["ok"] is True, (budget, i, outcome)
        allowed += 1
    else:
        raise AssertionError(f"{budget}: {most} calls in a row were all allowed")
    expected = BURST[budget]
    assert expected <= allowed <= expected + SLACK.get(budget, 0), (budget, allowed)
    return allowed


def on_both(socks: tuple[Sock, Sock], event: str, payload: Callable[[], Any]) -> list[Any]:
    return [lambda s=s: s.call(event, payload()) for s in socks]


async def member_pair(people: People, a: str) -> tuple[Api, Api, dict[str, Any]]:
    alice, bob = await people.user("alice", a), await people.user("bob", a)
    circle = await alice.create_circle("Budgets")
    await bob.join(circle["id"])
    return alice, bob, circle


def send_body(conv: str, text: str) -> dict[str, Any]:
    return {"conversation_id": conv, "client_id": uuid.uuid4().hex, "text": text}


async def test_edits_and_deletes_share_a_budget_and_a_refused_one_changes_nothing(
    budget_pair, people
) -> None:
    a, b = budget_pair
    alice, _, circle = await member_pair(people, a.url)
    conv = circle["conversation_id"]
    sa, sb = await people.sock(alice, a.url), await people.sock(alice, b.url)
    sent = (await sa.ok("message:send", send_body(conv, "original")))["message"]
    n = iter(range(100))
    await flood(
        "edit",
        on_both(
            (sa, sb), "message:edit", lambda: {"message_id": sent["id"], "text": f"e{next(n)}"}
        ),
    )
    refusal(await sb.call("message:delete", {"message_id": sent["id"]}))
    history = await sa.ok("history", {"conversation_id": conv})
    [stored] = history["messages"]
    assert stored["text"] == "e0" and stored["deleted"] is False, stored


async def test_history_sync_and_conversations_share_a_generous_read_budget(
    budget_pair, people
) -> None:
    a, b = budget_pair
    alice, _, circle = await member_pair(people, a.url)
    conv = circle["conversation_id"]
    sa, sb = await people.sock(alice, a.url), await people.sock(alice, b.url)
    reads = [
        lambda: sa.call("history", {"conversation_id": conv}),
        lambda: sb.call("sync", {"conversation_id": conv, "since_rev": 0}),
        lambda: sa.call("conversations", {}),
    ]
    assert await flood("read", reads) > BURST["edit"]  # more generous than writes


async def test_read_markers_are_budgeted(budget_pair, people) -> None:
    a, b = budget_pair
    alice, _, circle = await member_pair(people, a.url)
    conv = circle["conversation_id"]
    socks = (await people.sock(alice, a.url), await people.sock(alice, b.url))
    await flood("mark_read", on_both(socks, "read", lambda: {"conversation_id": conv, "seq": 0}))


async def test_typing_is_budgeted_and_a_refused_one_is_not_broadcast(budget_pair, people) -> None:
    a, b = budget_pair
    alice, bob, circle = await member_pair(people, a.url)
    conv = circle["conversation_id"]
    watcher = await people.sock(bob, a.url)
    socks = (await people.sock(alice, a.url), await people.sock(alice, b.url))
    allowed = await flood("typing", on_both(socks, "typing", lambda: {"conversation_id": conv}))
    for _ in range(allowed):
        await watcher.wait_for("typing", lambda e: e["user_id"] == alice.id)
    await asyncio.sleep(0.5)
    assert len(watcher.events["typing"]) == allowed, watcher.events["typing"]


async def test_opening_dms_is_budgeted(budget_pair, people) -> None:
    a, b = budget_pair
    alice, bob, circle = await member_pair(people, a.url)
    carol = await people.user("carol", a.url)
    await carol.join(circle["id"])
    sa, sb = await people.sock(alice, a.url), await people.sock(alice, b.url)
    peers = itertools.cycle([bob, carol])
    await flood("dm_open", on_both((sa, sb), "dm:open", lambda: {"user_id": next(peers).id}))
    # The refused open made no DM: carol has only the circle's conversation.
    carol_sock = await people.sock(carol, b.url)
    kinds = [c["kind"] for c in (await carol_sock.ok("conversations"))["conversations"]]
    assert kinds == ["circle"], kinds


async def test_sign_up_toggles_share_a_budget_and_a_refused_one_changes_nothing(
    budget_pair, people, clock
) -> None:
    a, b = budget_pair
    organiser, alice, circle = await member_pair(people, a.url)
    act = await post_activity(organiser, circle, clock.now(), capacity=5)
    sa, sb = await people.sock(alice, a.url), await people.sock(alice, b.url)
    ref = {"activity_id": act["id"]}
    toggles = [lambda: sa.call("activity:signup", ref), lambda: sb.call("activity:cancel", ref)]
    await flood("signup", toggles)
    for event in ("activity:signup", "activity:cancel", "activity:reconfirm"):
        payload = {**ref, "going": True} if event == "activity:reconfirm" else ref
        refusal(await (sa if event.endswith("signup") else sb).call(event, payload))
    mine = (await activity(alice, act["id"]))["my_signup"]
    assert mine is not None and mine["status"] == "confirmed", mine


async def test_joining_and_leaving_circles_is_budgeted_over_http(budget_pair, people) -> None:
    a, b = budget_pair
    owner = await people.user("owner", a.url)
    circle = await owner.create_circle("Toggle me")
    bob = await people.user("bob", a.url)
    on_b = Api(b.url, bob.token, bob.user)
    try:
        path = f"/api/circles/{circle['id']}"
        calls = [
            lambda: http(bob, "POST", path + "/join", {}),
            lambda: http(on_b, "POST", path + "/leave"),
        ]
        await flood("membership", calls)
        assert (await bob.get(path)).json()["circle"]["my_role"] == "member"
    finally:
        await on_b.aclose()


async def test_other_writes_and_reads_over_http_are_budgeted(budget_pair, people) -> None:
    a, b = budget_pair
    alice = await people.user("alice", a.url)
    on_b = Api(b.url, alice.token, alice.user)
    try:
        writes = [
            lambda: http(alice, "POST", "/api/notifications/read", {"all": True}),
            lambda: http(on_b, "POST", "/api/notifications/read", {"all": True}),
        ]
        await flood("http_write", writes)
        reads = [lambda: http(alice, "GET", "/api/me"), lambda: http(on_b, "GET", "/api/me")]
        await flood("http_read", reads)
        # Another user's budgets are their own.
        bob = await people.user("bob", a.url)
        assert (await http(bob, "POST", "/api/notifications/read", {"all": True}))["ok"] is True
    finally:
        await on_b.aclose()


# one member flooding edits ---------------------------------------------------------------


@pytest.fixture(scope="module")
def default_budgets(stack: Any) -> Iterator[Dedicated]:
    d = start_dedicated(stack, RATE_LIMIT_SCALE="1")
    yield d
    d.proc.stop()


async def test_one_member_flooding_edits_barely_delays_another_members_sends(
    default_budgets: Dedicated,
) -> None:
    people = People(default_budgets.url)
    try:
        alice, bob, circle = await member_pair(people, default_budgets.url)
        conv = circle["conversation_id"]
        sa, sb = await people.sock(alice), await people.sock(bob)
        target = (await sa.ok("message:send", send_body(conv, "edit me")))["message"]["id"]

        async def edits() -> list[Outcome]:
            return list(
                await asyncio.gather(
                    *[
                        sa.call("message:edit", {"message_id": target, "text": f"e{i}"}, timeout=60)
                        for i in range(300)
                    ]
                )
            )

        async def sends() -> list[float]:
            latencies = []
            for i in range(6):
                start = time.perf_counter()
                await sb.ok("message:send", send_body(conv, f"bob {i}"))
                latencies.append(time.perf_counter() - start)
                await asyncio.sleep(0.05)
            return latencies

        flooding = asyncio.create_task(edits())
        await asyncio.sleep(0.05)
        latencies = await sends()
        outcomes = await flooding
        refused = [o for o in outcomes if not o["ok"]]
        assert refused and all(o["error"]["code"] == "rate_limited" for o in refused)
        # A loose bound: unthrottled, 200 edits pushed sends to 2-4.7 s (here: past 15 s).
        assert statistics.median(latencies) < 0.5 and max(latencies) < 2.0, latencies
    finally:
        await people.aclose()
