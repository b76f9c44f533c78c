"""System messages for joins and leaves, coalesced per circle.

The first join or leave of a circle opens a window of ``MEMBER_NOTICE_SECONDS``; everything that
happens in that circle until it closes makes one message per kind (``"Alice, Bob and 3 others
joined."``), posted through the log's ``post`` as ``kind: "system"`` with
``card = {type: "members", event: "join"|"leave", user_ids, names}``. Someone who joins and
leaves within one window (or leaves and comes back) cancels out and is not mentioned.

Each process coalesces what it handled itself: with several processes behind a balancer, a burst
of joins spread over them makes up to one message per process per window (no cross-process
state: these are notices, and the membership itself is the truth). A notice is posted under a
key made of its circle, kind and people, so a retried post does not double it; one that cannot
be posted (the database is down) is logged and dropped, and so are the notices of a window
still open when the process is killed (a clean shutdown posts them: ``drain``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, field

from server.accounts.models import User
from server.core import clock
from server.messages.service import MessageService
from server.rooms.models import Circle

log = logging.getLogger(__name__)
NAMES_SHOWN = 2


@dataclass
class _Window:
    conversation_id: str
    opened: str
    joins: dict[str, str] = field(default_factory=dict)  # user id -> display name
    leaves: dict[str, str] = field(default_factory=dict)


def describe(names: list[str], event: str) -> str:
    """``Alice joined.``, ``Alice and Bob left.``, ``Alice, Bob and 3 others joined.``"""
    verb = "joined" if event == "join" else "left"
    if len(names) <= NAMES_SHOWN:
        who = " and ".join(names)
    else:
        rest = len(names) - NAMES_SHOWN
        who = f"{', '.join(names[:NAMES_SHOWN])} and {rest} other{'s' if rest > 1 else ''}"
    return f"{who} {verb}."


class MemberNotices:
    def __init__(self, messages: MessageService, window_seconds: float) -> None:
        self._messages = messages
        self._window = window_seconds
        self._open: dict[str, _Window] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def joined(self, circle: Circle, user: User) -> None:
        w = self._window_of(circle)
        if w.leaves.pop(user.id, None) is None:
            w.joins[user.id] = user.display_name

    def left(self, circle: Circle, user: User) -> None:
        w = self._window_of(circle)
        if w.joins.pop(user.id, None) is None:
            w.leaves[user.id] = user.display_name

    def _window_of(self, circle: Circle) -> _Window:
        w = self._open.get(circle.id)
        if w is None:
            w = self._open[circle.id] = _Window(circle.conversation_id, clock.now().isoformat())
            task = asyncio.get_running_loop().create_task(self._close_later(circle.id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return w

    async def _close_later(self, circle_id: str) -> None:
        await asyncio.sleep(self._window)
        await asyncio.shield(self._post(circle_id))  # a shutdown's cancel stops the wait only

    async def _post(self, circle_id: str) -> None:
        w = self._open.pop(circle_id, None)
        if w is None:
            return
        for event, people in (("join", w.joins), ("leave", w.leaves)):
            if not people:
                continue
            ids, names = list(people), list(people.values())
            digest = hashlib.sha256(f"{w.opened}|{event}|{','.join(ids)}".encode()).hexdigest()
            card = {"type": "members", "event": event, "user_ids": ids, "names": names}
            try:
                await self._messages.post(
                    w.conversation_id,
                    None,
                    "system",
                    describe(names, event),
                    card=card,
                    key=f"members:{circle_id}:{digest[:24]}",
                )
            except Exception:
                log.warning("the %s notice of circle %s was not posted", event, circle_id)

    async def drain(self) -> None:
        """Post every open window now (shutdown)."""
        for circle_id in list(self._open):
            await self._post(circle_id)
        for task in list(self._tasks):
            task.cancel()
