"""Keeping the circle report's daily rollups current, off the send path (docs/architecture.md,
"Circle report rollups").

Nothing is added to sending but a note kept in memory of each change this process stores in a
circle's chat (``rollups_recent.py``): a sweeper in every process finds what changed.
Each sweep lists the circles (one equality per visibility) and asks Redis for the top rev of
their chats (the hints ``messages/tops.py`` already publishes, one ``HMGET``); a circle is worked
on when its member count changed, an activity of it had a sign-up in this process, its book
has marks, its people table is of an earlier day, or every ``FULL_EVERY`` sweeps (which also
covers a missing Redis, and members who left while as many others joined); and when its chat
moved past the rev its state records, but then at most every ``chat_every`` seconds
(``REPORT_CHAT_ROLLUP_SECONDS``): each time rewrites the circle's day from all of that day's
facts, which in a busy chat every 30 s cost the send path more than it may. Working on a
circle:

0. look (reads only) whether anything changed since the circle's stored state: a sweep that
   finds nothing writes nothing;
1. take the circle's lease for the current time slot (a unique insert; whoever loses skips);
2. take the chat's changes since the recorded rev from what this process kept of those it
   stored, as long as none is missing, and read the rest with the same code as ``sync``
   (``messages/syncing.sync_page``: equality reads of stored rev pages, stopping before a
   change still being written); write each message's fact whole, plus a fact per reaction;
3. if the member count changed (or at a full sweep), compare the memberships with the members
   the state recorded: a new membership is a join at its ``joined_at``, one gone is a leave at
   the sweep's time (a leave and a rejoin between two sweeps: a leave at the rejoin);
4. rewrite whole every day those facts fall on, the day before it (replies) and, after a join
   or a leave, every later day (the member count); then store the state (rev, members).

Every write is idempotent (facts under ids made of what they describe, days recomputed from
facts), so a sweep that dies half-way, two processes on one circle, or a rebuild give the same
days. ``rebuild`` drops a circle's days and state and recomputes them from the sources.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime

from server.activities.models import Activity
from server.core import clock
from server.core.pace import Pace
from server.core.periodic import Periodic
from server.messages.repository import MessageRepository
from server.messages.syncing import sync_page
from server.messages.tops import SharedTops
from server.reports.book import BookKeeper
from server.reports.book_repository import Mark
from server.reports.people import People
from server.reports.repository import ReportRepository
from server.reports.rollups_compute import Fact, day_of, next_day
from server.reports.rollups_days import months_between, recompute
from server.reports.rollups_recent import Recent, Said, said_fact, said_of
from server.reports.rollups_repository import CircleRef, RollupRepository, RollupState

log = logging.getLogger(__name__)

LEASE_SECONDS = 120  # a circle's lease slot: a sweep of one circle is expected well within it
# Every this many sweeps (and at a process's first), every circle is looked at and its members
# compared with those it saw: 10 minutes at the default 30 s. A leave is dated when it is seen,
# and one that a join hides from the member count is seen only then.
FULL_EVERY = 20
SYNC_LIMIT = 50  # revs per sync page
# Sync pages a sweep reads per circle: a long history (a store from before the rollups) is
# caught up over several sweeps, each well within the lease (a rebuild reads it all at once).
SWEEP_PAGES = 200
SIGNUP_STATES = ("waitlisted", "confirmed", "pending_payment")  # the member acted
# A sweep shares the process and the database with sends. After each piece of its work (a page
# of a circle's chat, then the rest of that circle) it rests (core/pace.py), so a busy chat's
# news is caught up over a few seconds instead of holding every send up for one (in the chat
# benchmark a sweep reading 30 s of ten busy circles at once raised the p99 of every send in
# that second above 25 ms; docs/performance.md, "What is left above the code before issue 11").
# A report sweep rests nine times as long as each piece took (the pace's default is three), so
# it uses at most a tenth of the time it runs for: in the chat benchmark the ten busy circles'
# chat rollups, at three, raised the p99 of the sends of their 13 s by about 6 ms over the rest
# of the step (docs/performance.md, "A lighter report sweep"). Its rests add up to at most
# ``max(interval, chat_every)`` per sweep, after which it only yields: a process whose circles
# have more news than that covers still catches up.
SWEEP_REST_PER_WORK = 9.0
MEMORY = 20_000
# Facts of recent days a process keeps for its next sweeps (``_Known``, for at most MEMORY
# circles), about 350 bytes each; a day with more is read from the database each time.
FACTS_KEPT = 50_000


@dataclass
class _Known:
    """The facts of a circle's recent days, but its sign-ups, as a sweep of this process last
    read them (or was given them and added what it wrote), under the mark it then gave the
    circle's state. A later sweep that finds the state under the same mark knows that no other
    writer (another process's sweep, a rebuild) has been at the facts since, and takes these
    instead of reading the days again, with the days' sign-ups read afresh (any process records
    those). Two sweeps that overlap past a lease slot (LEASE_SECONDS) could leave the later one
    without the other's facts: every FULL_EVERY sweeps the days are read again."""

    mark: str
    days: dict[str, dict[str, Fact]]  # day -> fact id -> fact


def signup_fact(circle_id: str, activity_id: str, user_id: str, at: datetime) -> Fact:
    micros = int(at.timestamp() * 1_000_000)
    return Fact(f"s:{activity_id}:{user_id}:{micros}", circle_id, "signup", user_id, at)


def _kept(facts: list[Fact]) -> dict[str, Fact]:
    """A day's facts as a process keeps them (``_Known``), by id: all but the sign-ups, which
    any process records without the lease and a sweep reads afresh."""
    return {f.id: f for f in facts if f.kind != "signup"}


def _member_fact(
    circle_id: str, kind: str, user_id: str, at: datetime, founder: bool = False
) -> Fact:
    micros = int(at.timestamp() * 1_000_000)
    fid = f"{kind[0]}:{circle_id}:{user_id}:{micros}"
    return Fact(fid, circle_id, kind, user_id, at, founder=founder)


class RollupKeeper:
    def __init__(
        self,
        repo: RollupRepository,
        messages: MessageRepository,
        tops: SharedTops | None,
        signups: ReportRepository,
        interval: float,
        chat_every: float = 0.0,
    ) -> None:
        self._repo = repo
        self._messages = messages
        self._tops = tops
        self._signups = signups
        self._periodic = Periodic("report rollups", interval, self.sweep)
        self._chat_every = chat_every
        self._rest_budget = max(interval, chat_every)  # seconds a sweep may rest in all
        self._brought: dict[str, float] = {}  # circle -> when this process last brought it up
        self._sweeps = 0
        self._seen: dict[str, tuple[int, int]] = {}  # circle -> (rev, member count) processed
        self._marked: dict[str, set[str]] = {}  # circle -> days with new sign-up facts
        self._signed: dict[str, dict[str, datetime]] = {}  # activity -> user -> recorded
        # The circle's book and people table (book.py, people.py), kept under the same lease
        # once the container has made them (they need the payments).
        self.book: BookKeeper | None = None
        self.people: People | None = None
        # what this process stored lately in the circles' chats: a message service observer
        # (the container adds ``recent.observe``), read by the sweep before the database
        self.recent = Recent()
        # circle -> the facts of its recent days this process read last, under the state's mark
        self._known: dict[str, _Known] = {}
        # how a sweep rests between pieces of its work (``Pace``); a test may watch it
        self.rest: Callable[[float], Awaitable[None]] = asyncio.sleep

    def start(self) -> None:
        self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()

    # sign-ups: an activity watcher (never told of messages) -------------------------------

    async def on_commit(self, a: Activity, created: bool) -> None:
        """Record a sign-up fact for each entry that took a sign-up state since this process
        last looked; must not raise (the commit has happened)."""
        try:
            seen = self._signed.get(a.id)
            if seen is None:
                if len(self._signed) >= MEMORY:
                    self._signed.clear()
                seen = self._signed[a.id] = {}
            new = [
                e
                for uid, e in a.entries.items()
                if e.status in SIGNUP_STATES and seen.get(uid) != e.updated_at
            ]
            if not new:
                return
            facts = [signup_fact(a.circle_id, a.id, e.user_id, e.updated_at) for e in new]
            await self._repo.add_facts(facts)
            seen.update((e.user_id, e.updated_at) for e in new)
            self._marked.setdefault(a.circle_id, set()).update(f.day for f in facts)
        except Exception:
            log.exception("sign-up facts of activity %s not recorded", a.id)

    # the sweep ------------------------------------------------------------------------------

    async def sweep(self) -> None:
        full = self._sweeps % FULL_EVERY == 0
        self._sweeps += 1
        circles = await self._repo.circles()
        self.recent.watch(c.conversation_id for c in circles)
        hints = (
            await self._tops.get_many([c.conversation_id for c in circles]) if self._tops else {}
        )
        marks = await self.book.pending() if self.book else {}
        pace = Pace(self.rest, ratio=SWEEP_REST_PER_WORK, budget=self._rest_budget)
        for c in circles:
            seen = self._seen.get(c.id)
            other = (
                full
                or seen is None
                or c.id in self._marked
                or c.id in marks
                or c.member_count != seen[1]
                or (self.people is not None and await self.people.due(c.id))
            )
            chat = seen is not None and hints.get(c.conversation_id, seen[0]) > seen[0]
            if other or (chat and not self._lately(c.id)):
                try:
                    await self.keep(c, full, marks.get(c.id, []), pace)
                except Exception:
                    log.warning("rollups of circle %s not kept; retrying", c.id, exc_info=True)
                await pace.rest()

    def _lately(self, circle_id: str) -> bool:
        """Whether this process brought the circle up less than ``chat_every`` seconds ago: news
        of its chat alone waits until then (see the module docstring)."""
        return time.monotonic() - self._brought.get(circle_id, -math.inf) < self._chat_every

    async def _has_news(self, c: CircleRef, st: RollupState, full: bool) -> bool:
        """Whether the circle changed since its state was stored (its chat alone: only once
        ``chat_every`` has passed): read only, so a sweep that finds nothing writes nothing (not
        even a lease)."""
        if st.through is None or c.id in self._marked or c.member_count != st.member_count:
            return True
        if full:  # people who left and others who joined leave the count as it was
            current = await self._repo.members(c.id)
            if {u: joined for u, (joined, _) in current.items()} != st.members:
                return True
        if self._lately(c.id):
            return False
        return (await self._messages.top(c.conversation_id))[0] > st.rev

    async def keep(
        self,
        c: CircleRef,
        full: bool = False,
        marks: list[Mark] | None = None,
        pace: Pace | None = None,
    ) -> bool:
        """Bring one circle's rollups up to date (and its book and people table, after
        ``marks`` or a change of day); False when another process holds its lease. With a
        ``pace`` (the sweep's), it rests after each page of chat it reads."""
        if marks is None and self.book is not None:  # a caller of its own (the seed, a test)
            marks = await self.book.pending_of(c.id)
        st = await self._repo.state(c.id)
        news = await self._has_news(c, st, full)
        people_due = self.people is not None and await self.people.due(c.id)
        if not news and not marks and not people_due:
            self._seen[c.id] = (st.rev, st.member_count)
            return True
        slot = int(time.time() // LEASE_SECONDS)
        if not await self._repo.take_lease(c.id, slot):
            return False
        try:
            if news:
                marked = self._marked.pop(c.id, set())
                try:
                    st = await self._repo.state(c.id)  # as the last holder of the lease left it
                    await self._bring_up(c, st, marked, full, pace=pace)
                except BaseException:
                    self._marked.setdefault(c.id, set()).update(marked)
                    raise
            else:
                self._seen[c.id] = (st.rev, st.member_count)
            if self.book is not None and self.people is not None:
                await self.people.keep(c.id, await self.book.keep(c.id, marks or []))
        finally:
            await self._repo.drop_lease(c.id, slot)
        return True

    async def _bring_up(
        self,
        c: CircleRef,
        st: RollupState,
        days: set[str],
        full: bool,
        pages: int = SWEEP_PAGES,
        pace: Pace | None = None,
    ) -> None:
        now = clock.now()
        today = day_of(now)
        first = st.through is None
        known = self._known.pop(c.id, None)
        if known is not None and (full or first or known.mark != st.mark):
            known = None  # another writer was here, or a full sweep: the database's facts
        # A circle no sweep has written yet holds no facts but those this sweep writes and the
        # sign-ups (read afresh below): its days are computed from them, not read back. The
        # first sweep of a busy chat read every fact it had just inserted back into this
        # process (about 12,500 in the chat benchmark's step). Should some be stored already
        # (an interrupted sweep of another process), ``written`` is None and the days are
        # read as before.
        fresh = first and not full
        if fresh:
            known = _Known(st.mark or "", {})
        elif known is None:
            known = _Known(st.mark or "", await self._recent_days(c.id, today, pace))
        rev, changed, written = await self._read_chat(c, st.rev, pages, pace)
        days |= changed
        joined_or_left: set[str] = set()
        if first or full or c.member_count != st.member_count:
            joined_or_left, joins = await self._diff_members(c, st, now)
            written = None if written is None or joins is None else [*written, *joins]
        days |= joined_or_left
        if first:
            days.add(day_of(c.created_at))
        given: dict[str, list[Fact]] = {}
        if days and known is not None and written is not None:
            for f in written:
                if fresh:
                    known.days.setdefault(f.day, {})
                if f.day in known.days:
                    known.days[f.day][f.id] = f
            for day, kept in known.days.items():
                given[day] = [*kept.values(), *await self._repo.signups_of_day(c.id, day)]
        if days:
            first_day = day_of(c.created_at)
            ripple = min(joined_or_left, default=None)
            await recompute(
                self._repo,
                c.id,
                _around(days),
                ripple,
                first_day,
                pace.rest if pace else None,
                given,
            )
        st.through = max(st.through or today, today)
        st.rev = rev
        await self._repo.put_state(st)
        if not days and known is not None:  # nothing written: what was known still holds
            given = {day: list(kept.values()) for day, kept in known.days.items()}
        self._keep_known(c.id, st, today, given)
        self._seen[c.id] = (rev, st.member_count)
        if len(self._seen) >= MEMORY:
            self._seen.clear()
            self._brought.clear()
        self._brought[c.id] = time.monotonic()

    async def _recent_days(
        self, circle_id: str, today: str, pace: Pace | None
    ) -> dict[str, dict[str, Fact]]:
        """The facts of the circle's recent days (today, the day before) but its sign-ups, read
        before this sweep writes any: the facts it then writes are added to them, not read back.
        Under the lease no other sweep writes the circle's facts meanwhile (one that overran its
        lease slot is the case ``_Known`` already leaves to the next full sweep)."""
        rest = pace.rest if pace else None
        days: dict[str, dict[str, Fact]] = {}
        for day in (next_day(today, -1), today):
            facts = await self._repo.facts_of_day(circle_id, day, rest)
            days[day] = _kept(facts)
        return days

    def _keep_known(
        self, circle_id: str, st: RollupState, today: str, read: dict[str, list[Fact]]
    ) -> None:
        """Keep the facts of the circle's recent days (today, the day before) that this sweep
        read or was given whole, but the sign-ups, under the state's new mark: the next sweep
        of this process takes them instead of reading the days again, if nobody else wrote
        the state meanwhile."""
        recent = {d for d in read if d >= next_day(today, -1)}
        days = {d: _kept(read[d]) for d in recent}
        size = sum(len(fs) for fs in days.values())
        if not days or size > FACTS_KEPT:
            return
        kept = sum(len(fs) for k in self._known.values() for fs in k.days.values())
        if kept + size > FACTS_KEPT or len(self._known) >= MEMORY:
            self._known.clear()
        assert st.mark is not None
        self._known[circle_id] = _Known(st.mark, days)

    async def _read_chat(
        self, c: CircleRef, since: int, pages: int, pace: Pace | None = None
    ) -> tuple[int, set[str], list[Fact] | None]:
        """Facts of every message (and its reactions) changed after ``since``, up to ``pages``
        pieces of at most ``SYNC_LIMIT`` changes; the rev read up to, the days the facts fall
        on, and the facts as now stored (None when some were stored before, perhaps as they
        were then)."""
        days: set[str] = set()
        written: list[Fact] | None = []
        rev, more = since, True
        while more and pages > 0:
            pages -= 1
            said, rev, more = await self._chat_piece(c.conversation_id, rev)
            # a message changed twice in the piece is written once, as it was last
            last = {s.message_id: s for s in said}.values()
            facts = [f for f in (said_fact(c.id, s) for s in last) if f is not None]
            await self._repo.put_messages(facts)
            reacted: list[Fact] = []
            for s in last:
                if s.reacted:
                    for user_id, emoji, at in await self._repo.reactions_of(s.message_id):
                        rid = f"r:{s.message_id}:{user_id}:{emoji}"
                        reacted.append(Fact(rid, c.id, "react", user_id, at))
            if await self._repo.add_facts(reacted):
                written = None
            elif written is not None:
                written.extend((*facts, *reacted))
            days.update(f.day for f in (*facts, *reacted))
            if pace is not None:
                await pace.rest()
        return rev, days, written

    async def _chat_piece(self, conversation_id: str, since: int) -> tuple[list[Said], int, bool]:
        """The changes right above ``since`` that this process stored and kept
        (rollups_recent.py), or, from the first it did not keep, a sync page read from the
        database (stopping before a change still being written): (changes, the rev read up
        to, whether there may be more)."""
        said = self.recent.take(conversation_id, since, SYNC_LIMIT)
        if said:
            return said, said[-1].rev, True
        found, rev, more = await sync_page(self._messages, conversation_id, since, SYNC_LIMIT)
        return [said_of(m) for m in found], rev, more

    async def _diff_members(
        self, c: CircleRef, st: RollupState, now: datetime
    ) -> tuple[set[str], list[Fact] | None]:
        """Join and leave facts from the memberships; the days they fall on, and the facts as
        stored (None when some were stored before)."""
        current = await self._repo.members(c.id)
        facts: list[Fact] = []
        for uid, (joined_at, role) in current.items():
            before = st.members.get(uid)
            if before == joined_at:
                continue
            if before is not None:  # left and came back between two sweeps
                facts.append(_member_fact(c.id, "leave", uid, joined_at))
            facts.append(_member_fact(c.id, "join", uid, joined_at, role == "owner"))
        facts.extend(
            _member_fact(c.id, "leave", uid, now) for uid in st.members if uid not in current
        )
        taken = await self._repo.add_facts(facts)
        st.members = {uid: joined_at for uid, (joined_at, _) in current.items()}
        st.member_count = len(current)
        return {f.day for f in facts}, None if taken else facts

    async def circles(self) -> list[CircleRef]:
        return await self._repo.circles()

    # repair ---------------------------------------------------------------------------------

    async def rebuild(self, circle_id: str) -> bool:
        """Recompute a circle's rollups from scratch: its facts from the chat, the memberships
        and the sign-up rows (joins and leaves recorded before are kept: a leave is known only
        from its fact), then every day since the circle was created. False: no such circle."""
        c = await self._repo.circle(circle_id)
        if c is None:
            return False
        facts = [
            signup_fact(c.id, activity_id, r.user_id, r.at)
            for activity_id in await self._signups.activities_of(c.id)
            for r in await self._signups.rows(activity_id)
            if r.status in SIGNUP_STATES
        ]
        await self._repo.add_facts(facts)
        first, today = day_of(c.created_at), day_of(clock.now())
        async with self._held(c.id):
            existing = await self._repo.days_of_months(c.id, months_between(first, today))
            await self._repo.drop_days(c.id, [d.day for d in existing])
            await self._repo.drop_state(c.id)
            self._seen.pop(c.id, None)
            await self._bring_up(c, RollupState(c.id), _span(first, today), True, pages=2**62)
            if self.book is not None and self.people is not None:
                await self.people.keep(c.id, await self.book.rebuild(c.id))
        return True

    @contextlib.asynccontextmanager
    async def _held(self, circle_id: str) -> AsyncIterator[None]:
        """The circle's lease for a repair, waited for while a sweep of it is under way."""
        slot = int(time.time() // LEASE_SECONDS)
        while not await self._repo.take_lease(circle_id, slot):
            await asyncio.sleep(0.2)
            slot = int(time.time() // LEASE_SECONDS)
        try:
            yield
        finally:
            await self._repo.drop_lease(circle_id, slot)

    async def rebuild_book(self, circle_id: str) -> bool:
        """Read every activity of the circle again into its book, then rewrite its people
        table (under the lease). False: no such circle."""
        if await self._repo.circle(circle_id) is None:
            return False
        assert self.book is not None and self.people is not None
        async with self._held(circle_id):
            await self.people.keep(circle_id, await self.book.rebuild(circle_id))
        return True

    async def reencode_days(self, circle_id: str) -> bool:
        """Write every stored day of the circle again as it is, in the current format (posters
        and active members as bitmaps), without recomputing it (under the lease). False: no
        such circle."""
        c = await self._repo.circle(circle_id)
        if c is None:
            return False
        async with self._held(circle_id):
            months = months_between(day_of(c.created_at), day_of(clock.now()))
            for month in months:  # a month at a time: one numbering version for most of them
                await self._repo.put_days(circle_id, await self._repo.days_of_months(c.id, [month]))
        return True


def _around(days: set[str]) -> set[str]:
    """The days to rewrite: each changed day and the one before (its prompts' replies)."""
    return days | {next_day(d, -1) for d in days}


def _span(first: str, last: str) -> set[str]:
    n = (date.fromisoformat(last) - date.fromisoformat(first)).days
    return {next_day(first, i) for i in range(n + 1)}
