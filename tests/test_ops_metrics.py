"""``/metrics`` (issue 16, item 4): after known traffic, the Prometheus series count exactly what
was sent; and the endpoint is closed to anyone without the token."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.chat import circle_with
from tests.support.client import Sock, register
from tests.support.security_infra import Dedicated, start_dedicated

TOKEN = "metrics-" + uuid.uuid4().hex
SENDS_PER_MINUTE = 10  # the send budget: a burst past it is refused
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(scope="module")
def dedicated(stack: Any) -> AsyncIterator[Dedicated]:
    d = start_dedicated(
        stack, METRICS_TOKEN=TOKEN, RATE_LIMIT_MESSAGES_PER_MINUTE=str(SENDS_PER_MINUTE)
    )
    yield d
    d.proc.stop()


async def scrape(url: str) -> Samples:
    async with httpx.AsyncClient(timeout=30) as http:
        resp = await http.get(url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain")
    out: Samples = {}
    for family in text_string_to_metric_families(resp.text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def delta(after: Samples, before: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def test_metrics_need_the_token(dedicated, server):
    async with httpx.AsyncClient(timeout=30) as http:
        for headers in (
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": TOKEN},  # not as a bearer token
        ):
            resp = await http.get(dedicated.url + "/metrics", headers=headers)
            assert resp.status_code == 401, (headers, resp.status_code)
            assert resp.json()["error"]["code"] == "unauthorized"
            assert "circles_" not in resp.text
        # a server with no token serves no metrics at all (the default)
        resp = await http.get(server.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert resp.status_code == 404
        assert "circles_" not in resp.text


async def test_counts_match_the_traffic_sent(dedicated):
    alice = await register(dedicated.url, "alice")
    bob = await register(dedicated.url, "bob")
    conv = (await circle_with(alice, bob))["conversation_id"]
    sa = await Sock(dedicated.url, alice.token).connect()
    sb = await Sock(dedicated.url, bob.token).connect()
    try:
        before = await scrape(dedicated.url)
        assert value(before, "circles_sockets_connected") == 2

        # a burst of sends past the budget: some stored, the rest refused as rate_limited
        outcomes: list[str] = []
        for k in range(SENDS_PER_MINUTE + 5):
            body = {"conversation_id": conv, "client_id": uuid.uuid4().hex, "text": f"m{k}"}
            result = await sa.call("message:send", body)
            outcomes.append("ok" if result["ok"] else result["error"]["code"])
        sent, limited = outcomes.count("ok"), outcomes.count("rate_limited")
        assert sent >= SENDS_PER_MINUTE and limited >= 1 and sent + limited == len(outcomes)
        # typing: some accepted, one refused (a malformed conversation id), one unknown event
        typing = 4
        for _ in range(typing):
            await sa.ok("typing", {"conversation_id": conv})
        bad_typing = await sa.call("typing", {"conversation_id": "nope"})
        assert bad_typing["ok"] is False
        unknown = await sa.call("no:such:event", {})
        assert unknown["ok"] is False and unknown["error"]["code"] == "invalid"
        # every delivery has arrived before the scrape
        await sb.wait_for("message:new", lambda e: e["message"]["text"] == f"m{sent - 1}")
        await sb.wait_for("typing", lambda _: len(sb.events["typing"]) == typing)

        after = await scrape(dedicated.url)
        events = "circles_socketio_events_total"
        assert delta(after, before, events, event="message:send", outcome="ok") == sent
        assert delta(after, before, events, event="message:send", outcome="rate_limited") == (
            limited
        )
        assert delta(after, before, events, event="typing", outcome="ok") == typing
        refused_code = bad_typing["error"]["code"]  # counted under the code it was refused with
        assert delta(after, before, events, event="typing", outcome=refused_code) == 1
        assert delta(after, before, events, event="unknown", outcome="invalid") == 1
        acks = "circles_socketio_ack_seconds_count"
        assert delta(after, before, acks, event="message:send") == sent + limited
        assert delta(after, before, acks, event="typing") == typing + 1
        assert delta(after, before, "circles_rate_limit_refusals_total", budget="send") == limited
        # the writer wrote exactly the stored sends, in batches of at least one
        assert delta(after, before, "circles_writer_batch_size_sum") == sent
        batches = delta(after, before, "circles_writer_batch_size_count")
        assert 1 <= batches <= sent
        assert delta(after, before, "circles_writer_batch_seconds_count") == batches
        # fan-out: every new message to both members' sockets; typing to bob's only
        fanout = "circles_fanout_deliveries_total"
        assert delta(after, before, fanout, event="message:new") == 2 * sent
        assert delta(after, before, fanout, event="typing") == typing
        # the database and Redis were timed; nothing failed
        assert delta(after, before, "circles_db_command_seconds_count", command="insert", outcome="ok") >= 1  # fmt: skip
        assert sum(v for (n, _), v in after.items() if n == "circles_redis_command_seconds_count") > 0  # fmt: skip
        assert not [k for k in after if k[0] == "circles_db_errors_total"]
        # garbage collections are timed (start-up ends with a full one), and what start-up
        # made was frozen out of them
        assert value(after, "circles_gc_pause_seconds_count", generation="2") >= 1
        assert value(after, "circles_gc_frozen_objects") > 10_000
        # the sweepers run (SWEEP_INTERVAL_SECONDS=0.2 here): their lag is short
        lag = value(after, "circles_sweeper_lag_seconds", sweeper="sweep")
        assert 0 <= lag < 30, lag
        assert ("circles_sweeper_lag_seconds", frozenset({("sweeper", "report rollups")})) in after
    finally:
        await sb.close()
        await alice.aclose()
        await bob.aclose()

    deadline = time.monotonic() + 15
    while value(await scrape(dedicated.url), "circles_sockets_connected") != 1:
        assert time.monotonic() < deadline, "the closed socket is still counted"
        await asyncio.sleep(0.2)
    await sa.close()


@pytest.mark.parametrize(
    ("served", "settings"),
    [
        (False, {}),
        (True, {"metrics_token": TOKEN}),
        (True, {"metrics_enabled": True}),
        (False, {"metrics_token": TOKEN, "metrics_enabled": False}),
    ],
)
async def test_database_commands_are_timed_only_while_metrics_are_served(
    served: bool, settings: dict[str, Any]
) -> None:
    """A command listener makes PyMongo build and publish two events per command: a process
    whose /metrics nobody can read does not pay for it (docs/performance.md)."""
    from server import container as wiring
    from server.core.metrics import CommandTimer
    from server.settings import Settings

    c = wiring.build(Settings(**settings), "mongodb://127.0.0.1:9/unused")
    try:
        timers = [x for x in c.mongo.options.event_listeners if isinstance(x, CommandTimer)]
        assert len(timers) == (1 if served else 0)
    finally:
        await c.mongo.close()
        if c.redis is not None:
            await c.redis.aclose()
