"""System messages for joins and leaves (issue 11, item 7): posted into the circle's
conversation, coalesced when many join at once, and only for its members."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.support.client import Api, Sock
from tests.support.security_infra import Dedicated, LogMark, People, start_dedicated

WINDOW = 0.6  # MEMBER_NOTICE_SECONDS of this module's server


@pytest.fixture(scope="module")
def dedicated(stack: Any) -> Iterator[Dedicated]:
    d = start_dedicated(stack, MEMBER_NOTICE_SECONDS=str(WINDOW))
    yield d
    d.proc.stop()


@pytest.fixture
async def people(dedicated: Dedicated) -> AsyncIterator[People]:
    p = People(dedicated.url)
    yield p
    await p.aclose()


async def system_messages(sock: Sock, conv: str) -> list[dict[str, Any]]:
    page = await sock.ok("history", {"conversation_id": conv})
    return [m for m in page["messages"] if m["kind"] == "system"]


async def settled(sock: Sock, conv: str, count: int) -> list[dict[str, Any]]:
    """The conversation's system messages once ``count`` are there and a window passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while len(found := await system_messages(sock, conv)) < count:
        assert loop.time() < deadline, found
        await asyncio.sleep(0.1)
    await asyncio.sleep(WINDOW * 2)
    return await system_messages(sock, conv)


async def test_many_joins_at_once_make_one_message(people: People, dedicated: Dedicated) -> None:
    mark = LogMark(dedicated.proc)
    owner = await people.user("owner")
    circle = await owner.create_circle("Busy")
    conv = circle["conversation_id"]
    so = await people.sock(owner)
    joiners = [await people.user(f"j{i}") for i in range(5)]
    await asyncio.gather(*(j.join(circle["id"]) for j in joiners))
    (notice,) = await settled(so, conv, 1)
    assert notice["sender_id"] == "system" and notice["client_id"] is None
    card = notice["card"]
    assert card["type"] == "members" and card["event"] == "join"
    assert sorted(card["user_ids"]) == sorted(j.id for j in joiners)
    names = dict(zip(card["user_ids"], card["names"], strict=True))
    assert names == {j.id: j.user["display_name"] for j in joiners}
    assert notice["text"] == f"{card['names'][0]}, {card['names'][1]} and 3 others joined."
    live = await so.wait_for("message:new", lambda e: e["message"]["id"] == notice["id"])
    assert live["message"]["card"] == card
    # A later join is a message of its own.
    late = await people.user("late")
    await late.join(circle["id"])
    newest = (await settled(so, conv, 2))[-1]
    assert newest["card"]["user_ids"] == [late.id] and newest["text"] == "Late joined."
    assert mark.problems() == []


async def test_leaves_are_told_and_a_join_then_leave_cancels_out(people: People) -> None:
    owner, bob, carol = [await people.user(n) for n in ("owner", "bob", "carol")]
    circle = await owner.create_circle("Comings and goings")
    conv = circle["conversation_id"]
    so = await people.sock(owner)
    await bob.join(circle["id"])
    await settled(so, conv, 1)
    # carol comes and goes within one window: nobody is told; bob leaves
    await carol.join(circle["id"])
    assert (await carol.post(f"/api/circles/{circle['id']}/leave")).status_code == 204
    assert (await bob.post(f"/api/circles/{circle['id']}/leave")).status_code == 204
    joined, left = await settled(so, conv, 2)
    assert joined["card"]["user_ids"] == [bob.id]
    assert left["card"] == {
        "type": "members",
        "event": "leave",
        "user_ids": [bob.id],
        "names": ["Bob"],
    }
    assert left["text"] == "Bob left."


async def test_a_private_circle_tells_its_members_only(people: People) -> None:
    owner, alice, eve = [await people.user(n) for n in ("owner", "alice", "eve")]
    circle = await owner.create_circle("Hidden", visibility="private")
    conv = circle["conversation_id"]
    so, se = await people.sock(owner), await people.sock(eve)
    invite = (await owner.post(f"/api/circles/{circle['id']}/invites")).json()["invite"]
    sa_before: Sock = await people.sock(alice)
    await alice.join(circle["id"], invite)
    (notice,) = await settled(so, conv, 1)
    await sa_before.wait_for("message:new", lambda e: e["message"]["id"] == notice["id"])
    assert not [
        e for e in se.events.get("message:new", []) if e["message"]["conversation_id"] == conv
    ]
    refused = await se.call("history", {"conversation_id": conv})
    assert refused["ok"] is False and refused["error"]["code"] == "not_found"


async def test_no_message_for_the_owner_creating_a_circle(people: People) -> None:
    owner: Api = await people.user("owner")
    circle = await owner.create_circle("Quiet")
    so = await people.sock(owner)
    await asyncio.sleep(WINDOW * 2)
    assert await system_messages(so, circle["conversation_id"]) == []
