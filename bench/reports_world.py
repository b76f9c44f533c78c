"""The data set of ``bench.reports``: one circle with 5,000 members, 1,000,000 chat messages and
2,000 activities spread over months, and a small circle measured beside it as the baseline.

History is made in waves, oldest first. Before each wave the servers' clock file
(``CIRCLES_CLOCK_FILE``, server/core/clock.py) is set to the wave's date, and **through the
server** (HTTP and Socket.IO, as a client would) that wave's members join, its activities are
posted, members sign up, some pay (by confirmed manual transfer, or in the sandbox), some cancel,
some are checked in, and a few chat messages (some of them questions) are sent. Then the server
is stopped and the wave's share of the chat is written with ``bench.datapath_world.Populator``
(the writer's own ``claim_many`` then ``insert_batch``, 1% edited as ``MessageService.edit``
stores an edit), each message dated inside the wave, so the chat's history runs from the
circle's creation to now with seqs and dates in the same order.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp

from bench import datapath_world as dw
from bench.datapath_world import Conv, Log, World, close_all, connect_all, ok_call
from bench.run import _api
from server.core.ids import new_id
from server.core.mongo import make_client
from server.rooms.models import Membership
from server.rooms.repository import CircleRepository

DB_NAME = "circles"  # as bench.datapath
EUR = "EUR"


@dataclass
class Shape:
    members: int = 5000
    messages: int = 1_000_000
    activities: int = 2000
    days: int = 150
    waves: int = 10
    active: int = 300  # members with a socket: they sign up and chat through the server
    speakers: int = 1500  # members the bulk chat is written by (the rest stay silent)
    paid_every: int = 10  # every tenth activity has a price
    small_members: int = 20  # the baseline circle
    small_activities: int = 10
    busy_signups: int = 200  # the busy activity: capacity 120, the rest waitlisted
    server_joins: int = 20  # joins through the server per wave (besides the active members)


@dataclass
class ReportsWorld:
    shape: Shape
    world: World = field(default_factory=World)  # users, tokens, the big chat as world.convs[0]
    circle_id: str = ""
    small_id: str = ""
    activity_ids: list[str] = field(default_factory=list)
    small_activity_ids: list[str] = field(default_factory=list)
    busy_id: str = ""
    joined: int = 1  # members of the big circle so far (the owner)
    pending: range = range(0)  # members of this wave still to be written in bulk
    speaking: int = 1
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n


async def api(
    s: aiohttp.ClientSession, method: str, path: str, body: Any, token: str | None = None
) -> Any:
    """``bench.run._api``, again when the request could not be written (a keep-alive
    connection the server had just closed: the request never reached it)."""
    for attempt in range(3):
        try:
            return await _api(s, method, path, body, token=token)
        except aiohttp.ClientOSError:
            if attempt == 2:
                raise
            await asyncio.sleep(0.2)
    raise AssertionError("unreachable")


class Clock:
    """The servers' clock file: an offset in seconds from the real now."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.set(0)

    def set(self, offset_s: float) -> None:
        self.path.write_text(f"{offset_s:.3f}")

    @staticmethod
    def at(offset_s: float) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=offset_s)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


class Spread:
    """A stand-in for ``server.core.clock`` inside ``bench.datapath_world`` while a wave's chat
    is written: each call is a little later, from ``start`` to ``end``."""

    def __init__(self, start: datetime, end: datetime, calls: int) -> None:
        self.t = start
        self.end = end
        self.step = (end - start) / max(calls, 1)

    def now(self) -> datetime:
        self.t = min(self.t + self.step, self.end)
        return self.t.replace(microsecond=self.t.microsecond // 1000 * 1000)


# --------------------------------------------------------------------------------------------
# through the server


async def _register(s: aiohttp.ClientSession, rw: ReportsWorld, users: range, sem: Any) -> None:
    w = rw.world

    async def one(u: int) -> None:
        async with sem:
            body = {"handle": f"rp_{u:05d}", "password": "bench-password-1"}
            body["display_name"] = w.name(u)
            got = await api(s, "POST", "/api/auth/register", body)
            w.tokens[u], w.user_ids[u] = got["token"], got["user"]["id"]

    await asyncio.gather(*(one(u) for u in users))


async def login(s: aiohttp.ClientSession, rw: ReportsWorld, users: list[int]) -> None:
    """Sessions last 30 days: the active members log in again at each wave's date."""
    sem = asyncio.Semaphore(8)

    async def one(u: int) -> None:
        async with sem:
            body = {"handle": f"rp_{u:05d}", "password": "bench-password-1"}
            rw.world.tokens[u] = (await api(s, "POST", "/api/auth/login", body))["token"]

    await asyncio.gather(*(one(u) for u in users))


async def setup(s: aiohttp.ClientSession, rw: ReportsWorld, log: Log) -> None:
    """Every user, the big and the small circle, at the first wave's date."""
    w, sh = rw.world, rw.shape
    w.users = sh.members
    w.tokens, w.user_ids = [""] * w.users, [""] * w.users
    sem = asyncio.Semaphore(8)
    t0 = time.monotonic()
    await _register(s, rw, range(sh.members), sem)
    log(f"  registered {sh.members:,} users ({time.monotonic() - t0:.0f}s)")
    for name in ("Big circle", "Small circle"):
        body = {"name": name, "category": "bench", "visibility": "public"}
        got = (await api(s, "POST", "/api/circles", body, token=w.tokens[0]))["circle"]
        if name == "Big circle":
            rw.circle_id = got["id"]
            w.circle_ids.append(got["id"])
            speakers = list(range(min(sh.speakers, sh.members)))
            w.convs = [Conv(0, got["conversation_id"], "circle", speakers, 0)]
            w.by_id = {c.id: c for c in w.convs}
        else:
            rw.small_id = got["id"]
    # the small circle: its members join now; its activities come with the first wave
    await asyncio.gather(*(_join(s, rw, u, rw.small_id, sem) for u in range(1, sh.small_members)))


async def _join(s: aiohttp.ClientSession, rw: ReportsWorld, u: int, cid: str, sem: Any) -> None:
    async with sem:
        await api(s, "POST", f"/api/circles/{cid}/join", {}, token=rw.world.tokens[u])


async def wave(
    url: str, rw: ReportsWorld, k: int, when: datetime, next_when: datetime, log: Log
) -> None:
    """Wave ``k``: members joining, activities with sign-ups, payments, cancellations,
    check-ins and chat, all at the clock's date ``when``."""
    w, sh = rw.world, rw.shape
    rng = random.Random(1000 + k)
    sem = asyncio.Semaphore(8)
    t0 = time.monotonic()
    async with aiohttp.ClientSession(base_url=url) as s:
        upto = 1 + (sh.members - 1) * (k + 1) // sh.waves
        # through the server: the active members, and the first few joiners of every wave; the
        # rest are written after the wave (``bulk_members``), dated across it
        by_server = range(rw.joined, max(min(upto, rw.joined + sh.server_joins), sh.active))
        if k > 0:  # sessions registered or opened at an earlier wave's date have expired
            await login(s, rw, [*range(sh.active), *by_server])
        await asyncio.gather(*(_join(s, rw, u, rw.circle_id, sem) for u in by_server))
        rw.count("joins_through_server", len(by_server))
        rw.pending = range(by_server.stop, upto)
        rw.speaking = by_server.stop  # who may write the wave's bulk chat: joined at its start
        rw.joined = max(upto, by_server.stop)
        t_join = time.monotonic() - t0
        active = [u for u in range(1, min(sh.active, rw.joined))]
        conns = await connect_all(url, w, [0, *active])
        try:
            busy = k == sh.waves - 2 and not rw.busy_id  # ended before now, in the last month
            n = sh.activities * (k + 1) // sh.waves - sh.activities * k // sh.waves - int(busy)
            first = len(rw.activity_ids)
            acts = [first + i for i in range(n)]
            span = (next_when - when).total_seconds()

            async def one(i: int) -> None:
                async with sem:
                    starts = when + timedelta(seconds=span * (0.1 + 0.8 * (i - first) / n))
                    paid = i % sh.paid_every == 0
                    await _activity(s, conns, rw, i, starts, paid, rng, active)

            await asyncio.gather(*(one(i) for i in acts))
            t_acts = time.monotonic() - t0 - t_join
            if busy:
                await _busy(s, conns, rw, when + timedelta(seconds=span * 0.5), active)
            if k == 0:
                for j in range(sh.small_activities):
                    starts = when + timedelta(days=1 + j)
                    aid = await _post(s, rw, rw.small_id, f"Small {j}", starts, 10, j % 2 == 0)
                    rw.small_activity_ids.append(aid)
                    for u in rng.sample(range(1, sh.small_members), 4):
                        await _signup(s, conns, rw, aid, u, j % 2 == 0, rng)
            await _chat(conns, rw, active, rng, 100)
        finally:
            close_all(conns)
    log(
        f"  wave {k + 1}/{sh.waves} at {when:%Y-%m-%d}: {rw.joined:,} members, "
        f"{len(rw.activity_ids):,} activities ({time.monotonic() - t0:.0f}s: joins "
        f"{t_join:.0f}s, activities {t_acts:.0f}s)"
    )


async def _post(
    s: aiohttp.ClientSession,
    rw: ReportsWorld,
    circle_id: str,
    title: str,
    starts: datetime,
    capacity: int,
    paid: bool,
) -> str:
    body: dict[str, Any] = {
        "title": title,
        "category": "outdoors",
        "starts_at": iso(starts),
        "ends_at": iso(starts + timedelta(hours=2)),
        "location": {"name": "Trailhead", "address": "1 Forest Rd"},
        "capacity": capacity,
    }
    if paid:
        body["price"] = {"amount": 1500, "currency": EUR}
    path = f"/api/circles/{circle_id}/activities"
    got = await api(s, "POST", path, body, token=rw.world.tokens[0])
    rw.count("activities")
    return str(got["activity"]["id"])


async def _activity(
    s: aiohttp.ClientSession,
    conns: Any,
    rw: ReportsWorld,
    i: int,
    starts: datetime,
    paid: bool,
    rng: random.Random,
    active: list[int],
) -> None:
    aid = await _post(s, rw, rw.circle_id, f"Hike {i}", starts, 8, paid)
    rw.activity_ids.append(aid)
    people = rng.sample(active, min(len(active), rng.randint(0, 5)))
    for u in people:
        await _signup(s, conns, rw, aid, u, paid, rng)
    if people and not paid and i % 2 == 0:  # the organiser checks the first one in
        await api(
            s,
            "POST",
            f"/api/activities/{aid}/checkin/user",
            {"user_id": rw.world.user_ids[people[0]]},
            token=rw.world.tokens[0],
        )
        rw.count("checkins")
    if len(people) > 2 and i % 3 == 0:  # the last one cancels
        await ok_call(conns.conns[people[-1]], "activity:cancel", {"activity_id": aid})
        rw.count("cancellations")


async def _signup(
    s: aiohttp.ClientSession,
    conns: Any,
    rw: ReportsWorld,
    aid: str,
    u: int,
    paid: bool,
    rng: random.Random,
) -> str:
    got = await ok_call(conns.conns[u], "activity:signup", {"activity_id": aid})
    rw.count("signups")
    status = str(got.get("signup", {}).get("status", ""))
    if paid and status == "pending_payment":
        await _pay(s, rw, aid, u, "sandbox" if rng.random() < 0.25 else "manual")
        status = "confirmed"
    return status


async def _pay(s: aiohttp.ClientSession, rw: ReportsWorld, aid: str, u: int, provider: str) -> str:
    tok, owner = rw.world.tokens[u], rw.world.tokens[0]
    path = f"/api/activities/{aid}/payment"
    made = await api(s, "POST", path, {"provider": provider}, token=tok)
    pid = str(made["payment"]["id"])
    if provider == "manual":
        await api(s, "POST", f"/api/payments/{pid}/proof", {"reference": f"IBAN {u}"}, token=tok)
        await api(s, "POST", f"/api/payments/{pid}/confirm", {}, token=owner)
    else:
        await api(s, "POST", f"/api/payments/{pid}/sandbox/complete", {}, token=tok)
    rw.count(f"payments_{provider}")
    return pid


async def _busy(
    s: aiohttp.ClientSession, conns: Any, rw: ReportsWorld, starts: datetime, active: list[int]
) -> None:
    """The busy activity: 120 seats at a price, ``busy_signups`` sign-ups (the rest waitlisted),
    payments, cancellations (offers to the waitlist) and check-ins."""
    aid = await _post(s, rw, rw.circle_id, "Summer festival", starts, 120, True)
    rw.busy_id = aid
    rw.activity_ids.append(aid)
    people = active[: rw.shape.busy_signups]
    rng = random.Random(99)
    statuses = {}
    for u in people:
        got = await ok_call(conns.conns[u], "activity:signup", {"activity_id": aid})
        statuses[u] = got.get("signup", {}).get("status")
        rw.count("signups")
    held = [u for u in people if statuses[u] == "pending_payment"]
    sem = asyncio.Semaphore(8)

    async def pay(u: int) -> None:
        async with sem:
            await _pay(s, rw, aid, u, "sandbox" if rng.random() < 0.25 else "manual")

    await asyncio.gather(*(pay(u) for u in held[:100]))
    for u in held[100:]:  # these do not pay: they cancel their held seat
        await ok_call(conns.conns[u], "activity:cancel", {"activity_id": aid})
        rw.count("cancellations")
    for u in held[:60]:
        await api(
            s,
            "POST",
            f"/api/activities/{aid}/checkin/user",
            {"user_id": rw.world.user_ids[u]},
            token=rw.world.tokens[0],
        )
        rw.count("checkins")


async def _chat(
    conns: Any, rw: ReportsWorld, active: list[int], rng: random.Random, n: int
) -> None:
    """``n`` messages through the server, a fifth of them questions."""
    conv = rw.world.convs[0]
    for j in range(n):
        u = rng.choice([0, *active])
        text = f"wave chat {j}: {dw.FILLERS[rng.randrange(len(dw.FILLERS))]}"
        if j % 5 == 0:
            text += " anyone?"
        data = {"conversation_id": conv.id, "client_id": new_id(), "text": text}
        got = (await ok_call(conns.conns[u], "message:send", data))["message"]
        rw.world.written[(conv.id, got["seq"])] = ("text", text)
        rw.count("messages_through_server")


# --------------------------------------------------------------------------------------------
# the bulk of the members and of the chat, through the server's repositories


async def bulk_members(mongo_url: str, rw: ReportsWorld, start: datetime, end: datetime) -> int:
    """The wave's remaining joiners, as ``CircleService`` stores a join (the membership, then
    the recount), dated across the wave; they never use the chat through the server, so no
    participation is written for them."""
    client = make_client(mongo_url, 120_000, pool_size=8)
    try:
        repo = CircleRepository(client[DB_NAME])
        users = list(rw.pending)
        step = (end - start) / max(len(users), 1)
        sem = asyncio.Semaphore(8)

        async def one(i: int, u: int) -> None:
            m = Membership(rw.circle_id, rw.world.user_ids[u], "member", start + step * i)
            async with sem:
                await repo.insert_membership(m)

        await asyncio.gather(*(one(i, u) for i, u in enumerate(users)))
        rw.count("joins_in_bulk", len(users))
        rw.pending = range(0)
        return await repo.recount_members(rw.circle_id)
    finally:
        await client.close()


async def grow_chat(
    pop: dw.Populator,
    upto: int,
    start: datetime,
    end: datetime,
    edit_rate: float,
    speakers: int,
    joined: int,
) -> float:
    """Grow the big chat to ``upto`` messages, dated from ``start`` to ``end``."""
    conv = pop.world.convs[0]
    await pop.read_tops()
    conv.members = list(range(min(speakers, joined)))  # those who had joined by ``start``
    calls = int((upto - conv.seq_top) * (1 + 2 * edit_rate)) + 1
    real = dw.clock
    dw.clock = SimpleNamespace(now=Spread(start, end, calls).now)  # type: ignore[assignment]
    try:
        return await pop.grow(upto, 2000, edit_rate, 1)
    finally:
        dw.clock = real
