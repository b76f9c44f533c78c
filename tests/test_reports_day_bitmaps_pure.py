"""Day rollups stored as bitmaps over a circle's numbering of member ids (rollups_compute
``Numbering``, ``Members``, ``day_doc``/``day_of_doc``): a busy day's document is small, reads
back to the same ids, and a report over days read as bitmaps, as lists, or both mixed (days
stored before the bitmaps, numbered by two versions) answers what the definitions answer.
Pure: no server (tests/test_reports_day_bitmaps.py drives the same through FerretDB)."""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import bson
import pytest

from server.reports.circle_report import answer
from server.reports.rollups_compute import Day, Members, Numbering, day_doc, day_of_doc
from tests.test_reports_circle_arith import FIRST, LAST, PERIODS, oracle, spans, world


def busy_day(members: int, active: int) -> tuple[Numbering, Day]:
    ids = [uuid.uuid4().hex for _ in range(members)]
    rnd = random.Random(7)
    chosen = sorted(rnd.sample(ids, active))
    d = Day("c" * 32, "2026-07-01", posters=chosen, active=chosen, members=members)
    d.joins = [(ids[0], datetime(2026, 7, 1, tzinfo=UTC))]
    return Numbering("c" * 32, 3, ids), d


def test_a_busy_day_is_a_small_document_that_reads_back_the_same_ids() -> None:
    numbering, d = busy_day(5_000, 1_500)
    before = len(bson.encode(day_doc(d)))  # the format before: ids as strings
    doc = day_doc(d, numbering)
    size = len(bson.encode(doc))
    assert before > 95_000 and size < 1_600, (before, size)
    assert isinstance(doc["active"], bytes) and doc["nv"] == 3
    back = day_of_doc(bson.decode(bson.encode(doc)), numbering)
    assert isinstance(back.active, Members) and len(back.active) == 1_500
    assert sorted(back.active) == d.active and sorted(back.posters) == d.posters
    assert d.active[0] in back.active and numbering.ids[-1] not in d.active
    assert (numbering.ids[-1] in back.active) is False and 42 not in back.active
    assert back.joins == d.joins and back.members == 5_000


def test_a_later_version_reads_what_an_earlier_one_wrote() -> None:
    older, d = busy_day(300, 120)
    later = Numbering(older.circle_id, older.v + 2, [*older.ids, "x" * 32, "y" * 32])
    doc = day_doc(d, older)
    assert sorted(day_of_doc(doc, later).active) == d.active
    # a day read with an older version is written with a later one as the same mask
    read = day_of_doc(doc, older)
    assert day_doc(read, later)["active"] == doc["active"]


def test_old_formats_still_read_and_a_bitmap_without_its_numbering_is_an_error() -> None:
    numbering, d = busy_day(50, 20)
    strings = day_doc(d)
    assert strings["active"] == " ".join(d.active) and "nv" not in strings
    assert day_of_doc(strings).active == d.active
    arrays = {**strings, "posters": list(d.posters), "active": list(d.active)}
    assert day_of_doc(arrays).posters == d.posters
    with pytest.raises(ValueError):
        day_of_doc(day_doc(d, numbering))
    with pytest.raises(KeyError):  # a writer numbers every id first
        day_doc(replace(d, active=[*d.active, "not numbered"]), numbering)


def as_bitmaps(days: dict[str, Day], every: int) -> dict[str, Day]:
    """``days`` with all but every ``every``-th stored as bitmaps and read back, the first half
    encoded with an earlier numbering version, read with the latest one (as a report reads)."""
    ids = sorted({u for d in days.values() for u in (*d.active, *d.posters)})
    random.Random(11).shuffle(ids)
    early = Numbering("c", 1, ids[: len(ids) // 2])
    late = Numbering("c", 2, ids)
    keys = sorted(days)
    out: dict[str, Day] = {}
    for i, k in enumerate(keys):
        d = days[k]
        if every and i % every == 0:
            out[k] = d  # stored before: lists
            continue
        used = {*d.active, *d.posters}
        version = early if i < len(keys) // 2 and not early.missing(used) else late
        out[k] = day_of_doc(bson.decode(bson.encode(day_doc(d, version))), late)
    return out


@pytest.mark.parametrize("every", [0, 5])  # all bitmaps; lists mixed in
@pytest.mark.parametrize("seed,users", [(1, 12), (3, 150), (4, 400)])
def test_the_report_over_bitmaps_answers_what_the_definitions_answer(
    seed: int, users: int, every: int
) -> None:
    days = world(seed, users)
    read = as_bitmaps(days, every)
    assert sum(isinstance(d.active, Members) for d in read.values()) > len(read) // 2
    for period in PERIODS:
        for start, end, today in spans(seed):
            got = answer("c", read, period, start, end, today).model_dump()
            assert got == oracle(days, period, start, end, today), (period, start, end)
    assert answer("c", read, "week", FIRST, LAST, LAST).buckets[0].active > 0
