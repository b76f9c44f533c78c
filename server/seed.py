"""Demo data for a fresh embedded database, so a new user sees a living community at once.

The four demo users found the two circles ``seed_plan.DAYS`` days ago with their first
messages; then a generated history (seed_plan.py, carried out by seed_history.py through the
real services at past times) fills the months up to today: members joining and leaving,
conversations, activities with sign-ups, check-ins and payments. The report rollups are brought
current at the end, so the organiser's console shows the history at first start.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from server import seed_plan
from server.accounts.models import Principal, User
from server.container import Container
from server.core import clock
from server.rooms.models import Circle
from server.rooms.schemas import CreateCircleIn
from server.seed_history import Runner

log = logging.getLogger(__name__)

DEMO_PASSWORD = "circles-demo"
DEMO_IBAN = "GB82WEST12345698765432"
PEOPLE = [
    ("maya", "Maya Chen"),
    ("tom", "Tom Okafor"),
    ("lena", "Lena Fischer"),
    ("raj", "Raj Patel"),
]
CIRCLES = [
    (
        CreateCircleIn(
            name="Sunday Hikers",
            description="Easy-to-moderate hikes around town, every "
            "Sunday morning. Beginners welcome.",
            category="outdoors",
            tags=["hiking", "weekend"],
            visibility="public",
        ),
        ["maya", "tom", "lena"],
        [
            ("maya", "Morning all! Sunday's route is the river loop, about 12 km."),
            ("tom", "Count me in. Is the bridge open again?"),
            ("maya", "Yes, reopened on Friday."),
            ("lena", "I'll bring spare poles if anyone needs them."),
        ],
    ),
    (
        CreateCircleIn(
            name="Board Game Night",
            description="Thursday evenings, strategy and party "
            "games. Bring a game or just yourself.",
            category="games",
            tags=["boardgames", "evening"],
            visibility="public",
        ),
        ["raj", "lena", "tom"],
        [
            ("raj", "This week: Catan and Codenames."),
            ("lena", "Could we try Wingspan too?"),
            ("raj", "Sure, I'll bring my copy."),
        ],
    ),
]


def history_base(now: datetime) -> datetime:
    """The first day of the demo history: the UTC midnight ``seed_plan.DAYS`` days ago."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=seed_plan.DAYS)


async def seed_demo(c: Container, history: bool = True) -> None:
    """Seed only an empty database (no users yet). Without ``history``, only the demo users,
    their circles and first messages, today (for a test that needs no more)."""
    if await c.accounts.count_users() > 0:
        return
    if history:
        await _with_history(c)
    else:
        await _founders(c, None)
    handles = ", ".join(h for h, _ in PEOPLE)
    banner = f"Demo community created. Log in as any of: {handles} (password: {DEMO_PASSWORD})"
    log.warning(banner)
    print(banner, flush=True)


async def _founders(
    c: Container, cursor: clock.Travel | None
) -> tuple[dict[str, Principal], dict[str, Circle]]:
    """The demo users, their circles and first messages (a few minutes apart on the cursor)."""
    who: dict[str, Principal] = {}
    circles: dict[str, Circle] = {}
    for handle, name in PEOPLE:
        _, user = await c.accounts.register(handle, DEMO_PASSWORD, name)
        who[handle] = Principal(user=user, jti="seed")
    for key, (spec, members, lines) in zip(seed_plan.CIRCLE_KEYS, CIRCLES, strict=True):
        if cursor is not None:
            cursor.to(cursor.at + timedelta(minutes=30))
        circle, _ = await c.circles.create(who[members[0]].user, spec)
        circles[key] = circle
        await _trusted(c, who[members[0]].user, circle.id)
        for handle in members[1:]:
            await c.circles.join(who[handle].user, circle.id, None)
        for i, (handle, text) in enumerate(lines):
            if cursor is not None:
                cursor.to(cursor.at + timedelta(minutes=4))
            await c.messages.send(who[handle], circle.conversation_id, f"seed-{i}", text)
    return who, circles


async def _with_history(c: Container) -> None:
    started = time.monotonic()
    base = history_base(clock.now())
    plan = seed_plan.build(base)
    with clock.travel(base + timedelta(hours=8)) as cursor:
        who, circles = await _founders(c, cursor)
        runner = Runner(c, cursor, who, circles, DEMO_PASSWORD)
        try:
            await runner.run(plan)
        except Exception:  # the demo users and circles are there: start anyway
            log.exception("demo history: stopped part-way")
    caught_up = time.monotonic()
    await _rollups_current(c, {circle.id for circle in circles.values()})
    runner.seconds["rollups"] = time.monotonic() - caught_up
    done = runner.done
    log.warning(
        "Demo history %s..%s: %d members (%d joins, %d leaves), %d messages, %d reactions, "
        "%d activities, %d sign-ups, %d check-ins, %d payments; %d steps skipped; %.1f s",
        base.date().isoformat(),
        (base + timedelta(days=seed_plan.DAYS - 1)).date().isoformat(),
        len(who),
        done["join"],
        done["leave"],
        done["say"],
        done["react"],
        done["activity"],
        done["signup"],
        done["checkin"],
        done["pay"],
        sum(runner.skipped.values()),
        time.monotonic() - started,
    )
    spent = sorted(runner.seconds.items(), key=lambda kv: -kv[1])
    log.info(
        "demo history: seconds per kind of step: %s", ", ".join(f"{k} {v:.1f}" for k, v in spent)
    )


async def _rollups_current(c: Container, circle_ids: set[str]) -> None:
    """Bring the report rollups current, so the console shows the history at first start: the
    rollup sweeper's own step (reports/rollups.py) at the real now, after the sweeps the history
    made around each leave. It writes the days a full rebuild (reports/rebuild.py) would, the
    facts and the day formulas being the same, without computing the months a second time."""
    if c.rollups is None:
        return
    for ref in await c.rollups.circles():
        if ref.id in circle_ids:
            await c.rollups.keep(ref, full=True)


async def _trusted(c: Container, owner: User, circle_id: str) -> None:
    """The demo organisers are verified and their circles have a payout account (the IBAN is
    the standard's published example), so they may publish paid activities at once."""
    if c.trust is None or c.payouts is None:
        return
    await c.trust.approve_for_demo(owner, owner.display_name)
    await c.payouts.put_account(owner, circle_id, owner.display_name, DEMO_IBAN, None, None)
