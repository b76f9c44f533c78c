"""Wire models of held newcomer messages (moderation/holds.py)."""

from __future__ import annotations

from typing import Literal

from server.accounts.schemas import UserOut
from server.core.schemas import Out, Reason, StrictIn, UtcDatetime
from server.moderation.holds_models import Hold


class HoldDecideIn(StrictIn):
    reason: Reason = ""  # a decline's reason, shown to the sender


class HoldOut(Out):
    id: str
    circle_id: str
    conversation_id: str
    sender: UserOut | None = None  # in the staff's list
    text: str
    created_at: UtcDatetime
    status: Literal["pending", "approved", "declined"]
    message_id: str | None = None  # the posted message, once approved

    @classmethod
    def of(cls, h: Hold, sender: UserOut | None = None, message_id: str | None = None) -> HoldOut:
        return cls(
            id=h.id,
            circle_id=h.circle_id,
            conversation_id=h.conversation_id,
            sender=sender,
            text=h.text,
            created_at=h.created_at,
            status=h.status,
            message_id=message_id,
        )


class HoldsOut(Out):
    holds: list[HoldOut]


class HoldEnvelope(Out):
    hold: HoldOut


class HoldDecidedOut(Out):
    """``circle:hold_decided`` (to the sender): staff approved or declined a held message."""

    circle_id: str
    hold_id: str
    status: Literal["approved", "declined"]
    reason: str
    message_id: str | None  # the posted message, when approved
