"""Rewriting a circle's day rollups whole from their facts (rollups_compute.compute_day).

Writes: the rewritten days, together, once all are computed (rollups_repository.put_days).

Reads: the circle's day documents of the months around the days (one equality per month), the
facts of each day and the next (one equality each), and the facts of each poster who may be a
newcomer (one equality each, ``(circle_id, user_id)``): one who joined within NEWCOMER_DAYS and
has not posted on a stored day after their join day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from server.core import clock
from server.core.metrics import REPORT_HISTORY_READS
from server.core.pace import Rest
from server.reports.rollups_compute import NEWCOMER_DAYS, Day, Fact, compute_day, day_of, next_day
from server.reports.rollups_repository import RollupRepository


def months_between(first: str, last: str) -> list[str]:
    out: list[str] = []
    d = date.fromisoformat(first).replace(day=1)
    end = date.fromisoformat(last)
    while d <= end:
        out.append(d.isoformat()[:7])
        d = (d + timedelta(days=32)).replace(day=1)
    return out


async def _known_days(
    repo: RollupRepository, circle_id: str, low: str, high: str, first: str
) -> dict[str, Day]:
    """The stored days from ``low``'s month to ``high``'s, and, if none comes before ``low``,
    the latest stored one before it (walked back a month at a time, not before ``first``)."""
    found = {d.day: d for d in await repo.days_of_months(circle_id, months_between(low, high))}
    month = date.fromisoformat(low).replace(day=1)
    while not any(d < low for d in found) and month > date.fromisoformat(first):
        month = (month - timedelta(days=1)).replace(day=1)
        found.update({d.day: d for d in await repo.days_of_months(circle_id, [str(month)[:7]])})
    return found


def _spoke_since_join(
    known: dict[str, Day], last_joins: dict[str, datetime], posters: set[str], day: str
) -> set[str]:
    """The ``posters`` of ``day`` who posted (a message not deleted) on a stored day after the
    day of their last join and before ``day``: every such message came after the join."""
    candidates = posters & set(last_joins)
    if not candidates:
        return set()
    joined_day = {u: day_of(last_joins[u]) for u in candidates}
    lowest = min(joined_day.values())
    said = {k: set(d.posters) for k, d in known.items() if lowest < k < day}
    return {u for u in candidates if any(joined_day[u] < k and u in s for k, s in said.items())}


async def recompute(
    repo: RollupRepository,
    circle_id: str,
    days: set[str],
    ripple_from: str | None,
    first: str,
    rest: Rest | None = None,
    facts: dict[str, list[Fact]] | None = None,
) -> None:
    """Rewrite ``days`` (those not before the circle's ``first`` day) and, when joins or leaves
    changed on ``ripple_from``, every stored day after it (their member counts). With ``rest``
    (a paced sweep's), a day's facts are read a batch at a time with a rest after each batch:
    a busy day holds thousands, and reading them at once held every send up. ``facts``: the
    facts of days the caller already knows all of, taken as given; the days read are added to
    it."""
    days = {d for d in days if d >= first}
    if not days:
        return
    today = day_of(clock.now())
    low = min(days)
    window_low = max(first, next_day(low, -NEWCOMER_DAYS))
    known = await _known_days(repo, circle_id, window_low, max(max(days), today), first)
    todo = set(days)
    if ripple_from is not None:
        todo.update(d for d in known if d >= ripple_from)
    facts = {} if facts is None else facts
    written: list[Day] = []

    async def of_day(day: str) -> list[Fact]:
        if day not in facts:
            facts[day] = await repo.facts_of_day(circle_id, day, rest)
        return facts[day]

    for day in sorted(todo):
        mine = await of_day(day)
        if not mine and day not in known:
            continue  # nothing happened: the count carries over from the day before
        before = [d for d in known.values() if d.day < day]
        members_before = max(before, key=lambda d: d.day).members if before else 0
        since = next_day(day, -NEWCOMER_DAYS)
        last_joins: dict[str, datetime] = {}
        for d in sorted(before, key=lambda d: d.day):
            if d.day >= since:
                last_joins.update(d.newcomers)
        posters = {f.user_id for f in mine if f.kind == "msg" and not f.deleted}
        spoke = _spoke_since_join(known, last_joins, posters, day)
        # A newcomer who posted on a day after their join day has had their first message:
        # none of today's is one, whatever their history holds, so it is not read (a user's
        # facts are their whole history in the circle: a rebuild of a busy circle read
        # hundreds per newcomer and day). Only those who may not have posted yet are read.
        last_joins = {u: at for u, at in last_joins.items() if u not in spoke}
        readers = posters & set(last_joins)
        REPORT_HISTORY_READS.inc(len(readers))
        history = {uid: await repo.facts_of_user(circle_id, uid) for uid in readers}
        history = {u: [f for f in fs if f.day < day] for u, fs in history.items()}
        computed = compute_day(
            circle_id,
            day,
            mine,
            await of_day(next_day(day)),
            members_before,
            last_joins,
            history,
        )
        written.append(computed)
        known[day] = computed
    # written together: the ids they hold numbered once (one numbering version at most, not
    # one per day that brings a new member: docs/architecture.md, "Circle report rollups")
    await repo.put_days(circle_id, written)
