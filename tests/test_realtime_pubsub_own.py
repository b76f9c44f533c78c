"""A process does not decode its own broadcasts.

Redis hands each publish back to the process that made it too. python-socketio decoded every one
of them (a batch of whole messages, JSON) only to find its own ``host_id`` and drop it: about a
quarter of what receiving from Redis cost a process in the chat benchmark. RedisManager now drops
them by their first bytes; what another process publishes is still decoded and delivered, and a
``callback`` publish (which names the process it is for) is still read by that process."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from server.realtime.manager import RedisManager


class CountingJson:
    """The manager's JSON module, counting what it decodes."""

    def __init__(self) -> None:
        self.decoded: list[Any] = []

    def dumps(self, value: Any) -> str:
        return json.dumps(value)

    def loads(self, raw: Any) -> Any:
        value = json.loads(raw)
        self.decoded.append(value)
        return value


async def test_a_process_drops_its_own_publishes_undecoded(stack: Any) -> None:
    channel = f"circles-test-{id(stack)}-{asyncio.get_running_loop().time()}"
    a = RedisManager(stack.redis_url, channel=channel)
    b = RedisManager(stack.redis_url, channel=channel)
    handled: dict[str, list[dict[str, Any]]] = {"a": [], "b": []}
    callbacks: list[dict[str, Any]] = []
    a_json, b_json = CountingJson(), CountingJson()
    for name, m, j in (("a", a, a_json), ("b", b, b_json)):
        m.json = j

        async def record(message: dict[str, Any], name: str = name) -> None:
            handled[name].append(message)

        m._handle_emit = record  # type: ignore[method-assign]

    async def record_callback(message: dict[str, Any]) -> None:
        callbacks.append(message)

    a._handle_callback = record_callback  # type: ignore[method-assign]
    tasks = [asyncio.create_task(m._thread()) for m in (a, b)]
    try:
        await asyncio.sleep(0.3)  # both subscribed
        await a.emit("some:event", {"n": 1}, namespace="/", room="r1")
        await b.emit("some:event", {"n": 2}, namespace="/", room="r2")
        # B answers a callback that A asked for: it names A, and A must still read it
        await b._publish({"method": "callback", "host_id": a.host_id, "sid": "s", "id": 1})
        for _ in range(100):
            if len(handled["a"]) >= 2 and len(handled["b"]) >= 2 and callbacks:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)  # anything else that was coming has come
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # each handled its own emit once (locally, before publishing) and the other's once (from
    # Redis)
    assert sorted(m["data"][0]["n"] for m in handled["a"]) == [1, 2]
    assert sorted(m["data"][0]["n"] for m in handled["b"]) == [1, 2]
    # what each decoded: the other's publishes only, never its own
    assert [d["host_id"] for d in a_json.decoded if d["method"] == "emit"] == [b.host_id]
    assert [d["host_id"] for d in b_json.decoded if d["method"] == "emit"] == [a.host_id]
    assert all(d["host_id"] != b.host_id for d in b_json.decoded)
    assert [c["id"] for c in callbacks] == [1]
    # the published JSON is the same object as python-socketio's, its keys in another order
    own = a_json.dumps({"host_id": a.host_id, "method": "emit"})
    assert json.loads(own) == {"method": "emit", "host_id": a.host_id}
