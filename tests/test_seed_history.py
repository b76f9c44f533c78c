"""The demo seed's generated history (server/seed.py, seed_plan.py, seed_history.py), read the way a
new organiser reads it at first start: an embedded server on an empty data directory with the
seed on (what ``scripts/start`` runs), then the circle report, the member lifecycle, the revenue
report and an activity report over HTTP as the demo organisers.

Expected numbers are not written down here: the seed's plan is deterministic, so the test
rebuilds it from the first day the seed's log line names and derives each figure from it.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from server import seed_plan
from server.core import clock
from server.seed import CIRCLES, DEMO_PASSWORD
from server.seed_plan_activities import GUIDED, TOURNAMENT
from tests.conftest import FAST_LIMITS, LOGS
from tests.support import infra
from tests.support.client import Api

pytestmark = pytest.mark.timeout(1200)  # a first start seeds months of history
NAMES = {"hikers": "Sunday Hikers", "games": "Board Game Night"}
FIRST_LINES = {
    key: len(lines) for key, (_, _, lines) in zip(seed_plan.CIRCLE_KEYS, CIRCLES, strict=True)
}


class Seeded:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.proc = self.start()
        found = re.search(r"Demo history (\d{4}-\d\d-\d\d)\.\.", self.proc.log())
        assert found, self.proc.log()[-3000:]
        self.base = datetime.fromisoformat(found.group(1)).replace(tzinfo=UTC)
        self.plan = seed_plan.build(self.base)

    def start(self) -> infra.Proc:
        env = {
            **FAST_LIMITS,
            "DATA_DIR": str(self.data_dir),
            "MONGODB_URL": "",  # unset: the embedded database, as scripts/start runs it
            "SEED_DEMO": "1",
            "LOG_LEVEL": "info",
            "MEMBER_NOTICE_SECONDS": "2",  # the default: "X joined." notices in the history
        }
        return infra.start_server(env, LOGS, timeout=1100)


@pytest.fixture(scope="module")
def seeded() -> Iterator[Seeded]:
    data_dir = infra.temp_dir("circles-seed-")  # the cluster's user must reach it
    s = Seeded(data_dir)
    yield s
    s.proc.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


async def login(url: str, handle: str) -> Api:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        resp = await http.post(
            "/api/auth/login", json={"handle": handle, "password": DEMO_PASSWORD}
        )
    assert resp.status_code == 200, resp.text
    return Api(url, resp.json()["token"], resp.json()["user"])


async def circle_of(api: Api, key: str) -> dict[str, Any]:
    found = await api.ok("GET", f"/api/circles?q={NAMES[key].split()[0]}")
    return next(c for c in found["circles"] if c["name"] == NAMES[key])


def day_index(plan: seed_plan.Plan, at: datetime) -> int:
    return (at - plan.base).days


def planned(plan: seed_plan.Plan, key: str, kind: str) -> list[seed_plan.Step]:
    return [s for s in plan.steps if s.circle == key and s.kind == kind]


async def figures(url: str, key: str, base: datetime) -> dict[str, Any]:
    """Everything the organiser's console reads for one circle."""
    api = await login(url, seed_plan.OWNER[key])
    try:
        circle = await circle_of(api, key)
        cid = circle["id"]
        report = await api.ok("GET", f"/api/circles/{cid}/report?period=week&from={base.date()}")
        lifecycle = await api.ok("GET", f"/api/circles/{cid}/members/lifecycle")
        revenue = await api.ok("GET", f"/api/circles/{cid}/revenue")
        past = await api.ok("GET", f"/api/circles/{cid}/activities?when=past")
        upcoming = await api.ok("GET", f"/api/circles/{cid}/activities?when=upcoming")
        first = min(past["activities"], key=lambda a: a["starts_at"])
        activity = await api.ok("GET", f"/api/activities/{first['id']}/report")
        return {
            "circle": circle,
            "report": report,
            "lifecycle": lifecycle,
            "revenue": revenue,
            "past": past["activities"],
            "upcoming": upcoming["activities"],
            "first_activity": activity,
        }
    finally:
        await api.aclose()


@pytest.mark.parametrize("key", seed_plan.CIRCLE_KEYS)
async def test_first_start_shows_months_of_history(seeded: Seeded, key: str) -> None:
    plan, summary = seeded.plan, seeded.plan.summary()[key]
    got = await figures(seeded.proc.url, key, seeded.base)
    buckets = got["report"]["buckets"]
    assert len(buckets) >= seed_plan.DAYS // 7

    # members joining (and leaving) week by week, as planned: the founders on the first day
    joins = planned(plan, key, "join")
    for b in buckets:
        lo, hi = date.fromisoformat(b["start"]), date.fromisoformat(b["end"])
        expected = sum(1 for s in joins if lo <= s.at.date() <= hi)
        expected += len(seed_plan.FOUNDERS[key]) if lo <= seeded.base.date() <= hi else 0
        assert b["joined"] == expected, (b, expected)
    assert sum(1 for b in buckets if b["joined"]) >= 8  # several weeks with joins
    leaves = planned(plan, key, "leave")
    for b in buckets:
        lo, hi = date.fromisoformat(b["start"]), date.fromisoformat(b["end"])
        assert b["left"] == sum(1 for s in leaves if lo <= s.at.date() <= hi), b
    assert sum(b["left"] for b in buckets) == summary["leaves"] > 0
    assert buckets[-1]["members"] == len(plan.members_now(key)) + len(seed_plan.FOUNDERS[key])

    # the conversation: every planned message, in its week; questions answered by others
    taken_back = {s.data["ref"] for s in planned(plan, key, "delete")}
    said = [s for s in planned(plan, key, "say") if s.data.get("ref") not in taken_back]
    gone = [s for s in planned(plan, key, "say") if s.data.get("ref") in taken_back]
    for b in buckets:
        lo, hi = date.fromisoformat(b["start"]), date.fromisoformat(b["end"])
        expected = sum(1 for s in said if lo <= s.at.date() <= hi)
        expected += FIRST_LINES[key] if lo <= seeded.base.date() <= hi else 0
        assert b["messages"] == expected, (b, expected)
        assert b["deleted_messages"] == sum(1 for s in gone if lo <= s.at.date() <= hi), b
    assert sum(b["deleted_messages"] for b in buckets) == summary["deleted"] > 0
    prompts = sum(b["reply_speed"]["prompts"] for b in buckets)
    answered = sum(b["reply_speed"]["answered"] for b in buckets)
    assert prompts >= summary["questions"] > 0
    assert 0 < answered < prompts  # a few questions are left unanswered by plan
    timed = [b["reply_speed"]["median_seconds"] for b in buckets if b["reply_speed"]["answered"]]
    assert len(timed) >= len(buckets) - 1 and all(t > 0 for t in timed)
    assert any(b["active"] > 0 and b["silent"] > 0 for b in buckets)
    assert any(c["joined"] and any(c["retained"]) for c in got["report"]["cohorts"])

    # the lifecycle: today's members, at several stages
    members = got["lifecycle"]["members"]
    names = {p.handle: p.name for p in plan.people}
    founders = {
        "maya": "Maya Chen",
        "tom": "Tom Okafor",
        "lena": "Lena Fischer",
        "raj": "Raj Patel",
    }
    expected_names = {names[h] for h in plan.members_now(key)}
    expected_names |= {founders[h] for h in seed_plan.FOUNDERS[key]}
    assert {m["display_name"] for m in members} == expected_names
    stages = {m["stage"] for m in members}
    assert len(stages) >= 3 and stages & {"cooling", "silent", "churned"}, stages
    assert stages & {"new", "activated"}, stages  # the newcomers of the last two weeks

    # activities: the first one had its check-in and a no-show; one is still to come
    outcome = plan.outcomes[f"{key}-0"]
    report = got["first_activity"]
    assert report["ended"] is True
    assert report["funnel"]["attended"] == outcome["attended"] > 0
    assert report["no_shows"] == outcome["no_shows"] > 0
    assert len(got["past"]) + len(got["upcoming"]) == summary["activities"]
    assert got["upcoming"], "an activity to come"

    # money: the paid days' payments, a refund (hikers: sandbox) and one to review (games)
    revenue = got["revenue"]
    if key == "hikers":
        (total,) = revenue["totals"]
        assert total["test"] is True
        assert total["gross"] == summary["payments"] * GUIDED.amount
        assert total["refunds"] == summary["refunds"] * GUIDED.amount > 0
        assert total["net"] == total["gross"] - total["refunds"]
    else:
        (total,) = revenue["totals"]
        confirmed = len(planned(plan, key, "confirm"))
        assert total["test"] is False
        assert total["gross"] == confirmed * TOURNAMENT.amount > 0
        assert len(revenue["outstanding"]) == summary["payments"] - confirmed == 1
        cancelled = [a for a in got["past"] + got["upcoming"] if a["status"] == "cancelled"]
        assert len(cancelled) == summary["cancelled_activities"] == 1


async def test_the_rollups_the_seed_leaves_are_what_a_full_rebuild_gives(seeded: Seeded) -> None:
    """The seed brings the rollups current with the sweeper's step (kept around each leave of
    the history, then at the real now): python -m server.reports.rebuild, run beside the server
    on its embedded database, changes no figure."""
    found = re.search(r"embedded FerretDB on (mongodb://[^\s,\"]+)", seeded.proc.log())
    assert found
    before = {key: await daily(seeded.proc.url, key, seeded.base) for key in NAMES}
    env = {**os.environ, "MONGODB_URL": found.group(1)}  # the database the server names
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.reports.rebuild",
        "--all",
        env=env,
        cwd=infra.ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 600)
    assert proc.returncode == 0, err.decode()
    assert out.decode().count("rebuilt ") == len(NAMES)
    assert {key: await daily(seeded.proc.url, key, seeded.base) for key in NAMES} == before


async def daily(url: str, key: str, base: datetime) -> Any:
    api = await login(url, seed_plan.OWNER[key])
    try:
        cid = (await circle_of(api, key))["id"]
        day = await api.ok("GET", f"/api/circles/{cid}/report?period=day&from={base.date()}")
        return day, await api.ok("GET", f"/api/circles/{cid}/members/lifecycle")
    finally:
        await api.aclose()


async def test_a_restart_on_the_same_data_seeds_nothing_again(seeded: Seeded) -> None:
    before = {key: await figures(seeded.proc.url, key, seeded.base) for key in NAMES}
    seeded.proc.stop()
    seeded.proc = seeded.start()
    assert "Demo history" not in seeded.proc.log()
    after = {key: await figures(seeded.proc.url, key, seeded.base) for key in NAMES}
    for key in NAMES:
        b, a = before[key], after[key]
        assert a["circle"]["member_count"] == b["circle"]["member_count"]
        assert a["report"]["buckets"] == b["report"]["buckets"]
        assert a["lifecycle"]["members"] == b["lifecycle"]["members"]
        assert a["revenue"] == b["revenue"]
        ids = lambda found: sorted(x["id"] for x in found)  # noqa: E731
        assert ids(a["past"] + a["upcoming"]) == ids(b["past"] + b["upcoming"])
    api = await login(seeded.proc.url, "maya")
    try:
        found = await api.ok("GET", "/api/circles?q=Sunday")
        assert [c["name"] for c in found["circles"]].count("Sunday Hikers") == 1
    finally:
        await api.aclose()


def test_the_plan_is_the_same_for_the_same_first_day() -> None:
    base = datetime(2026, 1, 5, tzinfo=UTC)
    one, two = seed_plan.build(base), seed_plan.build(base)
    assert [(s.at, s.kind, s.who, s.data) for s in one.steps] == [
        (s.at, s.kind, s.who, s.data) for s in two.steps
    ]
    assert max(s.at for s in one.steps) < base + timedelta(days=seed_plan.DAYS)  # all past


@pytest.mark.parametrize("offset", range(14))
def test_the_activities_to_come_start_after_today(offset: int) -> None:
    """Whatever the weekday the seed runs on, and at whatever hour: every step is before
    today (the seed cannot travel past its real now), each circle has an activity that starts
    after today (one starting today at 18:00 is already past for a seed run at 20:00), and none
    of them starts today."""
    base = datetime(2026, 1, 5, tzinfo=UTC) + timedelta(days=offset)
    today = base + timedelta(days=seed_plan.DAYS)
    plan = seed_plan.build(base)
    assert max(s.at for s in plan.steps) < today
    starts = {key: [s.data["starts_at"] for s in planned(plan, key, "activity")] for key in NAMES}
    for key, at in starts.items():
        assert [t for t in at if t >= today + timedelta(days=1)], (key, base)
        assert not [t for t in at if today <= t < today + timedelta(days=1)], (key, base)


async def test_the_seeds_clock_moves_forward_only_within_its_block() -> None:
    """clock.travel (server/core/clock.py), the seed's past "now": only inside the block and the
    tasks started in it, and never backwards or past the real now."""
    start = (datetime.now(UTC) - timedelta(days=30)).replace(microsecond=0)
    with clock.travel(start) as cursor:
        assert clock.now() == start
        elsewhere = asyncio.get_running_loop().run_in_executor(None, clock.now)  # no context
        cursor.to(start + timedelta(days=1))
        assert clock.now() - start == timedelta(days=1)

        async def now() -> datetime:
            return clock.now()

        assert await asyncio.create_task(now()) == clock.now()  # a task started inside
        with pytest.raises(ValueError):
            cursor.to(start)
        with pytest.raises(ValueError):
            cursor.to(datetime.now(UTC) + timedelta(minutes=1))

        async def later() -> datetime:
            await gate.wait()
            return clock.now()

        gate = asyncio.Event()
        lingering = asyncio.create_task(later())
    assert datetime.now(UTC) - await elsewhere < timedelta(minutes=1)
    assert datetime.now(UTC) - clock.now() < timedelta(minutes=1)
    gate.set()
    assert datetime.now(UTC) - await lingering < timedelta(minutes=1)  # started inside, ran after
