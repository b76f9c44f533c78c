"""Day rollups stored as bitmaps over a per-circle numbering of member ids (issue 13, item 6;
docs/architecture.md, "Circle report rollups"), through a real server and FerretDB:

- the sweeper writes days as bitmaps; days stored before (ids as one string, or as arrays) are
  still read to the same report, and ``python -m server.reports.rebuild --days`` rewrites them
  as bitmaps, recomputing nothing, with the same report;
- the numbering is append only under a race: two writers appending different new ids after
  the same version both get their ids numbered, no number is given twice, a version is deleted
  only once newer ones exist, and days written with any version still read right.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from server.reports import rollups_repository
from server.reports.rollups_compute import Day, Numbering, day_doc, day_of_doc
from server.reports.rollups_repository import RollupRepository
from tests.support import infra
from tests.support.chat import say
from tests.support.client import Api
from tests.test_reports_circle import align, rebuild, report, until

Doc = dict[str, Any]


@pytest.fixture(scope="module")
def env(stack: Any) -> dict[str, str]:
    return dict(stack.server_env(REPORT_ROLLUP_SECONDS="0.3"))


@pytest.fixture(scope="module")
def server(stack: Any, env: dict[str, str]) -> Any:
    proc: infra.Proc = stack.start(**env)
    yield proc
    proc.stop()


@pytest.fixture
async def db(env: dict[str, str]) -> AsyncIterator[AsyncDatabase[Doc]]:
    client: AsyncMongoClient[Doc] = AsyncMongoClient(env["MONGODB_URL"], tz_aware=True)
    try:
        yield client[env["MONGODB_DB"]]
    finally:
        await client.close()


async def numbering(db: AsyncDatabase[Doc], circle_id: str) -> Numbering:
    """The circle's latest stored numbering version."""
    docs = await db["rollup_numbers"].find({"circle_id": circle_id}).to_list()
    top = max(docs, key=lambda d: int(d["v"]))
    return Numbering(circle_id, int(top["v"]), str(top["ids"]).split())


async def stored_days(db: AsyncDatabase[Doc], circle_id: str) -> dict[str, Doc]:
    return {d["day"]: d async for d in db["rollup_days"].find({"circle_id": circle_id})}


def ids_of(doc: Doc, n: Numbering) -> tuple[list[str], list[str]]:
    d = day_of_doc(doc, n)
    return sorted(d.posters), sorted(d.active)


async def test_days_stored_as_strings_or_arrays_read_the_same_and_rebuild_days_encodes_them(
    make_user: Callable[..., Awaitable[Api]],
    make_sock: Any,
    clock: Any,
    env: dict[str, str],
    db: AsyncDatabase[Doc],
) -> None:
    d0 = align(clock)
    owner = await make_user("owner")
    circle = await owner.create_circle("Bitmaps")
    conv = circle["conversation_id"]
    alice, bob, carol = [await make_user(n) for n in ("alice", "bob", "carol")]
    for m in (alice, bob, carol):
        await m.join(circle["id"])
    so, sa, sb, sc = [await make_sock(u) for u in (owner, alice, bob, carol)]
    q = await say(sa, conv, "Who is in?")
    await say(sb, conv, "me", reply_to=q["id"])
    await sc.ok("reaction:add", {"message_id": q["id"], "emoji": "👍"})  # active, silent
    clock.advance(86_400)
    await say(so, conv, "Tomorrow then")
    await say(sc, conv, "ok")
    clock.advance(86_400)
    await say(sb, conv, "On my way?")
    first, last = d0.date().isoformat(), (d0 + timedelta(days=2)).date().isoformat()
    span = {"period": "day", "from": first, "to": last}
    # every day written: a sweep writes its days one document each, at once, so a report read
    # meanwhile may hold the third day and not yet the first (a CI run read 0 active on it)
    found = await until(
        owner, circle, span, lambda r: [b["messages"] for b in r["buckets"]] == [2, 2, 1]
    )
    weeks = await report(owner, circle, period="week", **{"from": first, "to": last})
    assert [b["active"] for b in found["buckets"]] == [3, 2, 1]
    assert [b["speakers"] for b in found["buckets"]] == [2, 2, 1]

    # what the sweeper stored: bitmaps and the version of the numbering they use
    n = await numbering(db, circle["id"])
    bitmaps = await stored_days(db, circle["id"])
    assert {first, last} <= set(bitmaps)
    assert all(isinstance(d["active"], bytes) and d["nv"] <= n.v for d in bitmaps.values())
    assert ids_of(bitmaps[first], n) == (
        sorted([alice.id, bob.id]),
        sorted([alice.id, bob.id, carol.id]),
    )

    # the same days as stored before the bitmaps: strings, and one with arrays
    old: dict[str, Doc] = {}
    for k, doc in bitmaps.items():
        old[k] = day_doc(day_of_doc(doc, n))
        if k == first:
            old[k] |= {"posters": old[k]["posters"].split(), "active": old[k]["active"].split()}
        await db["rollup_days"].replace_one({"_id": doc["_id"]}, old[k])
    assert (await stored_days(db, circle["id"])) == old  # the sweeper left them alone
    assert await report(owner, circle, **span) == found
    assert await report(owner, circle, period="week", **{"from": first, "to": last}) == weeks

    done = await asyncio.to_thread(rebuild, env, "--circle", circle["id"], "--days")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"rebuilt {circle['id']}"
    again = await stored_days(db, circle["id"])
    n = await numbering(db, circle["id"])
    assert set(again) == set(old)
    for k, doc in again.items():
        assert isinstance(doc["posters"], bytes) and isinstance(doc["active"], bytes), k
        assert ids_of(doc, n) == ids_of(bitmaps[k], n)
        # the rest as it was (now one string each for the pairs and the waits)
        assert isinstance(doc["joins"], str) and isinstance(doc["waits"], str), k
        again_day, old_day = day_of_doc(doc, n), day_of_doc(old[k])
        for f in ("joins", "leaves", "newcomers", "members", "messages", "deleted", "prompts"):
            assert getattr(again_day, f) == getattr(old_day, f), (k, f)
        assert again_day.waits == old_day.waits, k
    assert await report(owner, circle, **span) == found
    assert await report(owner, circle, period="week", **{"from": first, "to": last}) == weeks

    missing = await asyncio.to_thread(rebuild, env, "--circle", uuid.uuid4().hex, "--days")
    assert missing.returncode == 1 and "no such circle" in missing.stderr


def day(circle_id: str, on: str, ids: list[str]) -> Day:
    return Day(circle_id, on, posters=ids[:1], active=ids)


def users(n: int) -> list[str]:
    return sorted(uuid.uuid4().hex for _ in range(n))


async def test_two_writers_appending_from_one_version_number_every_id_once(
    db: AsyncDatabase[Doc], monkeypatch: pytest.MonkeyPatch
) -> None:
    circle = uuid.uuid4().hex
    a, b = RollupRepository(db), RollupRepository(db)
    first = users(3)
    await a.put_day(day(circle, "2026-07-01", first))
    await b.put_day(day(circle, "2026-07-01", first))  # b reads version 1, numbers nothing
    assert [d["_id"] async for d in db["rollup_numbers"].find({"circle_id": circle})] == [
        f"{circle}:1"
    ]
    # both append different new ids after version 1 at once: one insert of version 2 loses
    xs, ys = users(4), users(5)
    await asyncio.gather(
        a.put_day(day(circle, "2026-07-02", [*first[:1], *xs])),
        b.put_day(day(circle, "2026-07-03", [*ys, first[2]])),
    )
    versions = {
        int(d["v"]): str(d["ids"]).split()
        async for d in db["rollup_numbers"].find({"circle_id": circle})
    }
    assert sorted(versions) == [1, 2, 3]
    assert versions[1] == first
    assert versions[2][:3] == first and versions[3][: len(versions[2])] == versions[2]
    assert sorted(versions[3]) == sorted([*first, *xs, *ys])  # every id once: no number reused
    assert {tuple(versions[2][3:]), tuple(versions[3][len(versions[2]) :])} == {
        tuple(xs),
        tuple(ys),
    }

    # a fresh reader (another process) reads every day right, whatever version wrote it
    reader = RollupRepository(db)
    found = {d.day: d for d in await reader.days_of_months(circle, ["2026-07"])}
    assert sorted(found["2026-07-01"].active) == first
    assert sorted(found["2026-07-02"].active) == sorted([first[0], *xs])
    assert sorted(found["2026-07-03"].active) == sorted([*ys, first[2]])
    assert list(found["2026-07-03"].posters) == [ys[0]]

    # more versions: the oldest go once NUMBERING_KEPT newer exist; days that name a deleted
    # version read with a later one (a reader probes upward), and a writer that knew an old
    # version (not fresh any more) finds the latest and appends after it, not in a gap
    writer = RollupRepository(db)
    for i in range(4, 9):
        await writer.put_day(day(circle, f"2026-07-{i:02d}", users(2)))
    kept = sorted([int(d["v"]) async for d in db["rollup_numbers"].find({"circle_id": circle})])
    assert kept == list(range(8 - rollups_repository.NUMBERING_KEPT + 1, 9))
    late = RollupRepository(db)
    found = {d.day: d for d in await late.days_of_months(circle, ["2026-07"])}
    assert sorted(found["2026-07-01"].active) == first and len(found) == 8
    monkeypatch.setattr(rollups_repository, "NUMBERING_FRESH_SECONDS", 0.0)
    # a version a sweep that died after its insert left behind goes too
    stray = {"_id": f"{circle}:3", "circle_id": circle, "v": 3, "ids": " ".join(versions[3])}
    await db["rollup_numbers"].insert_one(stray)
    zs = users(2)
    await a.put_day(day(circle, "2026-07-09", zs))  # a last knew version 2 (or 3)
    versions = {
        int(d["v"]): str(d["ids"]).split()
        async for d in db["rollup_numbers"].find({"circle_id": circle})
    }
    assert sorted(versions) == list(range(9 - rollups_repository.NUMBERING_KEPT + 1, 10))
    assert versions[9][:-2] == versions[8] and versions[9][-2:] == zs
    assert len(set(versions[9])) == len(versions[9])
    found = {d.day: d for d in await RollupRepository(db).days_of_months(circle, ["2026-07"])}
    assert sorted(found["2026-07-09"].active) == zs
    assert sorted(found["2026-07-02"].active) == sorted([first[0], *xs])
