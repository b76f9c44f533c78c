"""Moderation domain objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Action = Literal[
    "mute",
    "unmute",
    "kick",
    "ban",
    "unban",
    "delete_message",
    "set_role",
    "transfer_ownership",
    "revoke_invites",
    "slow_mode",
    "rules",
    "delete_post",  # a post removed from the report queue (moderation/reports.py)
    "review_report",  # a report queue item decided: details name the item and outcome
    "approve_join",  # a join request approved (moderation/joins.py): target is the requester
    "decline_join",  # a join request declined, with the reason
    "approve_hold",  # a newcomer's held message approved (moderation/holds.py): target the sender
    "decline_hold",  # a newcomer's held message declined, with the reason
]


@dataclass(frozen=True)
class AuditEntry:
    id: str
    circle_id: str
    at: datetime
    actor_id: str
    action: Action
    target_id: str | None  # a user, or a message for ``delete_message``; None: the circle
    reason: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Mute:
    circle_id: str
    user_id: str
    until: datetime
    by: str
    reason: str


@dataclass(frozen=True)
class Ban:
    circle_id: str
    user_id: str
    at: datetime
    by: str
    reason: str


@dataclass(frozen=True)
class Claim:
    """A unique-key claim: slow-mode sends, ownership transfers, rules acceptances."""

    key: str
    at: datetime
    owner: str  # who made it (a client id for slow mode, a user id otherwise)
    data: dict[str, Any] = field(default_factory=dict)


# Member reports and the review queue (moderation/reports.py) -------------------------------

ReportKind = Literal["message", "post", "member"]
ReportReason = Literal["spam", "harassment", "hate", "scam", "other"]
Outcome = Literal["dismissed", "removed", "muted", "kicked", "banned"]


@dataclass(frozen=True)
class Report:
    """One reporter's report of one target: one per (reporter, target), ever."""

    id: str
    item_id: str  # the queue item it joined
    circle_id: str
    reporter_id: str
    reason: ReportReason
    text: str
    at: datetime


@dataclass(frozen=True)
class ReportItem:
    """A target's reports grouped for review: one per (target, round); a decided item's
    target reported again by someone new opens the next round."""

    id: str
    circle_id: str
    kind: ReportKind
    target_id: str
    subject_id: str  # the user the report is about: the sender, the author, the member
    round: int
    opened_at: datetime
    excerpt: str  # the reported text when first reported, kept after a removal
    seq: int | None  # a message's place in the chat


@dataclass(frozen=True)
class ReportDecision:
    """The one decision on an item (its ``_id`` is the item's: a second one cannot be stored)."""

    item_id: str
    circle_id: str
    by: str
    outcome: Outcome
    reason: str
    at: datetime
