"""Delivery across two server processes (TESTING.md, Delivery and reconnection, items 1-5).

Every test runs against two Circles processes that share one database and one Redis, records its
operations in a History and checks M1-M4 over it against the database itself
(tests/support/history.py).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support import infra
from tests.support.client import Api, Sock
from tests.support.history import (
    History,
    Replica,
    Store,
    check_dense,
    check_m1,
    check_m2,
    check_m3,
    check_m4,
    client_id,
    live_seqs,
    settle,
)

pytestmark = pytest.mark.slow  # every test here runs two server processes


@dataclass
class Cluster:
    a: infra.Proc
    b: infra.Proc
    store: Store

    @property
    def procs(self) -> tuple[infra.Proc, infra.Proc]:
        return self.a, self.b


@pytest.fixture
async def cluster(stack: Any) -> AsyncIterator[Cluster]:
    """Two processes on the shared FerretDB and Redis, with a fresh database of the test's own
    that the checkers read directly (FerretDB scans whole collections, so sharing one database
    would make every test pay for the messages of the ones before it)."""
    env = stack.server_env()
    a, b = await asyncio.gather(*[asyncio.to_thread(stack.start, **env) for _ in range(2)])
    store = Store(stack.mongo_url, env["MONGODB_DB"])
    yield Cluster(a, b, store)
    await store.close()
    a.stop()
    b.stop()


async def circle_of(owner: Api, *members: Api) -> dict[str, Any]:
    circle = await owner.create_circle(f"Delivery {client_id()[:6]}")
    await asyncio.gather(*[m.join(circle["id"]) for m in members])
    return circle


async def test_same_client_id_sent_to_both_processes_at_once_is_stored_and_delivered_once(
    cluster, make_user, make_sock
):
    a, b = cluster.procs
    alice, bob, carol = [await make_user(n, base_url=a.url) for n in ("alice", "bob", "carol")]
    conv = (await circle_of(alice, bob, carol))["conversation_id"]
    alice_a, alice_b = await make_sock(alice, a.url), await make_sock(alice, b.url)
    bob_a, carol_b = await make_sock(bob, a.url), await make_sock(carol, b.url)
    receivers = [alice_a, alice_b, bob_a, carol_b]

    cids = [client_id() for _ in range(12)]
    acked: dict[str, dict[str, Any]] = {}
    for cid in cids:
        payload = {"conversation_id": conv, "client_id": cid, "text": f"once {cid[:6]}"}
        acks = await asyncio.gather(
            *[s.ok("message:send", payload) for s in (alice_a, alice_b, alice_a, alice_b)]
        )
        messages = [ack["message"] for ack in acks]
        assert all(m == messages[0] for m in messages), messages
        acked[cid] = messages[0]

    stored = await cluster.store.messages(conv)
    texts = [d for d in stored if d["kind"] == "text"]
    assert sorted(d["client_id"] for d in texts) == sorted(cids)
    assert {d["_id"]: d["seq"] for d in texts} == {m["id"]: m["seq"] for m in acked.values()}
    # A seq reserved by the losing process is plugged with a deleted system tombstone: the only
    # other documents allowed.
    assert all(d["kind"] == "system" and d["deleted"] for d in stored if d["kind"] != "text")
    check_m2(stored)
    check_dense(stored)

    def texts_of(sock: Sock) -> list[dict[str, Any]]:
        # Placeholders are part of the log (sync and history carry them), so they may arrive
        # live too, as deleted system messages; the text messages must arrive exactly once.
        got = sock.messages(conv)
        assert all(m["kind"] == "text" or (m["deleted"] and m["kind"] == "system") for m in got)
        return [m for m in got if m["kind"] == "text"]

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if all(len({m["id"] for m in texts_of(s)}) >= len(cids) for s in receivers):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.7)  # a duplicate message:new would have arrived by now
    for sock in receivers:
        got = texts_of(sock)
        assert Counter(m["client_id"] for m in got) == Counter(cids), sock.base_url
        assert all(m == acked[m["client_id"]] for m in got)


async def test_twenty_senders_on_two_processes_get_one_dense_total_order(
    cluster, make_user, make_sock
):
    a, b = cluster.procs
    owner = await make_user("owner", base_url=a.url)
    senders = list(
        await asyncio.gather(*[make_user(f"sender{i}", base_url=a.url) for i in range(20)])
    )
    conv = (await circle_of(owner, *senders))["conversation_id"]
    history = History()
    socks = [
        history.watch(f"sender{i}", await make_sock(s, (a, b)[i % 2].url))
        for i, s in enumerate(senders)
    ]
    watchers = [
        history.watch("owner@a", await make_sock(owner, a.url)),
        history.watch("owner@b", await make_sock(owner, b.url)),
    ]

    failed = asyncio.Event()

    async def run(i: int) -> None:
        for k in range(50):
            if failed.is_set():
                return  # the verdict is in; do not spend minutes confirming it
            op = await history.send(socks[i], senders[i].id, conv, f"s{i} m{k}", via="ab"[i % 2])
            if op.outcome != "ok":
                failed.set()

    started = time.monotonic()
    await asyncio.gather(*[run(i) for i in range(20)])
    refused = [op for op in history.sends if op.outcome != "ok"]
    assert not refused, (
        f"{len(refused)} sends not acked ok after {time.monotonic() - started:.0f}s, "
        f"e.g. {refused[:3]}; outcomes so far {history.outcomes()}"
    )
    assert len(history.sends) == 1000

    stored = await cluster.store.messages(conv)
    assert [d["seq"] for d in stored] == list(range(1, 1001))
    assert all(d["kind"] == "text" for d in stored)
    check_m1(history.acked(conv), stored)
    check_m2(stored)
    for i in range(20):  # a send acked before the next was made gets a lower seq
        seqs = [op.message["seq"] for op in history.sends if op.sender == senders[i].id]
        assert seqs == sorted(seqs), (i, seqs)

    await settle([*socks, *watchers], 1000, conv, timeout=20)
    check_m3(history)
    ids = {d["_id"] for d in stored}
    for name, sock in history.watched.items():
        got = [m["id"] for m in sock.messages(conv)]
        assert len(got) == 1000 and set(got) == ids, (name, len(got), len(set(got) & ids))


async def test_offline_client_catches_up_through_the_other_process(cluster, make_user, make_sock):
    a, b = cluster.procs
    alice, bob, owner = [await make_user(n, base_url=b.url) for n in ("alice", "bob", "owner")]
    conv = (await circle_of(owner, alice, bob))["conversation_id"]
    alice_a, alice_b = await make_sock(alice, a.url), await make_sock(alice, b.url)
    owner_b = await make_sock(owner, b.url)
    history = History()

    async def send(sock: Sock, text: str) -> dict[str, Any]:
        op = await history.send(sock, alice.id, conv, text)
        assert op.outcome == "ok", op
        assert op.message is not None
        return op.message

    kept, to_edit, to_delete = [await send(alice_a, t) for t in ("kept", "edit me", "drop me")]
    bob_sock = await make_sock(bob, a.url)
    replica = Replica()
    first = await replica.sync(bob_sock, conv)
    assert [m["id"] for m in first] == [kept["id"], to_edit["id"], to_delete["id"]]
    await bob_sock.close()

    new = [await send(s, f"while away {i}") for i, s in enumerate([alice_a, alice_b] * 2)]
    await alice_b.ok("message:edit", {"message_id": to_edit["id"], "text": "edited on b"})
    await alice_a.ok("message:edit", {"message_id": new[0]["id"], "text": "new, edited on a"})
    await owner_b.ok("message:delete", {"message_id": to_delete["id"]})
    await alice_a.ok("message:delete", {"message_id": new[1]["id"]})
    await alice_b.ok("message:edit", {"message_id": to_edit["id"], "text": "edited twice"})

    back = await make_sock(bob, b.url)  # the other process
    caught = await replica.sync(back, conv)
    ids = [m["id"] for m in caught]
    assert len(ids) == len(set(ids)), "a change was delivered twice"
    assert set(ids) == {to_edit["id"], to_delete["id"], *(m["id"] for m in new)}
    by_id = {m["id"]: m for m in caught}
    assert by_id[to_edit["id"]]["text"] == "edited twice"
    assert by_id[to_delete["id"]]["deleted"] is True and by_id[to_delete["id"]]["text"] == ""
    assert by_id[new[0]["id"]]["text"] == "new, edited on a"
    assert by_id[new[1]["id"]]["deleted"] is True
    assert [m["rev"] for m in caught] == sorted(m["rev"] for m in caught)
    stored = await cluster.store.messages(conv)
    check_m4(replica, conv, stored)
    check_m1(history.acked(), stored)
    assert await replica.sync(back, conv) == []


async def test_reconnecting_during_traffic_converges_over_random_interleavings(
    cluster, make_user, make_sock
):
    """Join-before-fetch: whatever happens between "joined" and "synced" (and between the last
    event seen and the disconnect), the client's copy equals the database."""
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    a, b = cluster.procs
    owner = await make_user("owner", base_url=a.url)
    writers = list(
        await asyncio.gather(*[make_user(f"writer{i}", base_url=a.url) for i in range(4)])
    )
    bob = await make_user("bob", base_url=a.url)
    conv = (await circle_of(owner, *writers, bob))["conversation_id"]
    # Sends go through process a (two writing processes are the total-order test's subject);
    # edits and deletes go through both; bob reconnects to either.
    send_socks = [await make_sock(w, a.url) for w in writers]
    writer_socks = [await make_sock(w, (a, b)[i % 2].url) for i, w in enumerate(writers)]
    history = History()
    replica = Replica()
    mine: dict[int, list[str]] = {i: [] for i in range(len(writers))}

    async def write(i: int, stop: asyncio.Event) -> None:
        sock, me = writer_socks[i], writers[i]
        while not stop.is_set():
            roll = rng.random()
            if roll < 0.15 and mine[i]:
                target = rng.choice(mine[i])
                await sock.ok("message:edit", {"message_id": target, "text": f"edit {roll:.3f}"})
            elif roll < 0.2 and mine[i]:
                await sock.ok("message:delete", {"message_id": mine[i].pop()})
            else:
                op = await history.send(send_socks[i], me.id, conv, f"w{i} {roll:.4f}")
                assert op.outcome == "ok" and op.message is not None, op
                mine[i].append(op.message["id"])
            await asyncio.sleep(rng.choice([0, 0, rng.uniform(0, 0.02)]))

    bob_sock = await make_sock(bob, rng.choice((a, b)).url)
    for round_no in range(20):
        stop = asyncio.Event()
        traffic = [asyncio.create_task(write(i, stop)) for i in range(len(writers))]
        await asyncio.sleep(rng.uniform(0, 0.15))
        replica.apply_events(bob_sock.log)  # the copy as it stood when the connection dropped
        await bob_sock.close()
        await asyncio.sleep(rng.uniform(0, 0.1))
        bob_sock = await make_sock(bob, rng.choice((a, b)).url)  # joined...
        await asyncio.sleep(rng.choice([0, rng.uniform(0, 0.05)]))
        await replica.sync(bob_sock, conv)  # ...then fetched, while writes go on
        await asyncio.sleep(rng.uniform(0, 0.15))
        stop.set()
        await asyncio.gather(*traffic)

        stored = await cluster.store.messages(conv)
        deadline = time.monotonic() + 5
        while True:  # live events still in flight may complete the copy; nothing else may
            replica.apply_events(bob_sock.log)
            try:
                check_m4(replica, conv, stored)
                break
            except AssertionError as exc:
                if time.monotonic() > deadline:
                    raise AssertionError(f"round {round_no}, seed {seed}: {exc}") from None
                await asyncio.sleep(0.1)
        seqs = live_seqs(bob_sock)[conv]
        assert seqs == sorted(set(seqs)), f"round {round_no}, seed {seed}: M3 {seqs}"

    stored = await cluster.store.messages(conv)
    check_m1(history.acked(conv), stored)
    check_m2(stored)
    check_dense(stored)


async def test_sync_from_the_rev_it_returned_never_skips_a_change(cluster, make_user, make_sock):
    """The protocol's catch-up rule taken literally: a client that only ever calls ``sync`` with
    the highest rev it has seen (here: the rev each sync returned) misses nothing, while others
    send and edit through both processes."""
    a, b = cluster.procs
    owner = await make_user("owner", base_url=a.url)
    writers = [await make_user(f"writer{i}", base_url=a.url) for i in range(4)]
    conv = (await circle_of(owner, *writers))["conversation_id"]
    # Sends go through one process (two writing processes are another test's subject); edits,
    # which take their rev outside the writer, go through both.
    senders = [await make_sock(w, a.url) for w in writers]
    socks = [await make_sock(w, (a, b)[i % 2].url) for i, w in enumerate(writers)]
    pollers = [await make_sock(owner, (a, b)[i % 2].url) for i in range(4)]
    rng = random.Random()
    stop = asyncio.Event()

    async def write(i: int) -> None:
        mine: list[str] = []
        while not stop.is_set():
            if mine and rng.random() < 0.5:
                text = f"edit {rng.random():.4f}"
                await socks[i].ok("message:edit", {"message_id": rng.choice(mine), "text": text})
            else:
                sent = await senders[i].ok(
                    "message:send", {"conversation_id": conv, "client_id": client_id(), "text": "m"}
                )
                mine.append(sent["message"]["id"])

    written = asyncio.Event()

    async def poll(sock: Sock) -> Replica:
        replica = Replica()
        while not stop.is_set():
            await replica.sync(sock, conv)
        await written.wait()  # the last sync comes after the last write was acknowledged
        await replica.sync(sock, conv)
        return replica

    tasks = [asyncio.create_task(write(i)) for i in range(len(writers))]
    polls = [asyncio.create_task(poll(sock)) for sock in pollers]
    await asyncio.sleep(6)
    stop.set()
    await asyncio.gather(*tasks)
    written.set()
    stored = await cluster.store.messages(conv)
    for replica in await asyncio.gather(*polls):
        check_m4(replica, conv, stored)


async def test_fanout_across_processes_reaches_every_member_and_nobody_else(
    cluster, make_user, make_sock
):
    a, b = cluster.procs
    names = ("alice", "bob", "carol", "dave", "erin", "frank")
    alice, bob, carol, dave, erin, frank = [await make_user(n, base_url=a.url) for n in names]
    x = (await circle_of(alice, bob, erin))["conversation_id"]
    y_circle = await circle_of(carol, dave, erin)
    y = y_circle["conversation_id"]
    z = (await circle_of(dave, alice))["conversation_id"]
    socks = {
        "alice@a": await make_sock(alice, a.url),
        "bob@b": await make_sock(bob, b.url),
        "carol@a": await make_sock(carol, a.url),
        "dave@b": await make_sock(dave, b.url),
        "erin@a": await make_sock(erin, a.url),
        "erin@b": await make_sock(erin, b.url),
        "frank@b": await make_sock(frank, b.url),
    }
    dm = (await socks["alice@a"].ok("dm:open", {"user_id": bob.id}))["conversation"]["id"]
    # frank, on b, joins y through process a: his live socket must follow across processes
    await frank.post(f"/api/circles/{y_circle['id']}/join")
    await socks["frank@b"].wait_for("conversation:new", lambda e: e["conversation"]["id"] == y)

    members = {
        x: ["alice@a", "bob@b", "erin@a", "erin@b"],
        y: ["carol@a", "dave@b", "erin@a", "erin@b", "frank@b"],
        z: ["dave@b", "alice@a"],
        dm: ["alice@a", "bob@b"],
    }
    owner_of = {
        "alice@a": alice,
        "bob@b": bob,
        "carol@a": carol,
        "dave@b": dave,
        "erin@a": erin,
        "erin@b": erin,
        "frank@b": frank,
    }
    history = History()
    for name, sock in socks.items():
        history.watch(name, sock)
    sent: dict[str, set[str]] = {conv: set() for conv in members}
    for conv, who in members.items():
        for name in who:
            for k in range(2):
                op = await history.send(socks[name], owner_of[name].id, conv, f"{name} {k}")
                assert op.outcome == "ok" and op.message is not None, op
                sent[conv].add(op.message["id"])

    for conv, who in members.items():
        await settle([socks[n] for n in who], len(sent[conv]), conv)
    await asyncio.sleep(0.5)  # strays to non-members would have arrived by now
    for name, sock in socks.items():
        expected = set().union(*(sent[c] for c, who in members.items() if name in who))
        got = [e["message"]["id"] for e in sock.events.get("message:new", [])]
        assert len(got) == len(set(got)), f"{name} got a message twice"
        assert set(got) == expected, (
            f"{name}: missing {len(expected - set(got))}, foreign {len(set(got) - expected)}"
        )
    check_m3(history)
