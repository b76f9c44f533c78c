"""The circle report (issue 13, items 2 and 6): members joined and left, messages, DAU/WAU/MAU
and stickiness, speakers and silent members, and reply speed, per day, week or month, read from
daily rollups that a sweeper keeps (the send path is untouched) and that a full rebuild
(``python -m server.reports.rebuild``) recomputes to the same numbers. The community's whole
history is written by the test, on days it sets with the servers' clock."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from tests.support import infra
from tests.support.activities import post_activity
from tests.support.chat import say
from tests.support.client import Api

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def env(stack: Any) -> dict[str, str]:
    """This module's server keeps the rollups every 0.3 s (tests wait for it, not for time)."""
    return dict(stack.server_env(REPORT_ROLLUP_SECONDS="0.3"))


@pytest.fixture(scope="module")
def server(stack: Any, env: dict[str, str]) -> Any:
    proc: infra.Proc = stack.start(**env)
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def second(stack: Any, env: dict[str, str], server: Any) -> Any:
    """Another process on the same database and Redis, sweeping too."""
    proc: infra.Proc = stack.start(**env)
    yield proc
    proc.stop()


def align(clock: Any) -> datetime:
    """Move the servers' clock forward to noon UTC of the first Monday from the 10th of a coming
    month (so the test's first days are one ISO week's, and one month's)."""
    now = clock.now()
    first = (now.replace(day=1) + timedelta(days=32)).replace(day=1)
    target = first.replace(day=10, hour=12, minute=0, second=0, microsecond=0)
    target += timedelta(days=-target.weekday() % 7)
    clock.advance((target - now).total_seconds())
    return target


def at(message: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(message["created_at"].replace("Z", "+00:00"))


async def report(api: Api, circle: dict[str, Any], **query: str) -> dict[str, Any]:
    found = await api.ok("GET", f"/api/circles/{circle['id']}/report", None) if not query else None
    if query:
        qs = "&".join(f"{k}={v}" for k, v in query.items())
        found = await api.ok("GET", f"/api/circles/{circle['id']}/report?{qs}")
    return dict(found)


async def until(
    api: Api,
    circle: dict[str, Any],
    query: dict[str, str],
    check: Callable[[dict[str, Any]], bool],
    timeout: float = 45.0,
) -> dict[str, Any]:
    """The report once ``check`` holds (the sweeper runs every 0.3 s)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await report(api, circle, **query)
        if check(found):
            return found
        assert asyncio.get_running_loop().time() < deadline, f"never held: {found}"
        await asyncio.sleep(0.2)


def rebuild(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.reports.rebuild", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def bucket(found: dict[str, Any], day: str) -> dict[str, Any]:
    return next(b for b in found["buckets"] if b["start"] == day)


def reply(prompts: int, waits: list[float]) -> dict[str, Any]:
    ordered = sorted(waits)
    return {
        "prompts": prompts,
        "answered": len(waits),
        "unanswered": prompts - len(waits),
        "ratio": round(len(waits) / prompts, 4) if prompts else None,
        "median_seconds": round(statistics.median(ordered), 3) if ordered else None,
        "p90_seconds": ordered[-1] if ordered else None,  # nearest rank of at most 2 waits
    }


async def test_the_circle_report_counts_a_known_history_exactly_and_a_rebuild_agrees(
    make_user: Callable[..., Awaitable[Api]], make_sock: Any, clock: Any, env: dict[str, str]
) -> None:
    d0 = align(clock)
    days = [(d0 + timedelta(days=i)).date().isoformat() for i in range(3)]
    owner = await make_user("owner")
    circle = await owner.create_circle("Walkers")
    conv = circle["conversation_id"]
    alice, bob, carol, dave, erin, frank = [
        await make_user(n) for n in ("alice", "bob", "carol", "dave", "erin", "frank")
    ]
    for m in (alice, bob, carol):
        await m.join(circle["id"])
    act = await post_activity(owner, circle, d0, starts_in=timedelta(days=5))  # a card: no message
    so, sa, sb, sc = [await make_sock(u) for u in (owner, alice, bob, carol)]

    # Day 0. alice asks (a question, and her first message as a newcomer: one prompt), follows
    # up herself (no reply), bob answers (a reply; his own first message is a prompt too), the
    # owner answers bob (the owner is never a newcomer). carol says something and deletes it,
    # and reacts to alice's question: active, but not a speaker.
    q1 = await say(sa, conv, "Anyone walking Saturday?")
    clock.advance(600)
    snacks = await say(sa, conv, "I can bring snacks")
    clock.advance(300)
    b1 = await say(sb, conv, "Count me in!", reply_to=q1["id"])
    clock.advance(120)
    o1 = await say(so, conv, "Great")
    gone = await say(sc, conv, "oops, wrong circle")
    await sc.ok("message:delete", {"message_id": gone["id"]})
    await sc.ok("reaction:add", {"message_id": q1["id"], "emoji": "👍"})
    waits0 = [
        round((at(b1) - at(q1)).total_seconds(), 3),
        round((at(o1) - at(b1)).total_seconds(), 3),
    ]
    day = {"period": "day", "from": days[0], "to": days[0]}
    await until(owner, circle, day, lambda r: r["buckets"][0]["reply_speed"]["answered"] == 2)

    # Day 1. dave joins and signs up for the activity (active without a word); alice leaves
    # and comes back, asks again and answers herself (unanswered: only the asker replied).
    clock.advance(86_400)
    await dave.join(circle["id"])
    sd = await make_sock(dave)
    await sd.ok("activity:signup", {"activity_id": act["id"]})
    await alice.ok("POST", f"/api/circles/{circle['id']}/leave", {})
    day1 = {"period": "day", "from": days[1], "to": days[1]}
    await until(owner, circle, day1, lambda r: r["buckets"][0]["left"] == 1)
    await alice.join(circle["id"])
    sa = await make_sock(alice)
    await say(sa, conv, "Back again?")
    await say(sa, conv, "yes I am")
    await until(owner, circle, day1, lambda r: r["buckets"][0]["messages"] == 2)

    # Day 2. erin joins and says hello; nobody answers. frank joins and never does anything.
    clock.advance(86_400)
    await erin.join(circle["id"])
    await frank.join(circle["id"])
    se = await make_sock(erin)
    await say(se, conv, "Hi all")
    span = {"period": "day", "from": days[0], "to": days[2]}
    found = await until(owner, circle, span, lambda r: r["buckets"][2]["messages"] == 1)

    common = {"deleted_messages": 0}
    assert bucket(found, days[0]) == {
        "start": days[0],
        "end": days[0],
        "joined": 4,  # the owner, alice, bob, carol
        "left": 0,
        "net": 4,
        "members": 4,
        "messages": 4,
        "deleted_messages": 1,
        "active": 4,
        "dau": 4.0,
        "wau": 4,
        "mau": 4,
        "stickiness": 1.0,
        "speakers": 3,
        "silent": 1,  # carol
        "newcomers": 3,  # alice, bob, carol: all active that day
        "activated": 3,
        "activation": 1.0,
        "reply_speed": reply(2, waits0),
    }
    assert bucket(found, days[1]) == {
        **common,
        "start": days[1],
        "end": days[1],
        "joined": 2,  # dave, alice again
        "left": 1,  # alice
        "net": 1,
        "members": 5,
        "messages": 2,
        "active": 2,  # alice (posted), dave (signed up)
        "dau": 2.0,
        "wau": 5,
        "mau": 5,
        "stickiness": 0.4,
        "speakers": 1,
        "silent": 4,
        "newcomers": 2,  # dave (signed up), alice again (posted)
        "activated": 2,
        "activation": 1.0,
        "reply_speed": reply(1, []),
    }
    assert bucket(found, days[2]) == {
        **common,
        "start": days[2],
        "end": days[2],
        "joined": 2,
        "left": 0,
        "net": 2,
        "members": 7,
        "messages": 1,
        "active": 1,
        "dau": 1.0,
        "wau": 6,
        "mau": 6,
        "stickiness": round(1 / 6, 4),
        "speakers": 1,
        "silent": 6,
        "newcomers": 2,  # erin (posted), frank (nothing)
        "activated": 1,
        "activation": 0.5,
        "reply_speed": reply(1, []),
    }
    month = await report(owner, circle, period="month", **{"from": days[0], "to": days[2]})
    assert month["period"] == "month" and len(month["buckets"]) == 1
    assert month["buckets"][0] == {
        "start": days[0],
        "end": days[2],
        "joined": 8,
        "left": 1,
        "net": 7,
        "members": 7,
        "messages": 7,
        "deleted_messages": 1,
        "active": 6,
        "dau": round(7 / 3, 2),
        "wau": 6,
        "mau": 6,
        "stickiness": round(round(7 / 3, 2) / 6, 4),
        "speakers": 4,  # the owner, alice, bob, erin
        "silent": 3,  # carol, dave, frank
        "newcomers": 7,
        "activated": 6,
        "activation": round(6 / 7, 4),
        "reply_speed": reply(4, waits0),
    }

    # A full rebuild from the sources gives the same numbers, even once the days are lost.
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(env["MONGODB_URL"])
    try:
        lost = await client[env["MONGODB_DB"]]["rollup_days"].delete_many(
            {"circle_id": circle["id"]}
        )
        assert lost.deleted_count == 3
    finally:
        await client.close()
    assert (await report(owner, circle, **span))["buckets"][2]["members"] == 0
    done = rebuild(env, "--circle", circle["id"])
    assert done.returncode == 0, done.stderr
    assert f"rebuilt {circle['id']}" in done.stdout
    assert await report(owner, circle, **span) == found
    assert await report(owner, circle, period="month", **{"from": days[0], "to": days[2]}) == month
    # the join week's cohort: six newcomers, none of its later weeks begun yet
    assert month["cohorts"] == [{"week": days[0], "joined": 6, "retained": [None] * 8}]

    # Day 9, in the week after: alice deletes her day-0 follow-up (day 0 is rolled up again),
    # carol is back and asks late in the day; bob answers 23 hours later, on day 10 (the
    # question's day is rewritten when its reply comes). frank, who joined on day 2, says his
    # first word on day 10: a newcomer's first message (within 14 days of his join), but too
    # late to count him activated (day 2 to day 9). Week 1 of the cohort keeps three of six.
    clock.advance(7 * 86_400)
    await sa.ok("message:delete", {"message_id": snacks["id"]})
    q9 = await say(sc, conv, "still here, anyone?")
    clock.advance(23 * 3600)
    a10 = await say(sb, conv, "me")
    await say(await make_sock(frank), conv, "hello, finally")
    weeks = {"period": "week", "from": days[0], "to": days[2]}
    found = await until(owner, circle, weeks, lambda r: r["cohorts"][0]["retained"][0] == 3)
    assert found["cohorts"] == [{"week": days[0], "joined": 6, "retained": [3] + [None] * 7}]
    assert found["buckets"] == [{**month["buckets"][0], "messages": 6, "deleted_messages": 2}]
    day9 = (d0 + timedelta(days=9)).date().isoformat()
    late = await until(
        owner,
        circle,
        {"period": "day", "from": day9, "to": day9},
        lambda r: r["buckets"][0]["reply_speed"]["answered"] == 1,
    )
    assert late["buckets"][0]["reply_speed"] == reply(
        1, [round((at(a10) - at(q9)).total_seconds(), 3)]
    )
    day10 = (d0 + timedelta(days=10)).date().isoformat()
    ten = await report(owner, circle, period="day", **{"from": day10, "to": day10})
    assert ten["buckets"][0]["reply_speed"] == reply(1, [])  # frank's hello, unanswered
    assert (ten["buckets"][0]["messages"], ten["buckets"][0]["speakers"]) == (2, 2)
    again = rebuild(env, "--circle", circle["id"])
    assert again.returncode == 0, again.stderr
    assert await report(owner, circle, **weeks) == found


async def test_only_owners_and_admins_read_the_circle_report(
    make_user: Callable[..., Awaitable[Api]], server: Any
) -> None:
    owner, admin, moderator, member, outsider = [
        await make_user(n) for n in ("owner", "admin", "mod", "member", "outsider")
    ]
    public = await owner.create_circle("Open circle")
    private = await owner.create_circle("Closed circle", visibility="private")
    for u in (admin, moderator, member):
        await u.join(public["id"])
    for u, role in ((admin, "admin"), (moderator, "moderator")):
        await owner.ok("PUT", f"/api/circles/{public['id']}/roles", {"user_id": u.id, "role": role})
    assert (await report(owner, public))["circle_id"] == public["id"]
    assert (await report(admin, public))["period"] == "day"
    # a moderator holds ``view_reports`` for member reports, not the organiser's numbers
    for who in (moderator, member, outsider):
        resp = await who.get(f"/api/circles/{public['id']}/report")
        assert resp.status_code == 403 and resp.json()["error"]["code"] == "forbidden", resp.text
    resp = await outsider.get(f"/api/circles/{private['id']}/report")
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found", resp.text
    anonymous = Api(server.url)
    resp = await anonymous.get(f"/api/circles/{public['id']}/report")
    assert resp.status_code == 401, resp.text
    await anonymous.aclose()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period=year", "period"),
        ("from=2027-02-30", "from"),
        ("to=yesterday", "to"),
        ("from=2027-03-02&to=2027-03-01", "from"),
        ("from=2024-01-01&to=2027-01-01", "from"),
        ("since=2027-01-01", "since"),
    ],
)
async def test_a_bad_report_query_is_refused_naming_the_field(
    make_user: Callable[..., Awaitable[Api]], query: str, field: str
) -> None:
    owner = await make_user("owner")
    circle = await owner.create_circle("Numbers")
    resp = await owner.get(f"/api/circles/{circle['id']}/report?{query}")
    assert resp.status_code == 422, resp.text
    body = resp.json()["error"]
    assert body["code"] == "invalid" and field in body["details"]["fields"], body


async def test_two_processes_sweeping_one_circle_count_everything_once(
    make_user: Callable[..., Awaitable[Api]],
    make_sock: Any,
    second: Any,
    clock: Any,
    env: dict[str, str],
) -> None:
    owner = await make_user("owner")
    circle = await owner.create_circle("Busy")
    conv = circle["conversation_id"]
    people = [await make_user(f"p{i}") for i in range(4)]
    for p in people:
        await p.join(circle["id"])
    # everyone talks through both processes; each process's sweeper sees the circle move
    socks = [await make_sock(p, base) for p in people for base in (None, second.url)]
    for round_ in range(3):
        for i, sock in enumerate(socks):
            await say(sock, conv, f"round {round_} from {i}")
    today = clock.now().date().isoformat()
    query = {"period": "day", "from": today, "to": today}
    # the sweeps learn of memberships by comparing them with what they saw: a member who joins
    # and leaves between two sweeps is never seen (docs/architecture.md), so the leave waits
    # until a sweep has seen every join (with faster sends the whole chat fitted between two)
    await until(owner, circle, query, lambda r: r["buckets"][0]["joined"] == 5)
    leaver = Api(second.url, people[0].token)
    await leaver.ok("POST", f"/api/circles/{circle['id']}/leave", {})
    await leaver.aclose()

    def done(r: dict[str, Any]) -> bool:
        return r["buckets"][0]["messages"] == 24 and r["buckets"][0]["left"] == 1

    found = await until(owner, circle, query, done)
    day = found["buckets"][0]
    assert (day["joined"], day["left"], day["members"]) == (5, 1, 4)
    assert (day["active"], day["speakers"], day["silent"]) == (4, 4, 1)  # the owner said nothing
    # each person's first message is a newcomer's, answered by the next person's
    assert day["reply_speed"]["prompts"] == 4 and day["reply_speed"]["answered"] == 4
    assert (day["newcomers"], day["activated"]) == (4, 4)
    done_ = rebuild(env, "--circle", circle["id"])
    assert done_.returncode == 0, done_.stderr
    assert await report(owner, circle, **query) == found
