"""Search (issue 11, item 5): words in the messages you can see, newest first, paged; within one
conversation and by sender; never anything of a conversation you are not in. The index is
written after the message is stored, so the tests wait (briefly) for it to catch up."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from tests.support.client import Api, Sock
from tests.support.security_infra import Dedicated, LogMark, People, start_dedicated


@pytest.fixture(scope="module")
def dedicated(stack: Any) -> Iterator[Dedicated]:
    d = start_dedicated(stack)
    yield d
    d.proc.stop()


@dataclass
class Room:
    alice: Api
    bob: Api
    eve: Api
    sa: Sock
    sb: Sock
    circle: dict[str, Any]
    conv: str
    people: People


@pytest.fixture
async def room(dedicated: Dedicated) -> AsyncIterator[Room]:
    people = People(dedicated.url)
    alice, bob, eve = [await people.user(n) for n in ("alice", "bob", "eve")]
    circle = await alice.create_circle("Searchers", visibility="private")
    invite = (await alice.post(f"/api/circles/{circle['id']}/invites")).json()["invite"]
    await bob.join(circle["id"], invite)
    sa, sb = await people.sock(alice), await people.sock(bob)
    yield Room(alice, bob, eve, sa, sb, circle, circle["conversation_id"], people)
    await people.aclose()


async def say(sock: Sock, conv: str, text: str) -> dict[str, Any]:
    payload = {"conversation_id": conv, "client_id": uuid.uuid4().hex, "text": text}
    return (await sock.ok("message:send", payload))["message"]


async def search(api: Api, **params: str) -> dict[str, Any]:
    resp = await api.get("/api/search", params=params)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def found_ids(api: Api, **params: str) -> list[str]:
    return [r["message_id"] for r in (await search(api, **params))["results"]]


async def until(api: Api, expected: list[str], timeout: float = 10, **params: str) -> None:
    """Wait until the search answers exactly ``expected`` (the index follows the log)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (got := await found_ids(api, **params)) != expected:
        assert loop.time() < deadline, (params, got, expected)
        await asyncio.sleep(0.1)


async def test_words_are_found_newest_first_in_pages(room: Room, dedicated: Dedicated) -> None:
    mark = LogMark(dedicated.proc)
    m1 = await say(room.sa, room.conv, "The quick brown fox")
    m2 = await say(room.sb, room.conv, "Lazy dog, quick thinking")
    await say(room.sa, room.conv, "nothing to see here")
    m4 = await say(room.sb, room.conv, "QUICK!")
    await until(room.alice, [m4["id"], m2["id"], m1["id"]], q="quick")
    hit = (await search(room.bob, q="Quick"))["results"][0]
    assert hit == {
        "message_id": m4["id"],
        "conversation_id": room.conv,
        "seq": m4["seq"],
        "sender_id": room.bob.id,
        "sender_name": m4["sender_name"],
        "text": "QUICK!",
        "created_at": m4["created_at"],
        "edited_at": None,
    }
    first = await search(room.alice, q="quick", limit="2")
    assert [r["message_id"] for r in first["results"]] == [m4["id"], m2["id"]]
    assert first["next_cursor"]
    second = await search(room.alice, q="quick", limit="2", cursor=first["next_cursor"])
    assert [r["message_id"] for r in second["results"]] == [m1["id"]]
    assert second["next_cursor"] is None
    assert await found_ids(room.alice, q="quick fox") == [m1["id"]]  # every word must match
    assert await found_ids(room.alice, q="quick", sender=room.bob.id) == [m4["id"], m2["id"]]
    assert await found_ids(room.alice, q="qui") == []  # whole words, not prefixes
    assert mark.problems() == []


async def test_casefolding_and_text_without_spaces(room: Room) -> None:
    de = await say(room.sa, room.conv, "Treffen in der Straße um acht")
    zh = await say(room.sb, room.conv, "我们明天去东京都看看")
    ja = await say(room.sa, room.conv, "ラーメンを食べたい")
    await until(room.alice, [de["id"]], q="STRASSE")
    await until(room.alice, [zh["id"]], q="东京")
    assert await found_ids(room.alice, q="京都") == [zh["id"]]
    assert await found_ids(room.alice, q="看") == [zh["id"]]  # a single character
    assert await found_ids(room.alice, q="ラーメン") == [ja["id"]]
    assert await found_ids(room.alice, q="东京 明天") == [zh["id"]]
    assert await found_ids(room.alice, q="京东") == []


async def test_within_one_conversation_and_changes_follow(room: Room) -> None:
    in_circle = await say(room.sa, room.conv, "pineapple pizza debate")
    dm = (await room.sa.ok("dm:open", {"user_id": room.bob.id}))["conversation"]["id"]
    in_dm = await say(room.sa, dm, "pineapple for you")
    await until(room.bob, [in_dm["id"], in_circle["id"]], q="pineapple")
    assert await found_ids(room.bob, q="pineapple", conversation_id=dm) == [in_dm["id"]]
    assert await found_ids(room.bob, q="pineapple", conversation_id=room.conv) == [in_circle["id"]]
    await room.sa.ok("message:edit", {"message_id": in_circle["id"], "text": "mango pizza"})
    await until(room.bob, [in_dm["id"]], q="pineapple")
    await until(room.bob, [in_circle["id"]], q="mango")
    await room.sa.ok("message:delete", {"message_id": in_dm["id"]})
    await until(room.bob, [], q="pineapple")


async def test_nothing_of_a_conversation_you_are_not_in(room: Room) -> None:
    secret = await say(room.sa, room.conv, "the vault code is swordfish")
    await until(room.bob, [secret["id"]], q="swordfish")
    resp = await room.eve.get(
        "/api/search", params={"q": "swordfish", "conversation_id": room.conv}
    )
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"
    assert await found_ids(room.eve, q="swordfish") == []
    dm = (await room.sa.ok("dm:open", {"user_id": room.bob.id}))["conversation"]["id"]
    whisper = await say(room.sa, dm, "swordfish between us")
    await until(room.alice, [whisper["id"], secret["id"]], q="swordfish")
    assert await found_ids(room.eve, q="swordfish") == []
    # A member who left finds nothing of the circle any more, old messages included.
    assert (await room.bob.post(f"/api/circles/{room.circle['id']}/leave")).status_code == 204
    await until(room.bob, [whisper["id"]], q="swordfish")
    gone = await room.bob.get(
        "/api/search", params={"q": "swordfish", "conversation_id": room.conv}
    )
    assert gone.status_code == 404
    assert (await room.eve.get("/api/search", params={"q": "x"}, token="")).status_code == 401


@pytest.mark.parametrize(
    "params",
    [{"q": "   "}, {"q": "!!!"}, {"q": "x", "limit": "0"}, {"q": "x", "cursor": "%%"}, {}],
    ids=["blank", "no-words", "limit-0", "bad-cursor", "no-q"],
)
async def test_bad_queries_are_invalid(room: Room, params: dict[str, str]) -> None:
    resp = await room.alice.get("/api/search", params=params)
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["code"] == "invalid"


async def test_a_message_is_one_row_of_the_index_whatever_its_words(
    room: Room, dedicated: Dedicated
) -> None:
    """What indexing a message writes is its copy alone, holding its terms: a message of ten
    words was eleven rows before (a posting per word), the most of what search cost a send.
    Every word still finds it, and an edit's removed words no longer do."""
    words = "one two three four five six seven eight nine ten"
    m = await say(room.sa, room.conv, words)
    await until(room.alice, [m["id"]], q="seven")
    async with dedicated.database() as db:
        rows = 0
        for name in await db.list_collection_names():
            if name.startswith("search_") and name != "search_marks":
                rows += await db[name].count_documents({"c": room.conv})
    assert rows == 1
    for word in words.split():
        assert await found_ids(room.bob, q=word, conversation_id=room.conv) == [m["id"]]
    await room.sa.ok("message:edit", {"message_id": m["id"], "text": "one two eleven"})
    await until(room.bob, [], q="seven", conversation_id=room.conv)
    await until(room.bob, [m["id"]], q="two eleven", conversation_id=room.conv)
    await until(room.bob, [m["id"]], q="eleven")


async def test_a_copy_stored_alone_by_an_earlier_version_still_counts(
    room: Room, dedicated: Dedicated
) -> None:
    """Copies stored one document per message (the form before packs) are read as packs of
    one: an existing index needs no migration, and a later change still wins over them."""
    from server.search.repository import Doc, _row

    m = await say(room.sa, room.conv, "heirloom tomato")
    await until(room.alice, [m["id"]], q="heirloom")
    async with dedicated.database() as db:
        await db["search_docs"].delete_many({"c": room.conv})
        await until(room.alice, [], q="heirloom", conversation_id=room.conv)
        await until(room.alice, [], q="heirloom")
        old = Doc(
            id=m["id"],
            conversation_id=room.conv,
            seq=m["seq"],
            rev=m["rev"],
            sender_id=m["sender_id"],
            sender_name=m["sender_name"],
            text=m["text"],
            created_at=datetime.fromisoformat(m["created_at"].replace("Z", "+00:00")),
            edited_at=None,
            deleted=False,
            terms=("heirloom", "tomato"),
        )
        await db["search_docs"].insert_one({"_id": m["id"], **_row(old)})
    found = await search(room.bob, q="heirloom tomato", conversation_id=room.conv)
    assert [(r["message_id"], r["text"]) for r in found["results"]] == [(m["id"], m["text"])]
    await room.sa.ok("message:edit", {"message_id": m["id"], "text": "plain tomato"})
    await until(room.bob, [], q="heirloom", conversation_id=room.conv)
    await until(room.bob, [m["id"]], q="plain", conversation_id=room.conv)


async def test_a_failed_index_write_loses_nothing_and_the_index_catches_up(
    room: Room, dedicated: Dedicated
) -> None:
    """While indexing a conversation fails (its mark is made unreadable), messages are still
    acknowledged and stored; once it works again, the retry indexes all of them. Deleting a
    conversation's mark and index is how it is rebuilt: a search in it brings it back."""
    first = await say(room.sa, room.conv, "alpha one")
    await until(room.alice, [first["id"]], q="alpha")
    async with dedicated.database() as db:
        await db["search_marks"].replace_one({"_id": room.conv}, {"rev": "broken"})
        lost = [await say(room.sa, room.conv, f"alpha lost {i}") for i in range(3)]
        stored = await room.sb.ok("history", {"conversation_id": room.conv})
        assert {m["id"] for m in lost} <= {m["id"] for m in stored["messages"]}
        await asyncio.sleep(0.5)
        assert await found_ids(room.alice, q="lost") == []
        await db["search_marks"].delete_one({"_id": room.conv})
        everything = [*[m["id"] for m in reversed(lost)], first["id"]]
        await until(room.alice, everything, q="alpha")  # the indexer's own retry
        after = await say(room.sb, room.conv, "alpha after")
        everything = [after["id"], *everything]
        await until(room.alice, everything, q="alpha")
        # rebuild: forget this conversation's index entirely
        await db["search_marks"].delete_many({"_id": room.conv})
        await db["search_docs"].delete_many({"c": room.conv})
    assert await found_ids(room.alice, q="alpha") == []
    await until(room.alice, everything, q="alpha", conversation_id=room.conv)
    await until(room.alice, everything, q="alpha")


async def quiet_circle(people: People, title: str) -> tuple[Api, Api, str, Sock]:
    """Alice's private circle with Bob in it, her socket, and its conversation, once any search
    round the set-up started (3 s, ``slow_rounds``) is over."""
    alice, bob = [await people.user(n) for n in ("alice", "bob")]
    circle = await alice.create_circle(title, visibility="private")
    invite = (await alice.post(f"/api/circles/{circle['id']}/invites")).json()["invite"]
    await bob.join(circle["id"], invite)
    sa = await people.sock(alice)
    await asyncio.sleep(3.5)
    return alice, bob, circle["conversation_id"], sa


@pytest.fixture(scope="module")
def slow_rounds(stack: Any) -> Iterator[Dedicated]:
    d = start_dedicated(stack, SEARCH_INDEX_DELAY_SECONDS="3")
    yield d
    d.proc.stop()


async def test_indexing_is_batched_per_round_and_a_search_catches_up_first(
    slow_rounds: Dedicated,
) -> None:
    """The indexer coalesces a conversation's messages and indexes them together once per
    round (SEARCH_INDEX_DELAY_SECONDS, here 3 s): nothing is indexed while the round gathers,
    then all of them at once with one move of the conversation's mark. A search does not wait
    for the round: it catches its conversations up first, and shows outsiders nothing."""
    people = People(slow_rounds.url)
    alice, bob, conv, sa = await quiet_circle(people, "Batchers")
    eve = await people.user("eve")
    async with slow_rounds.database() as db:

        async def mark() -> int | None:
            d = await db["search_marks"].find_one({"_id": conv})
            return None if d is None else int(d["rev"])

        async def indexed(ids: list[str]) -> int:
            return sum([await db["search_docs"].count_documents({"ids": i}) for i in ids])

        start = await mark()
        sent = [await say(sa, conv, f"batched word{i}") for i in range(8)]
        ids = [m["id"] for m in sent]
        assert await indexed(ids) == 0  # the round is still gathering
        marks = {start}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        top = max(m["rev"] for m in sent)
        while True:  # until every copy is in and the mark has moved past them
            marks.add(final := await mark())
            if await indexed(ids) == len(ids) and (final or 0) >= top:
                break
            assert loop.time() < deadline
            await asyncio.sleep(0.05)
        assert marks == {start, final}  # one mark update for the whole batch
        # a search does not wait for the next round
        await asyncio.sleep(3.5)
        fresh = await say(sa, conv, "kumquat in the conversation")
        assert await indexed([fresh["id"]]) == 0
        assert await found_ids(bob, q="kumquat", conversation_id=conv) == [fresh["id"]]
        other = await say(sa, conv, "durian everywhere")
        assert await found_ids(eve, q="durian") == []  # an outsider's search flushes nothing in
        assert await indexed([other["id"]]) == 0
        assert await found_ids(bob, q="durian") == [other["id"]]
        outsider = await eve.get("/api/search", params={"q": "durian", "conversation_id": conv})
        assert outsider.status_code == 404
    await people.aclose()


async def test_a_round_packs_a_conversations_copies_into_one_document(
    slow_rounds: Dedicated,
) -> None:
    """The index stores the copies a round makes of a conversation in one document (a pack),
    not one document per message: 30 messages were 30 documents, each an insert's share of the
    database's work on its own. An edit and a deletion are later copies at a higher rev, in
    packs of their own, and the highest rev is what a search goes by."""
    people = People(slow_rounds.url)
    alice, bob, conv, sa = await quiet_circle(people, "Packers")
    sent = [await say(sa, conv, f"packed word{i} common") for i in range(30)]
    newest_first = [m["id"] for m in reversed(sent)]
    async with slow_rounds.database() as db:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        top = max(m["rev"] for m in sent)
        while ((await db["search_marks"].find_one({"_id": conv})) or {}).get("rev", 0) < top:
            assert loop.time() < deadline  # the round has indexed them all
            await asyncio.sleep(0.05)
        docs = await db["search_docs"].count_documents({"c": conv})
        assert docs <= 2, f"{docs} documents for 30 messages"
        await until(alice, newest_first[:20], q="common")
        await sa.ok("message:edit", {"message_id": sent[7]["id"], "text": "rewritten"})
        await sa.ok("message:delete", {"message_id": sent[8]["id"]})
        await until(bob, [], q="word7", conversation_id=conv)
        await until(bob, [sent[7]["id"]], q="rewritten")
        await until(bob, [], q="word8")
        rest = [i for i in newest_first if i not in (sent[7]["id"], sent[8]["id"])]
        page = await search(alice, q="common", conversation_id=conv)
        assert [r["message_id"] for r in page["results"]] == rest[:20]
        more = await search(alice, q="common", conversation_id=conv, cursor=page["next_cursor"])
        assert [r["message_id"] for r in more["results"]] == rest[20:]
        assert more["next_cursor"] is None
        assert await db["search_docs"].count_documents({"c": conv}) <= docs + 2
    await people.aclose()
