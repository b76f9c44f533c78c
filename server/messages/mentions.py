"""Mentions: ``@handle`` in a message names a member of its conversation.

A handle that is not a member's (or no user's) mentions nobody. ``@everyone`` mentions every
member, but only when a circle owner or admin writes it; from anyone else the text is sent as it
is and mentions nobody (a refusal would lose the message over a word).

A mentioned member gets a ``mention`` notification (once per message, keyed) and a badge: the
``mentions`` collection keeps one row per unread mention, deleted when the member reads past it
(``clear``) or the message is deleted, so ``conversations`` counts a user's rows in one lookup.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

from server.accounts.models import User
from server.messages.models import Conversation, Message
from server.messages.replies import first_line
from server.notifications.models import Notifier

if TYPE_CHECKING:
    from server.messages.service import MessageService

# a handle is 3-32 of [a-z0-9_] (accounts); not preceded by a word character, so an e-mail
# address mentions nobody
HANDLE = re.compile(r"(?<![\w@])@([a-z0-9_]{3,32})(?![a-z0-9_])")
EVERYONE = "everyone"
MAX_HANDLES = 20  # handles resolved per message; more are left as text


def handles_in(text: str) -> list[str]:
    """The distinct handles written as ``@handle``, in order, at most ``MAX_HANDLES``."""
    return list(dict.fromkeys(HANDLE.findall(text)))[:MAX_HANDLES]


class Mentions:
    def __init__(self, log: MessageService) -> None:
        self._log = log
        self.notifier: Notifier | None = None

    async def resolve(self, conv: Conversation, sender: User, text: str) -> tuple[list[str], bool]:
        """The members mentioned in ``text`` (user ids, the sender excluded) and whether the
        message mentions everyone (an owner/admin's ``@everyone`` in a circle)."""
        handles = handles_in(text)
        everyone = EVERYONE in handles and await self._log.can_moderate(
            conv, sender.id, "mention_everyone"
        )
        named = [h for h in handles if h != EVERYONE]
        users = await self._log.directory_or_fail().users_by_handles(named) if named else {}
        ids = []
        for handle in named:
            user = users.get(handle)
            if user is None or user.id == sender.id:
                continue
            if await self._log.repo.get_participation(conv.id, user.id) is not None:
                ids.append(user.id)
        return ids, everyone

    async def record(self, conv: Conversation, message: Message) -> None:
        """Badge rows and notifications for a stored message; idempotent, so a retried send
        finishes what an interrupted one started."""
        targets = list(message.mentions)
        if message.mention_everyone:
            targets += await self._log.repo.participant_ids(conv.id)
        targets = [u for u in dict.fromkeys(targets) if u != message.sender_id]
        if not targets:
            return
        await self._log.extras.add_mentions(message.id, conv.id, message.seq, targets)
        if self.notifier is None:
            return
        data = {
            "conversation_id": conv.id,
            "message_id": message.id,
            "seq": message.seq,
            "circle_id": conv.circle_id,
        }
        notifier = self.notifier
        for start in range(0, len(targets), 50):  # an @everyone in a big circle, 50 at a time
            await asyncio.gather(
                *(
                    notifier.notify(
                        user_id,
                        "mention",
                        f"{message.sender_name} mentioned you",
                        first_line(message.text),
                        data,
                        key=f"mention:{message.id}:{user_id}",
                    )
                    for user_id in targets[start : start + 50]
                )
            )

    async def unread(self, user_id: str, read: dict[str, int]) -> dict[str, int]:
        """Per conversation, the user's unread mentions (``read``: conversation -> read_seq)."""
        counts: dict[str, int] = {}
        for conversation_id, seq in await self._log.extras.unread_mentions(user_id):
            if seq > read.get(conversation_id, 0):
                counts[conversation_id] = counts.get(conversation_id, 0) + 1
        return counts
