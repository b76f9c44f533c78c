"""Demo data for a fresh embedded database, so a new user sees a living community at once."""

from __future__ import annotations

import logging

from server.accounts.models import Principal, User
from server.container import Container
from server.rooms.schemas import CreateCircleIn

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


async def seed_demo(c: Container) -> None:
    """Seed only an empty database (no users yet)."""
    if await c.accounts.count_users() > 0:
        return
    who: dict[str, Principal] = {}
    for handle, name in PEOPLE:
        _, user = await c.accounts.register(handle, DEMO_PASSWORD, name)
        who[handle] = Principal(user=user, jti="seed")
    for spec, members, lines in CIRCLES:
        circle, _ = await c.circles.create(who[members[0]].user, spec)
        await _trusted(c, who[members[0]].user, circle.id)
        for handle in members[1:]:
            await c.circles.join(who[handle].user, circle.id, None)
        for i, (handle, text) in enumerate(lines):
            await c.messages.send(who[handle], circle.conversation_id, f"seed-{i}", text)
    handles = ", ".join(h for h, _ in PEOPLE)
    banner = f"Demo community created. Log in as any of: {handles} (password: {DEMO_PASSWORD})"
    log.warning(banner)
    print(banner, flush=True)


async def _trusted(c: Container, owner: User, circle_id: str) -> None:
    """The demo organisers are verified and their circles have a payout account (the IBAN is
    the standard's published example), so they may publish paid activities at once."""
    if c.trust is None or c.payouts is None:
        return
    await c.trust.approve_for_demo(owner, owner.display_name)
    await c.payouts.put_account(owner, circle_id, owner.display_name, DEMO_IBAN, None, None)
