"""nginx in front of two processes (issue 16 item 1): deploy/nginx_conf.py's configuration, run
by the test on a free port, balances chat, DMs and a sign-up burst across two processes sharing
one database and one Redis, for polling-only and websocket clients; every Engine.IO session stays
on the process that opened it."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections import Counter

import httpx
import pytest

from tests.conftest import LOGS
from tests.support import infra
from tests.support.activities import activity, post_activity
from tests.support.chat import say
from tests.support.client import Api, Sock, register
from tests.support.nginx import Nginx, nginx_binary, render, sock_via, start_nginx

TRANSPORTS = (["polling"], ["websocket"])
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # two processes and nginx


@pytest.fixture(scope="module")
def front(stack):
    """Two processes behind nginx; they believe nginx's X-Forwarded-For (TRUSTED_PROXIES)."""
    env = stack.server_env(
        TRUSTED_PROXIES="127.0.0.1", DB_TIMEOUT_MS="20000", METRICS_ENABLED="true"
    )
    # generous start-up: the machine's other test runs share its two cores
    a, b = (infra.start_server(env, LOGS, timeout=180) for _ in range(2))
    nginx = start_nginx([a, b], LOGS)
    yield nginx, a, b
    nginx.stop()
    a.stop()
    b.stop()


async def connect(nginx: Nginx, api: Api, transports: list[str]) -> Sock:
    return await sock_via(nginx.url, api.token).connect(transports=transports)


def process_of(nginx: Nginx, sock: Sock) -> str:
    """The process a polling session lives on, from nginx's access log (one, or it fails)."""
    answered = nginx.socket_sessions()[sock.sio.eio.sid]
    assert len(answered) == 1, answered
    return next(iter(answered))


def test_the_shipped_config_is_the_generators_and_nginx_accepts_it(tmp_path):
    shipped = (infra.ROOT / "deploy" / "circles.conf").read_text()
    assert shipped == render("80", ["127.0.0.1:8001", "127.0.0.1:8002"])
    conf = tmp_path / "nginx.conf"
    conf.write_text(render("127.0.0.1:1", ["127.0.0.1:8001", "127.0.0.1:8002"], tmp_path))
    checked = subprocess.run(
        [nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(conf), "-e", "/dev/stderr"],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    for needed in ("proxy_buffering off", "proxy_read_timeout 80s", "$http_upgrade"):
        assert needed in shipped
    assert "ip_hash" not in shipped


async def test_metrics_are_not_served_through_the_balancer(front):
    """Through nginx every request comes from loopback, which a metrics setting without a token
    trusts; the scraper reaches each process directly instead."""
    nginx, a, b = front
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{a.url}/metrics")).status_code == 200  # loopback, direct
        assert (await client.get(f"{nginx.url}/metrics")).status_code == 404
        assert (await client.get(f"{nginx.url}/healthz")).status_code == 200


async def test_polling_sessions_stay_on_one_process_and_both_processes_serve(front):
    """Without the affinity a polling session's next request lands on the other process, which
    does not know its sid: the connect fails or the session breaks."""
    nginx, a, b = front
    users = [await register(nginx.url, f"poll{i}") for i in range(6)]
    socks = [await connect(nginx, u, ["polling"]) for u in users]
    try:
        for s in socks:  # a few round trips each, on a live session
            await s.ok("conversations", {})
        where = Counter(process_of(nginx, s) for s in socks)
        assert set(where) == {f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"}, where
        for sid, answered in nginx.socket_sessions().items():
            assert len(answered) == 1, (sid, answered)
    finally:
        await asyncio.gather(*[s.close() for s in socks])
        for u in users:
            await u.aclose()


async def test_chat_and_dms_through_nginx_reach_clients_on_the_other_process(front):
    nginx, a, b = front
    owner = await register(nginx.url, "owner")
    members = [await register(nginx.url, f"member{i}") for i in range(5)]
    circle = await owner.create_circle(f"Balanced {uuid.uuid4().hex[:6]}")
    conv = circle["conversation_id"]
    for m in members:
        await m.join(circle["id"])
    users = [owner, *members]
    pollers = [await connect(nginx, u, ["polling"]) for u in users]
    websockets = [await connect(nginx, u, ["websocket"]) for u in users]
    socks = pollers + websockets
    try:
        sent = [await say(s, conv, f"hello from {i}") for i, s in enumerate(socks)]
        for s in socks:
            for m in sent:
                await s.wait_for("message:new", lambda e, m=m: e["message"]["id"] == m["id"])
        # a DM between two polling clients on different processes
        by_process = {process_of(nginx, s): s for s in pollers}
        assert len(by_process) == 2, "the polling clients all landed on one process"
        first, second = by_process.values()
        peer = users[pollers.index(second)]
        dm = (await first.ok("dm:open", {"user_id": peer.id}))["conversation"]
        await second.wait_for("conversation:new", lambda e: e["conversation"]["id"] == dm["id"])
        there = await say(first, dm["id"], "across the balancer")
        await second.wait_for("message:new", lambda e: e["message"]["id"] == there["id"])
        back = await say(second, dm["id"], "and back")
        await first.wait_for("message:new", lambda e: e["message"]["id"] == back["id"])
        # a websocket client answers a DM too
        ws_user = next(u for u, s in zip(users, pollers, strict=True) if s not in (first, second))
        ws_sock = websockets[users.index(ws_user)]
        dm2 = (await first.ok("dm:open", {"user_id": ws_user.id}))["conversation"]
        await ws_sock.wait_for("conversation:new", lambda e: e["conversation"]["id"] == dm2["id"])
        reply = await say(ws_sock, dm2["id"], "over a websocket")
        await first.wait_for("message:new", lambda e: e["message"]["id"] == reply["id"])
    finally:
        await asyncio.gather(*[s.close() for s in socks])
    assert all(len(ups) == 1 for ups in nginx.socket_sessions().values())
    # the websockets' lines are logged when they close: both processes held some
    await asyncio.sleep(0.5)
    ws = [
        r.upstreams[-1]
        for r in nginx.access()
        if r.uri.startswith("/socket.io/") and "transport=websocket" in r.uri and r.status == 101
    ]
    assert {f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"} <= set(ws), ws
    for u in users:
        await u.aclose()


async def test_a_signup_burst_through_nginx_seats_exactly_the_capacity(front, stack):
    nginx, a, b = front
    organiser = await register(nginx.url, "organiser")
    circle = await organiser.create_circle(f"Burst {uuid.uuid4().hex[:6]}")
    act = await post_activity(organiser, circle, stack.clock.now(), capacity=10)
    sem = asyncio.Semaphore(8)

    async def fan(i: int) -> Api:
        async with sem:
            api = await register(nginx.url, f"fan{i}")
            await api.join(circle["id"])
            return api

    async def signup(api: Api, sock: Sock) -> dict:
        """Sign up; a client whose socket the loaded machine lost (a late ping) reconnects and
        signs up again, which answers the sign-up already made."""
        if not sock.sio.connected:
            await sock.close()
            sock = await connect(nginx, api, ["websocket"])
            reconnected.append(sock)
        return await sock.call("activity:signup", {"activity_id": act["id"]}, timeout=60)

    apis = list(await asyncio.gather(*[fan(i) for i in range(40)]))
    # the sockets open last, so that none idles through the registrations
    fans = [(api, await connect(nginx, api, TRANSPORTS[i % 2])) for i, api in enumerate(apis)]
    late: list[tuple[Api, Sock]] = []
    reconnected: list[Sock] = []
    try:
        replies = await asyncio.gather(*[signup(api, s) for api, s in fans])
        assert all(r["ok"] for r in replies), [r for r in replies if not r["ok"]][:3]
        statuses = Counter(r["data"]["signup"]["status"] for r in replies)
        assert statuses == {"confirmed": 10, "waitlisted": 30}, statuses
        positions = sorted(
            r["data"]["signup"]["waitlist_position"]
            for r in replies
            if r["data"]["signup"]["status"] == "waitlisted"
        )
        assert positions == list(range(1, 31))
        # later arrivals queue behind, in the order they came, whichever process they reach
        for i in range(4):
            api = await fan(100 + i)
            late.append((api, await connect(nginx, api, TRANSPORTS[i % 2])))
            got = await late[-1][1].ok("activity:signup", {"activity_id": act["id"]})
            assert got["signup"]["status"] == "waitlisted"
            assert got["signup"]["waitlist_position"] == 31 + i
        detail = (await activity(organiser, act["id"]))["activity"]
        assert (detail["confirmed_count"], detail["waitlist_count"]) == (10, 34)
        resp = await organiser.get(f"/api/activities/{act['id']}/attendees")
        signups = resp.json()["signups"]
        assert len(signups) == 44 and len({s["user_id"] for s in signups}) == 44
        waiting = sorted(
            (s for s in signups if s["status"] == "waitlisted"),
            key=lambda s: s["waitlist_position"],
        )
        assert [s["waitlist_position"] for s in waiting] == list(range(1, 35))
        assert [s["user_id"] for s in waiting[30:]] == [api.id for api, _ in late]
        # both processes answered the sign-ups' sockets, each session on one process only
        served = {r.upstreams[-1] for r in nginx.access() if r.uri.startswith("/socket.io/")}
        assert {f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"} <= served
        assert all(len(ups) == 1 for ups in nginx.socket_sessions().values())
    finally:
        await asyncio.gather(
            *[s.close() for _, s in fans + late], *[s.close() for s in reconnected]
        )
        for api, _ in fans + late:
            await api.aclose()
        await organiser.aclose()
    assert "[emerg]" not in nginx.errors()
