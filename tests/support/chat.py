"""Helpers for the chat-feature tests (replies, reactions, mentions, pins, sidebar)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from tests.support.client import Api, Sock
from tests.support.security_infra import People


async def circle_with(owner: Api, *members: Api) -> dict[str, Any]:
    circle = await owner.create_circle(f"Circle {uuid.uuid4().hex[:6]}")
    for m in members:
        await m.join(circle["id"])
    return circle


async def say(sock: Sock, conv: str, text: str, **extra: Any) -> dict[str, Any]:
    body = {"conversation_id": conv, "client_id": uuid.uuid4().hex, "text": text, **extra}
    return dict((await sock.ok("message:send", body))["message"])


async def relayed(
    url: str, text: str, before: Callable[[], None] = lambda: None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ana says ``text`` in a new circle with Bea, on a server at ``url`` (``before`` runs right
    before the send): the message as Ana's ack and as Bea's ``message:new`` gave it."""
    people = People(url)
    try:
        ana, bea = await people.user("ana"), await people.user("bea")
        circle = await circle_with(ana, bea)
        ana_sock, bea_sock = await people.sock(ana), await people.sock(bea)
        before()
        sent = await say(ana_sock, circle["conversation_id"], text)
        got = await bea_sock.wait_for("message:new", lambda p: p["message"]["id"] == sent["id"])
        return sent, dict(got["message"])
    finally:
        await people.aclose()


async def refused(sock: Sock, event: str, data: dict[str, Any]) -> dict[str, Any]:
    """The error of an event that must be refused."""
    result = await sock.call(event, data)
    assert result["ok"] is False, (event, result)
    return dict(result["error"])


async def history(sock: Sock, conv: str) -> list[dict[str, Any]]:
    return list((await sock.ok("history", {"conversation_id": conv, "limit": 100}))["messages"])


async def conversation(sock: Sock, conv: str) -> dict[str, Any]:
    items = (await sock.ok("conversations", {}))["conversations"]
    return dict(next(c for c in items if c["id"] == conv))
