"""The data set of ``bench.datapath``: who is in which conversation, how many messages each
holds, what each message says, and how it gets into the database.

Users, circles, memberships, DMs, activities and the first messages of every conversation are
made through the real server (HTTP and Socket.IO). The rest of the messages are written by the
server's own ``MessageRepository`` (``claim_many`` then ``insert_batch``, and for edits
``claim_many`` with ``new=False`` then ``update_message``, as ``MessageService`` does), straight
through FerretDB, so every document has the shape the server writes and PostgreSQL maintains
the GIN mirrors as it does in production.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from bench.loadgen import Conn, Worker, open_client
from bench.run import _api
from server.core import clock
from server.core.ids import new_id
from server.core.mongo import make_client
from server.core.redis import make_redis
from server.messages.models import NewMessage
from server.messages.repository import Claims, MessageRepository
from server.messages.service import dm_id
from server.messages.tops import SharedTops

Log = Callable[[str], None]
WORDS = (
    "hey so about the hike on saturday I think we should leave early because the weather "
    "looks better in the morning and the trail gets busy after ten anyway who is bringing "
    "snacks maybe we can meet at the station lol sounds good see you there thanks"
).split()
# chat-like lines of 2 to 30 words, picked by (conversation, seq): content is checkable later
FILLERS = [" ".join(random.Random(i).choices(WORDS, k=2 + i % 29)) for i in range(997)]


def text_for(ci: int, seq: int) -> str:
    return f"#{ci}.{seq} {FILLERS[(ci * 7919 + seq * 104729) % len(FILLERS)]}"


def edited_text(ci: int, seq: int) -> str:
    return "(edited) " + text_for(ci, seq)


@dataclass
class Conv:
    ci: int  # rank - 1: the Zipf weight is 1 / (ci + 1)
    id: str
    kind: str  # "circle" | "dm"
    members: list[int]
    circle: int | None = None  # circle index
    seq_top: int = 0
    rev_top: int = 0


@dataclass
class World:
    users: int = 1000
    circles: int = 200
    circle_size: int = 20
    prefix: int = 3  # messages per conversation sent through the server
    activities: int = 20
    tokens: list[str] = field(default_factory=list)
    user_ids: list[str] = field(default_factory=list)
    circle_ids: list[str] = field(default_factory=list)
    convs: list[Conv] = field(default_factory=list)
    by_id: dict[str, Conv] = field(default_factory=dict)
    dms: set[tuple[int, int]] = field(default_factory=set)
    joined: set[tuple[int, int]] = field(default_factory=set)  # (user, circle) memberships
    activity_ids: list[tuple[str, int]] = field(default_factory=list)  # (id, circle)
    # what the server itself wrote: (conversation id, seq) -> (kind, text)
    written: dict[tuple[str, int], tuple[str, str]] = field(default_factory=dict)
    edited: set[tuple[int, int]] = field(default_factory=set)  # (ci, seq) edited in bulk

    @property
    def stride(self) -> int:
        return self.users // self.circles

    def circle_members(self, c: int) -> list[int]:
        return [(c * self.stride + j) % self.users for j in range(self.circle_size)]

    def name(self, u: int) -> str:
        return f"User {u}"

    def dm_pairs(self) -> list[tuple[int, int]]:
        return [(u, u + 1) for u in range(self.users - self.circles)]

    def expected_text(self, conv: Conv, seq: int) -> tuple[str | None, str | None]:
        """(kind, text) of the message at ``seq``; None for what the server made itself
        (activity cards)."""
        found = self.written.get((conv.id, seq))
        if found is not None:
            return (found[0], found[1]) if found[0] == "text" else (None, None)
        if (conv.ci, seq) in self.edited:
            return "text", edited_text(conv.ci, seq)
        return "text", text_for(conv.ci, seq)

    def server_made(self) -> None:
        """Record the seqs the server filled itself (cards), once the tops are read."""
        for conv in self.convs:
            for seq in range(1, conv.seq_top + 1):
                self.written.setdefault((conv.id, seq), ("server", ""))

    def targets(self, size: int) -> list[int]:
        """Messages per conversation for ``size`` in all: Zipf (weight 1/rank) over the
        conversations, circles first, each at least what it already holds (water-filled)."""
        weights = [1 / (c.ci + 1) for c in self.convs]
        floor = [c.seq_top for c in self.convs]
        if size < sum(floor):
            raise ValueError(f"size {size} is below what is already stored ({sum(floor)})")
        low, high = 0.0, float(size)
        for _ in range(100):
            mid = (low + high) / 2
            if sum(max(f, int(mid * w)) for f, w in zip(floor, weights, strict=True)) > size:
                high = mid
            else:
                low = mid
        out = [max(f, int(low * w)) for f, w in zip(floor, weights, strict=True)]
        short = size - sum(out)
        for i in range(short):  # rounding: the largest take the rest, one each
            out[i % len(out)] += 1
        return out


# --------------------------------------------------------------------------------------------
# made through the server


async def connect_all(url: str, world: World, users: list[int], conc: int = 32) -> Worker:
    w = Worker()
    sem = asyncio.Semaphore(conc)

    async def one(u: int) -> None:
        async with sem:
            w.conns[u] = await open_client(w, url, {"idx": u, "token": world.tokens[u], "room": ""})

    await asyncio.gather(*(one(u) for u in users))
    return w


def close_all(w: Worker) -> None:
    for c in w.conns.values():
        c.close()
    w.conns.clear()


async def ok_call(conn: Conn, event: str, data: dict[str, Any], timeout: float = 60) -> Any:
    ack = await conn.call(event, data, timeout)
    if not (isinstance(ack, dict) and ack.get("ok")):
        raise RuntimeError(f"{event} {data} -> {ack}")
    return ack["data"]


async def build(url: str, world: World, log: Log) -> None:
    """Users, circles, memberships, DMs, activities and ``prefix`` messages per conversation,
    all through the server."""
    t0 = time.monotonic()
    sem = asyncio.Semaphore(8)
    async with aiohttp.ClientSession(base_url=url) as s:

        async def register(u: int) -> None:
            async with sem:
                body = {"handle": f"dp_{u:05d}", "password": "bench-password-1"}
                body["display_name"] = world.name(u)
                got = await _api(s, "POST", "/api/auth/register", body)
                world.tokens[u], world.user_ids[u] = got["token"], got["user"]["id"]

        world.tokens, world.user_ids = [""] * world.users, [""] * world.users
        await asyncio.gather(*(register(u) for u in range(world.users)))
        log(f"  registered {world.users} users ({time.monotonic() - t0:.0f}s)")
        for c in range(world.circles):
            owner = world.circle_members(c)[0]
            body = {"name": f"Circle {c}", "category": "bench", "visibility": "public"}
            got = (await _api(s, "POST", "/api/circles", body, token=world.tokens[owner]))["circle"]
            world.circle_ids.append(got["id"])
            conv = Conv(c, got["conversation_id"], "circle", world.circle_members(c), c)
            world.convs.append(conv)
            world.joined.add((owner, c))

        async def join(u: int, c: int) -> None:
            async with sem:
                path = f"/api/circles/{world.circle_ids[c]}/join"
                await _api(s, "POST", path, {}, token=world.tokens[u])
                world.joined.add((u, c))

        await asyncio.gather(
            *(join(u, c) for c in range(world.circles) for u in world.circle_members(c)[1:])
        )
        log(f"  {world.circles} circles of {world.circle_size} ({time.monotonic() - t0:.0f}s)")
        w = await connect_all(url, world, list(range(world.users)))
        try:
            for i, (a, b) in enumerate(world.dm_pairs()):
                got = await ok_call(w.conns[a], "dm:open", {"user_id": world.user_ids[b]})
                conv_id = got["conversation"]["id"]
                assert conv_id == dm_id(world.user_ids[a], world.user_ids[b]), got
                world.convs.append(Conv(world.circles + i, conv_id, "dm", [a, b]))
                world.dms.add((a, b))
            world.by_id = {c.id: c for c in world.convs}
            log(f"  {len(world.dms)} DMs ({time.monotonic() - t0:.0f}s)")
            await _activities(s, w, world)
            await _first_messages(w, world)
        finally:
            close_all(w)
    log(
        f"  {world.activities} activities, {world.prefix} messages per conversation sent "
        f"through the server: setup took {time.monotonic() - t0:.0f}s"
    )


async def _activities(s: aiohttp.ClientSession, w: Worker, world: World) -> None:
    """An activity in each of the largest circles (its card is a message of the circle), with
    three sign-ups each (each re-renders the card: a change with a rev of its own)."""
    starts = datetime.now(UTC) + timedelta(days=7)
    for c in range(world.activities):
        members = world.circle_members(c)
        body = {
            "title": f"Hike {c}",
            "category": "outdoors",
            "starts_at": starts.isoformat().replace("+00:00", "Z"),
            "ends_at": (starts + timedelta(hours=2)).isoformat().replace("+00:00", "Z"),
            "location": {"name": "Trailhead", "address": "1 Forest Rd"},
            "capacity": 10,
        }
        path = f"/api/circles/{world.circle_ids[c]}/activities"
        got = await _api(s, "POST", path, body, token=world.tokens[members[0]])
        world.activity_ids.append((got["activity"]["id"], c))
        for u in members[1:4]:
            await ok_call(w.conns[u], "activity:signup", {"activity_id": got["activity"]["id"]})


async def _first_messages(w: Worker, world: World) -> None:
    rng = random.Random(7)
    sem = asyncio.Semaphore(32)

    async def send(conv: Conv, k: int) -> None:
        u = rng.choice(conv.members)
        text = f"#{conv.ci} first {k}: {FILLERS[rng.randrange(len(FILLERS))]}"
        async with sem:
            data = {"conversation_id": conv.id, "client_id": new_id(), "text": text}
            got = (await ok_call(w.conns[u], "message:send", data))["message"]
        world.written[(conv.id, got["seq"])] = ("text", text)

    for k in range(world.prefix):  # round by round, so each conversation's sends are in order
        await asyncio.gather(*(send(conv, k) for conv in world.convs))


# --------------------------------------------------------------------------------------------
# the rest, through the server's repository


class Populator:
    """Grows every conversation to its target with the server's own repository code."""

    def __init__(
        self, mongo_url: str, db_name: str, world: World, log: Log, redis_url: str | None = None
    ) -> None:
        self.client = make_client(mongo_url, 120_000, pool_size=8)
        # as the server's writer does, it shares the tops it claims (messages/tops.py)
        self.redis = make_redis(redis_url, 4) if redis_url else None
        self.hints = SharedTops(self.redis, db_name)
        self.repo = MessageRepository(self.client[db_name], self.hints)
        self.world = world
        self.log = log
        self.done = 0
        self.edits = 0

    async def close(self) -> None:
        await self.hints.drain()
        if self.redis is not None:
            await self.redis.aclose()
        await self.client.close()

    async def read_tops(self) -> None:
        """Each conversation's current rev and highest seq, as the server reads them."""
        for conv in self.world.convs:
            conv.rev_top, conv.seq_top = await self.repo.top(conv.id)

    async def grow(self, size: int, chunk: int, edit_rate: float, workers: int = 2) -> float:
        known = {c.id: c.seq_top for c in self.world.convs}
        await self.read_tops()
        for conv in self.world.convs:  # what the server posted itself meanwhile (join notices)
            for seq in range(known[conv.id] + 1, conv.seq_top + 1):
                self.world.written.setdefault((conv.id, seq), ("server", ""))
        targets = self.world.targets(size)
        todo = sum(t - c.seq_top for t, c in zip(targets, self.world.convs, strict=True))
        t0 = time.monotonic()
        self.done = 0

        async def ticker() -> None:
            while True:
                await asyncio.sleep(10)
                rate = self.done / (time.monotonic() - t0)
                self.log(
                    f"    {self.done:,}/{todo:,} messages ({rate:,.0f}/s, {self.edits:,} edits "
                    f"so far), {time.monotonic() - t0:.0f}s"
                )

        tick = asyncio.create_task(ticker())
        try:
            await asyncio.gather(
                *(
                    self._worker(
                        [(c, t) for c, t in zip(self.world.convs, targets, strict=True)][
                            k::workers
                        ],
                        chunk,
                        edit_rate,
                        random.Random(size * 31 + k),
                    )
                    for k in range(workers)
                )
            )
        finally:
            tick.cancel()
        await self.hints.drain()
        await self.read_tops()
        stored = sum(c.seq_top for c in self.world.convs)
        if stored != size:
            raise RuntimeError(f"stored {stored} messages, wanted {size}")
        return time.monotonic() - t0

    async def _worker(
        self, plan: list[tuple[Conv, int]], chunk: int, edit_rate: float, rng: random.Random
    ) -> None:
        """Writes its conversations (no other writer touches them: seqs are as predicted)."""
        batch: dict[str, list[NewMessage]] = {}
        n = 0
        for conv, target in plan:
            for seq in range(conv.seq_top + 1, target + 1):
                u = rng.choice(conv.members)
                batch.setdefault(conv.id, []).append(
                    NewMessage(
                        id=new_id(),
                        conversation_id=conv.id,
                        sender_id=self.world.user_ids[u],
                        sender_name=self.world.name(u),
                        kind="text",
                        text=text_for(conv.ci, seq),
                        client_id=new_id(),
                        created_at=clock.now(),
                    )
                )
                n += 1
                if n >= chunk:
                    await self._flush(batch, edit_rate, rng)
                    batch, n = {}, 0
        if batch:
            await self._flush(batch, edit_rate, rng)

    async def _flush(
        self, batch: dict[str, list[NewMessage]], edit_rate: float, rng: random.Random
    ) -> None:
        claims = Claims()  # the writer's path: claim revs and seqs, then insert the messages
        await self.repo.claim_many(
            {cid: [m.id for m in ms] for cid, ms in batch.items()}, True, claims
        )
        rows = []
        for cid, ms in batch.items():
            conv = self.world.by_id[cid]
            for m, (rev, seq) in zip(ms, claims.made[cid], strict=True):
                if m.text != text_for(conv.ci, seq):
                    raise RuntimeError(f"{cid}: seq {seq} is not the one predicted")
                rows.append((m, seq, rev))
        refused = await self.repo.insert_batch(rows)
        if refused:
            raise RuntimeError(f"{len(refused)} messages refused as duplicates")
        self.done += len(rows)
        # edits, as MessageService.edit makes them: a claim (new=False), then the update
        chosen = [(m, seq) for m, seq, _ in rows if rng.random() < edit_rate]
        if not chosen:
            return
        by_conv: dict[str, list[tuple[NewMessage, int]]] = {}
        for m, seq in chosen:
            by_conv.setdefault(m.conversation_id, []).append((m, seq))
        edit_claims = Claims()
        requests = {cid: [m.id for m, _ in items] for cid, items in by_conv.items()}
        await self.repo.claim_many(requests, False, edit_claims)
        sem = asyncio.Semaphore(8)

        async def edit(m: NewMessage, seq: int, rev: int) -> None:
            ci = self.world.by_id[m.conversation_id].ci
            changes = {"text": edited_text(ci, seq), "edited_at": clock.now()}
            async with sem:
                stored = await self.repo.update_message(m.id, rev, changes, {"deleted": False})
            if stored is None:
                raise RuntimeError(f"edit of {m.id} not stored")
            self.world.edited.add((ci, seq))

        await asyncio.gather(
            *(
                edit(m, seq, rev)
                for cid, items in by_conv.items()
                for (m, seq), (rev, _) in zip(items, edit_claims.made[cid], strict=True)
            )
        )
        self.edits += len(chosen)
