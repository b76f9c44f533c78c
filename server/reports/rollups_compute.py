"""Pure: a circle's facts turned into one day's rollup (rollups.py keeps them, circle_report.py
reads them).

A *fact* is one thing that happened in a circle, stored once under an ``_id`` made of what it
describes (rollups_repository.py): a message (its current state: deleted or not, a question or
not), a reaction, a sign-up to one of the circle's activities, a join, a leave. A *day* is the
rollup of one circle and one UTC day, always rewritten whole from the facts of that day and the
next (a reply may come the next day) and the member count of the day before, never ``$inc``'d:
recomputing it from the same facts gives the same document, so two processes, a retry or a
rebuild cannot make it drift.

Definitions (docs/protocol.md, "Circle report"):
- *messages*: text messages not deleted, by the day they were sent (activity cards and
  system notices are not counted); deleted ones are counted apart;
- *active*: a member who posted (a message not deleted), reacted or signed up that day;
- *prompt*: a question (a message whose text ends in "?") or a newcomer's first message (the
  first message since a join at most ``NEWCOMER_DAYS`` days before; the owner is never a
  newcomer). Its *reply* is the next
  message in the circle chat by someone else (an explicit reply by someone else is such a
  message too, so it never comes earlier); replies the asker writes do not count. A prompt
  unanswered within ``REPLY_WINDOW`` is *unanswered*.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import compress
from typing import Any, overload

NEWCOMER_DAYS = 14
REPLY_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Fact:
    id: str
    circle_id: str
    kind: str  # "msg", "react", "signup", "join", "leave"
    user_id: str
    at: datetime
    seq: int = 0  # msg: its seq in the circle chat
    deleted: bool = False  # msg
    question: bool = False  # msg
    founder: bool = False  # join: the circle's owner (never a newcomer)
    rev: int = 0  # msg: the chat's rev of the change it reflects (the highest wins)

    @property
    def day(self) -> str:
        return day_of(self.at)


@dataclass
class Day:
    circle_id: str
    day: str
    joins: list[tuple[str, datetime]] = field(default_factory=list)
    leaves: list[tuple[str, datetime]] = field(default_factory=list)
    newcomers: list[tuple[str, datetime]] = field(default_factory=list)  # joins but the owner's
    members: int = 0  # at the end of the day
    messages: int = 0
    deleted: int = 0
    # lists of ids, or (read from a day stored as bitmaps) ``Members``
    posters: Sequence[str] = field(default_factory=list)
    active: Sequence[str] = field(default_factory=list)
    prompts: int = 0
    waits: list[float] = field(default_factory=list)  # seconds, answered prompts

    @property
    def month(self) -> str:
        return self.day[:7]


def day_of(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d")


def next_day(day: str, n: int = 1) -> str:
    return (date.fromisoformat(day) + timedelta(days=n)).isoformat()


def is_question(text: str) -> bool:
    return text.rstrip().endswith(("?", "\uff1f"))


class _Spoken:
    """Each user's messages not deleted, by (at, seq): whether a message is its sender's first
    since a join is one binary search (a scan of every earlier message per message made a day
    of n messages cost n² steps: 3,000 took about 30 ms, 6,000 about 100 ms, in one piece on the
    event loop)."""

    def __init__(self, facts: Iterable[Fact]) -> None:
        by_user: dict[str, list[tuple[datetime, int]]] = {}
        for f in facts:
            if f.kind == "msg" and not f.deleted:
                by_user.setdefault(f.user_id, []).append((f.at, f.seq))
        for said in by_user.values():
            said.sort()
        self._by_user = by_user

    def first_since_join(self, f: Fact, joined: datetime | None) -> bool:
        """Whether ``f`` is its sender's first message since a join within NEWCOMER_DAYS: no
        message of theirs at or after the join comes before it."""
        if joined is None or f.at - joined > timedelta(days=NEWCOMER_DAYS) or f.at < joined:
            return False
        said = self._by_user.get(f.user_id, [])
        i = bisect_left(said, joined, key=lambda e: e[0])
        return i == len(said) or said[i] >= (f.at, f.seq)


def compute_day(
    circle_id: str,
    day: str,
    facts: list[Fact],
    following: list[Fact],
    members_before: int,
    last_joins: dict[str, datetime],
    history: dict[str, list[Fact]],
) -> Day:
    """The rollup of ``day``: ``facts`` are the day's, ``following`` the next day's (replies),
    ``members_before`` the count at the end of the day before, ``last_joins`` each member's
    latest join before this day within NEWCOMER_DAYS, ``history`` the earlier facts of the
    users that may be newcomers (their messages since that join). Linear in the facts, but
    for the sorts and a binary search per prompt."""
    d = Day(circle_id=circle_id, day=day)
    for f in sorted(facts, key=lambda f: (f.at, f.id)):
        if f.kind == "join":
            d.joins.append((f.user_id, f.at))
            if not f.founder:
                d.newcomers.append((f.user_id, f.at))
        elif f.kind == "leave":
            d.leaves.append((f.user_id, f.at))
    d.members = members_before + len(d.joins) - len(d.leaves)
    said = [f for f in facts if f.kind == "msg" and not f.deleted]
    d.messages = len(said)
    d.deleted = sum(1 for f in facts if f.kind == "msg" and f.deleted)
    d.posters = sorted({f.user_id for f in said})
    d.active = sorted({f.user_id for f in facts if f.kind in ("react", "signup")} | set(d.posters))
    joined = dict(last_joins)
    chat = sorted(
        [*said, *(f for f in following if f.kind == "msg" and not f.deleted)],
        key=lambda f: f.seq,
    )
    seqs = [f.seq for f in chat]
    spoken = _Spoken([*(f for fs in history.values() for f in fs), *said])
    events = sorted(
        [*said, *(f for f in facts if f.kind == "join")], key=lambda f: (f.at, f.kind != "join")
    )
    for f in events:
        if f.kind == "join":
            if not f.founder:
                joined[f.user_id] = f.at
            continue
        if not (f.question or spoken.first_since_join(f, joined.get(f.user_id))):
            continue
        d.prompts += 1
        reply = None
        for i in range(bisect_right(seqs, f.seq), len(chat)):
            if chat[i].user_id != f.user_id:
                reply = chat[i]
                break
        if reply is not None and reply.at - f.at <= REPLY_WINDOW:
            d.waits.append(round((reply.at - f.at).total_seconds(), 3))
    d.waits.sort()
    return d


# '0'/'1' digits to selector bytes for itertools.compress
_BITS = bytes.maketrans(b"01", b"\x00\x01")


class Numbering:
    """Version ``v`` of one circle's numbering of its member ids (``ids[i]`` is number i), as
    stored in ``rollup_numbers`` (rollups_repository.py). Versions are append only: each starts
    with the one before, so a bitmask made with one version reads the same with any later one.
    Version 0 is the empty numbering (never stored)."""

    __slots__ = ("_index", "circle_id", "ids", "v")

    def __init__(self, circle_id: str, v: int, ids: list[str]) -> None:
        self.circle_id = circle_id
        self.v = v
        self.ids = ids
        self._index: dict[str, int] | None = None

    def index(self) -> dict[str, int]:
        """Id -> number (made on first use: 5,000 ids cost ~0.3 ms)."""
        if self._index is None:
            self._index = {u: i for i, u in enumerate(self.ids)}
        return self._index

    def missing(self, ids: Iterable[str]) -> list[str]:
        index = self.index()
        return sorted({u for u in ids if u not in index})

    def covers(self, other: Numbering) -> bool:
        """Whether a mask over ``other`` reads the same over this one (a prefix of it)."""
        return other.circle_id == self.circle_id and other.v <= self.v

    def mask(self, ids: Sequence[str]) -> int:
        """The bitmask of ``ids`` (every one numbered here; KeyError otherwise)."""
        if isinstance(ids, Members) and self.covers(ids.numbering):
            return ids.mask
        index = self.index()
        # one '0'/'1' digit per number, read as a base-2 int (last digit most significant):
        # the cheapest way found to set a thousand bits from Python (circle_cohorts.Days)
        digits = bytearray(b"0") * len(self.ids)
        for u in ids:
            digits[index[u]] = 49
        return int(digits[::-1], 2) if digits else 0

    def decode(self, mask: int) -> list[str]:
        """The ids of ``mask``, in numbering order (C loops only: ~30 us for 5,000 numbers)."""
        return list(compress(self.ids, bin(mask)[:1:-1].encode().translate(_BITS)))


class Members(Sequence[str]):
    """A day's posters or active members read from a day stored as a bitmap: the mask over a
    circle's ``Numbering``, used as such by the report (circle_cohorts.Days) and turned into ids
    only when iterated (the sweeper's readers: rollups_days.py, people.py)."""

    __slots__ = ("_ids", "mask", "numbering")

    def __init__(self, mask: int, numbering: Numbering) -> None:
        self.mask = mask
        self.numbering = numbering
        self._ids: list[str] | None = None

    def ids(self) -> list[str]:
        if self._ids is None:
            self._ids = self.numbering.decode(self.mask)
        return self._ids

    def __len__(self) -> int:
        return self.mask.bit_count()

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[str]: ...

    def __getitem__(self, i: int | slice) -> str | Sequence[str]:
        return self.ids()[i]

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids())

    def __contains__(self, user_id: object) -> bool:
        i = self.numbering.index().get(user_id) if isinstance(user_id, str) else None
        return i is not None and bool(self.mask >> i & 1)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return sorted(self) == sorted(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Members({sorted(self)!r})"


def _ids_of(value: Any, numbering: Numbering | None) -> Sequence[str]:
    """Stored posters or active members: a bitmap over ``numbering`` (bytes, little-endian),
    or, in days stored before, one space-separated string or a list."""
    if isinstance(value, bytes):
        if numbering is None:
            raise ValueError("a day stored as bitmaps needs its circle's numbering")
        return Members(int.from_bytes(value, "little"), numbering)
    if isinstance(value, str):
        return value.split()
    return [str(u) for u in value or ()]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def _pairs_text(pairs: list[tuple[str, datetime]]) -> str:
    """Who and when, as one string: ``<id>@<microseconds since 1970>`` space-separated (an array
    of objects costs FerretDB a decode per element: a day of 30 joins and 30 newcomers cost it
    about 2 ms to read, as much as the rest of the document many times over)."""
    return " ".join(f"{u}@{(at - _EPOCH) // _MICRO}" for u, at in pairs)


def _pairs_of(value: Any) -> list[tuple[str, datetime]]:
    """Stored pairs: one string (``_pairs_text``), or objects ``{u, at}`` (days stored before)."""
    if isinstance(value, str):
        out = []
        for item in value.split():
            u, _, micros = item.rpartition("@")
            out.append((u, _EPOCH + int(micros) * _MICRO))
        return out
    return [(e["u"], e["at"] if e["at"].tzinfo else e["at"].replace(tzinfo=UTC)) for e in value]


def _waits_of(value: Any) -> list[float]:
    """Stored waits: one space-separated string of seconds, or an array (days stored before)."""
    return [float(w) for w in (value.split() if isinstance(value, str) else value)]


def _bitmap(mask: int) -> bytes:
    return mask.to_bytes((mask.bit_length() + 7) // 8, "little")


def day_doc(d: Day, numbering: Numbering | None = None) -> dict[str, Any]:
    """The posters and the active
    members are each stored as a bitmap over the circle's ``numbering`` (every id numbered in
    it), as bytes, with ``nv``, the numbering's version: FerretDB's cost of reading a document
    grows with its bytes, and 1,500 ids of 32 characters made a busy day ~100 KB, ~3.5 ms of
    its CPU each; over 5,000 numbered members a day is ~1.5 KB (bench/reports_bitmaps.py;
    docs/performance.md, "Reports at 5,000 members"); joins, leaves, newcomers and waits as
    one string each (``_pairs_text``). Without a numbering, the format before: one
    space-separated string of ids each, the pairs as objects (FerretDB v1 stores no nested
    arrays), waits as an array (kept to test that such days are still read)."""
    doc: dict[str, Any] = {
        "_id": f"{d.circle_id}:{d.day}",
        "circle_id": d.circle_id,
        "day": d.day,
        "month": d.month,
        "joins": [{"u": u, "at": at} for u, at in d.joins],
        "leaves": [{"u": u, "at": at} for u, at in d.leaves],
        "newcomers": [{"u": u, "at": at} for u, at in d.newcomers],
        "members": d.members,
        "messages": d.messages,
        "deleted": d.deleted,
        "prompts": d.prompts,
        "waits": d.waits,
    }
    if numbering is None:
        doc["posters"], doc["active"] = " ".join(d.posters), " ".join(d.active)
    else:
        doc["nv"] = numbering.v
        doc["posters"] = _bitmap(numbering.mask(d.posters))
        doc["active"] = _bitmap(numbering.mask(d.active))
        for key, pairs in (("joins", d.joins), ("leaves", d.leaves), ("newcomers", d.newcomers)):
            doc[key] = _pairs_text(pairs)
        doc["waits"] = " ".join(repr(w) for w in d.waits)
    return doc


def day_of_doc(doc: dict[str, Any], numbering: Numbering | None = None) -> Day:
    """A stored day; ``numbering``: its circle's, of version ``nv`` or later (bitmaps)."""

    return Day(
        circle_id=doc["circle_id"],
        day=doc["day"],
        joins=_pairs_of(doc.get("joins", ())),
        leaves=_pairs_of(doc.get("leaves", ())),
        newcomers=_pairs_of(doc.get("newcomers", ())),
        members=int(doc.get("members", 0)),
        messages=int(doc.get("messages", 0)),
        deleted=int(doc.get("deleted", 0)),
        posters=_ids_of(doc.get("posters"), numbering),
        active=_ids_of(doc.get("active"), numbering),
        prompts=int(doc.get("prompts", 0)),
        waits=_waits_of(doc.get("waits", ())),
    )
