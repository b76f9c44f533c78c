"""A rolling restart behind nginx loses nothing (issue 16 item 2).

Clients chat (polling and websocket) and sign up through nginx while process A is stopped with
SIGTERM (its graceful shutdown), started again on the same port, and then B the same way. A
client whose socket dies reconnects through nginx, resends what was not acknowledged with the
same ``client_id`` and catches up with ``sync`` from the highest rev it had seen. Afterwards every
acknowledged message is in the history exactly once, every client rebuilt the whole conversation
from live events and its own syncs (no gap), and the activity's sign-ups hold their invariants.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest

from tests.conftest import LOGS
from tests.support import infra
from tests.support.activities import activity, post_activity
from tests.support.client import Api, Sock, register
from tests.support.nginx import browser_like_jar, sock_via, start_nginx

# websocket only, polling only, and polling upgraded to a websocket (a browser's default)
MODES = (["websocket"], ["polling"], ["polling", "websocket"])
START_TIMEOUT = 180
# two restarts of processes sharing a loaded machine, under traffic
pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(1200),
]  # the machine's other test runs share its two cores


@pytest.fixture(scope="module")
def rolling(stack):
    env = stack.server_env(TRUSTED_PROXIES="127.0.0.1", DB_TIMEOUT_MS="20000")
    procs = [infra.start_server(env, LOGS, timeout=START_TIMEOUT) for _ in range(2)]
    nginx = start_nginx(procs, LOGS)
    yield nginx, procs, env
    nginx.stop()
    for p in procs:
        p.stop()


@dataclass
class Client:
    """One user's connection through nginx that survives restarts, as the web client does."""

    url: str
    api: Api
    transports: list[str]
    jar: aiohttp.CookieJar = field(default_factory=browser_like_jar)
    sock: Sock | None = None
    cursor: int = 0  # the highest rev seen: a safe sync cursor
    seen: dict[str, dict[str, Any]] = field(default_factory=dict)  # message id -> newest
    reconnects: int = 0
    taken: int = 0  # how many of the sock's message:new events were merged

    async def ensure(self, conv: str | None) -> Sock:
        """A live socket; after a reconnect, the conversation caught up with ``sync``."""
        if self.sock is not None and self.sock.sio.connected:
            return self.sock
        if self.sock is not None:
            self.absorb(conv)
            await self.sock.close()
            self.reconnects += 1
        while True:
            sock = sock_via(self.url, self.api.token, self.jar)
            try:
                await sock.connect(transports=self.transports)
                break
            except Exception:  # the process went away mid-handshake: try again through nginx
                await sock.close()
                await asyncio.sleep(0.3)
        self.sock, self.taken = sock, 0
        if conv is not None:
            await self.sync(conv)
        return sock

    def absorb(self, conv: str | None) -> None:
        if self.sock is None or conv is None:
            return
        events = self.sock.events.get("message:new", [])
        for e in events[self.taken :]:
            self.merge(e["message"])
        self.taken = len(events)

    def merge(self, m: dict[str, Any]) -> None:
        old = self.seen.get(m["id"])
        if old is None or old["rev"] < m["rev"]:
            self.seen[m["id"]] = m
        self.cursor = max(self.cursor, m["rev"])

    async def sync(self, conv: str) -> None:
        assert self.sock is not None
        while True:
            page = await self.sock.ok(
                "sync", {"conversation_id": conv, "since_rev": self.cursor, "limit": 500}
            )
            for m in page["messages"]:
                self.merge(m)
            self.cursor = max(self.cursor, page["rev"])
            if not page["has_more"]:
                return


async def call_unless_cut(sock: Sock, event: str, body: dict[str, Any]) -> Any:
    """The call's answer, or ConnectionError as soon as the socket closes under it: a client
    resends on its next socket rather than waiting out the timeout (python-socketio's ``call``
    waits for it even after the connection dropped)."""
    call = asyncio.ensure_future(sock.call(event, body, timeout=20))
    cut = asyncio.ensure_future(sock.disconnected.wait())
    try:
        await asyncio.wait({call, cut}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        cut.cancel()
    if not call.done():
        call.cancel()
        raise ConnectionError(f"the socket closed before {event} was answered")
    return call.result()


async def retrying(client: Client, conv: str | None, event: str, body: dict[str, Any]) -> Any:
    """Send until acknowledged, reconnecting between tries; the same body every time, so a
    retry of something already stored is answered with what was stored."""
    while True:
        sock = await client.ensure(conv)
        try:
            result = await call_unless_cut(sock, event, body)
        except Exception:  # no ack: the socket died under the call
            await asyncio.sleep(0.2)
            continue
        if result.get("ok"):
            return result["data"]
        assert result["error"]["code"] in ("unavailable", "timeout"), (event, result)
        await asyncio.sleep(0.3)


async def test_restarting_each_process_in_turn_loses_nothing(rolling, stack):
    nginx, procs, env = rolling
    organiser = await register(nginx.url, "organiser")
    circle = await organiser.create_circle(f"Rolling {uuid.uuid4().hex[:6]}")
    conv = circle["conversation_id"]
    act = await post_activity(organiser, circle, stack.clock.now(), capacity=10)
    chatters = []
    for i in range(6):
        api = await register(nginx.url, f"chat{i}")
        await api.join(circle["id"])
        chatters.append(Client(nginx.url, api, ["polling"] if i % 2 else ["websocket"]))
    fans = [
        Client(nginx.url, await register(nginx.url, f"fan{i}"), MODES[i % len(MODES)])
        for i in range(24)
    ]
    for c in chatters:
        await c.ensure(conv)
    acked: dict[str, str] = {}  # client_id -> message id
    signed: dict[str, dict[str, Any]] = {}  # user id -> the acknowledged sign-up
    stop = asyncio.Event()

    async def chat(c: Client) -> None:
        n = 0
        while not stop.is_set():
            client_id = f"{c.api.id[-6:]}-{n}-{uuid.uuid4().hex[:6]}"
            body = {"conversation_id": conv, "client_id": client_id, "text": f"m{n}"}
            got = await retrying(c, conv, "message:send", body)
            acked[client_id] = got["message"]["id"]
            n += 1
            await asyncio.sleep(0.1)

    async def sign_up(fan: Client, delay: float) -> None:
        await asyncio.sleep(delay)
        got = await retrying(fan, None, "activity:signup", {"activity_id": act["id"]})
        signed[fan.api.id] = got["signup"]
        assert fan.sock is not None
        await fan.sock.close()

    traffic = [asyncio.create_task(chat(c)) for c in chatters]
    signups = [asyncio.create_task(sign_up(f, 0.5 * i)) for i, f in enumerate(fans)]
    try:
        await asyncio.sleep(3)
        for i, proc in enumerate(procs):
            before = len(acked)
            # in threads: the clients carry on while the process shuts down and starts again
            assert await asyncio.to_thread(proc.stop, timeout=60) is not None
            await asyncio.sleep(1)  # traffic carries on through the other process alone
            procs[i] = await asyncio.to_thread(
                infra.start_server, env, LOGS, port=proc.port, timeout=START_TIMEOUT
            )
            await asyncio.sleep(3)
            assert len(acked) > before, "no message was acknowledged across the restart"
        await asyncio.wait_for(asyncio.gather(*signups), 240)
    finally:
        stop.set()
        done = await asyncio.wait_for(asyncio.gather(*traffic, return_exceptions=True), 240)
        for t in signups:
            t.cancel()
    for outcome in done:
        if isinstance(outcome, BaseException):
            raise outcome
    assert sum(c.reconnects for c in chatters) >= len(chatters), "the restarts cut no socket"

    # the conversation as a fresh reader pages through it
    checker = Client(nginx.url, organiser, ["websocket"])
    await checker.ensure(conv)
    stored = list(checker.seen.values())
    by_client = Counter(m["client_id"] for m in stored if m["client_id"])
    assert set(acked) <= set(by_client), set(acked) - set(by_client)
    assert all(by_client[cid] == 1 for cid in acked), [c for c in acked if by_client[c] != 1]
    stored_ids = {m["id"] for m in stored}
    assert {acked[cid] for cid in acked} <= stored_ids
    # every client rebuilt the whole conversation from live events and syncs from its cursor
    for c in chatters:
        await c.ensure(conv)
        c.absorb(conv)
        await c.sync(conv)
        assert set(c.seen) == stored_ids, (len(c.seen), len(stored_ids), c.reconnects)
        assert c.sock is not None
        await c.sock.close()
    assert checker.sock is not None
    await checker.sock.close()

    # the sign-ups: each acknowledged once, the seats never over capacity, the waitlist whole
    detail = (await activity(organiser, act["id"]))["activity"]
    resp = await organiser.get(f"/api/activities/{act['id']}/attendees")
    signups = resp.json()["signups"]
    users = [s["user_id"] for s in signups]
    assert len(users) == len(set(users)) == len(fans), (len(users), len(set(users)))
    assert set(users) == set(signed) == {f.api.id for f in fans}
    statuses = Counter(s["status"] for s in signups)
    assert statuses == {"confirmed": 10, "waitlisted": len(fans) - 10}, statuses
    assert detail["confirmed_count"] == 10 <= detail["capacity"]
    waiting = sorted(s["waitlist_position"] for s in signups if s["status"] == "waitlisted")
    assert waiting == list(range(1, len(fans) - 9))
    for s in signups:  # what each fan was told is what is stored
        assert signed[s["user_id"]]["status"] == s["status"]
    for c in [*chatters, *fans]:
        await c.api.aclose()
    await organiser.aclose()
