"""Newcomer link holds: a circle may hold links from members who joined recently (anti-spam).

The setting is ``newcomer_link_hours`` (0: off): for that many hours after joining, a member's
circle message containing a link is not stored in the log but held for staff review (holds.py):
the send is answered ``forbidden`` (``details: {reason: "held_for_review", hold_id}``), staff
(``moderate``) are told with ``circle:link_held {circle_id, user_id, text, hold_id}`` and approve
or decline it. Staff are exempt. A window since joining, rather than a count of first messages:
the membership's ``joined_at`` is already there, while counting a member's messages would be a
read (or a non-atomic counter) on every send.

The send gate (gate.py) asks ``link_refusal`` only for a message with a link in a circle with the
setting on, so other sends read nothing more.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from server.accounts.models import User
from server.core.errors import Forbidden
from server.realtime.broadcaster import Broadcaster
from server.rooms import access
from server.rooms.models import Circle, Membership, Role
from server.rooms.repository import CircleRepository

# a scheme, "www.", or a domain followed by a path ("spam.example/x"): not every dotted word
_LINK = re.compile(
    r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.)\S|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/"
)


def has_link(text: str) -> bool:
    return _LINK.search(text) is not None


def link_refusal(circle: Circle, membership: Membership, now: datetime) -> Forbidden | None:
    """The refusal of a newcomer's link when nothing holds it (None: not a newcomer here any
    more); the send gate has holds.py answer with a hold instead."""
    until = membership.joined_at + timedelta(hours=circle.newcomer_link_hours)
    if until <= now:
        return None
    left = max(1, round((until - now).total_seconds()))
    return Forbidden(
        "new members cannot post links yet: moderators were told",
        {"reason": "newcomer_link", "retry_after": left},
    )


class NewcomerService:
    def __init__(self, circle_repo: CircleRepository, broadcaster: Broadcaster) -> None:
        self._circle_repo = circle_repo
        self._bus = broadcaster
        # drops the send gate's copy of a circle on every process (the container's)
        self.changed: Callable[[str], Awaitable[None]] | None = None
        # the circle's ``owner_verified`` badge (server/trust/ through CircleService), wired by
        # the container; None: not shown
        self.badge: Callable[[Circle], Awaitable[bool]] | None = None

    async def owner_verified(self, circle: Circle) -> bool:
        return self.badge is not None and await self.badge(circle)

    async def configure(self, actor: User, circle_id: str, hours: int) -> tuple[Circle, Role]:
        """Owners and admins (``manage_circle``)."""
        circle, me = await access.require_admin(self._circle_repo, circle_id, actor.id)
        await self._circle_repo.set_settings(circle.id, {"newcomer_link_hours": hours})
        if self.changed is not None:
            await self.changed(circle.id)
        fresh = await self._circle_repo.get_circle(circle.id)
        assert fresh is not None
        return fresh, me.role
