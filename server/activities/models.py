"""Activity domain objects. ``Activity`` is the whole state the rules work on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

SignupStatus = Literal[
    "confirmed", "waitlisted", "offered", "pending_payment", "cancelled", "attended"
]
SEATED: tuple[SignupStatus, ...] = ("confirmed", "offered", "pending_payment")
ACTIVE: tuple[SignupStatus, ...] = (
    "confirmed",
    "offered",
    "pending_payment",
    "waitlisted",
    "attended",
)


@dataclass
class Location:
    name: str
    address: str | None = None
    lat: float | None = None
    lng: float | None = None


@dataclass
class Price:
    amount: int
    currency: str


@dataclass
class Entry:
    """One user's sign-up."""

    user_id: str
    status: SignupStatus
    created_at: datetime
    updated_at: datetime
    waitlist_no: int | None = None
    offer_expires_at: datetime | None = None
    hold_expires_at: datetime | None = None
    payment_id: str | None = None
    reconfirm_pending: bool = False
    reconfirmed_at: datetime | None = None
    checked_in_at: datetime | None = None


@dataclass(frozen=True)
class Participation:
    """One user's sign-up as a row of its own (a projection of the activity's entry): what a
    user signed up for is one small read, not every whole activity they are in."""

    user_id: str
    activity_id: str
    status: SignupStatus
    starts_at: datetime
    ends_at: datetime
    category: str
    tags: tuple[str, ...]


@dataclass
class Activity:
    id: str
    circle_id: str
    conversation_id: str
    organiser_id: str
    title: str
    description: str
    category: str
    tags: list[str]
    starts_at: datetime
    ends_at: datetime
    location: Location
    capacity: int
    price: Price | None
    signup_deadline: datetime
    offer_window_minutes: int
    refund_cutoff_hours: int
    hold_minutes: int
    created_at: datetime
    updated_at: datetime
    # Hours an organiser has to check a manual payment's transfer reference; the seat stays
    # held meanwhile (never past the start).
    payment_review_hours: int = 72
    cancelled: bool = False
    cancel_reason: str | None = None
    card_message_id: str | None = None
    version: int = 1
    ics_sequence: int = 0
    next_waitlist_no: int = 1
    # The signup_deadline the sweeper last stamped as passed; while it differs from
    # signup_deadline, the deadline is still to be swept so the card turns "closed" on time.
    deadline_swept: datetime | None = None
    entries: dict[str, Entry] = field(default_factory=dict)
    # Waitlist positions of a committed state, computed once for all its readers (see freeze).
    _positions: dict[str, int] | None = field(default=None, repr=False, compare=False)

    @property
    def paid(self) -> bool:
        return self.price is not None and self.price.amount > 0

    def count(self, *statuses: SignupStatus) -> int:
        return sum(1 for e in self.entries.values() if e.status in statuses)

    @property
    def confirmed_count(self) -> int:
        return self.count("confirmed", "attended")

    @property
    def held_count(self) -> int:
        return self.count("offered", "pending_payment")

    @property
    def waitlist_count(self) -> int:
        return self.count("waitlisted")

    @property
    def seats_taken(self) -> int:
        return self.count(*SEATED, "attended")

    def status_at(self, now: datetime) -> Literal["open", "full", "closed", "cancelled"]:
        if self.cancelled:
            return "cancelled"
        if now >= self.signup_deadline:
            return "closed"
        if self.seats_taken >= self.capacity:
            return "full"
        return "open"

    def freeze(self) -> None:
        """The state is committed and will not change: compute every waitlist position once
        (a burst of a thousand sign-ups otherwise costs a thousand scans of the waitlist)."""
        waiting = sorted(
            (e.waitlist_no, uid)
            for uid, e in self.entries.items()
            if e.status == "waitlisted" and e.waitlist_no is not None
        )
        self._positions = {uid: i + 1 for i, (_, uid) in enumerate(waiting)}

    def waitlist_position(self, user_id: str) -> int | None:
        if self._positions is not None:
            return self._positions.get(user_id)
        mine = self.entries.get(user_id)
        if mine is None or mine.status != "waitlisted" or mine.waitlist_no is None:
            return None
        ahead = sum(
            1
            for e in self.entries.values()
            if e.status == "waitlisted"
            and e.waitlist_no is not None
            and e.waitlist_no < mine.waitlist_no
        )
        return ahead + 1

    def next_deadline(self) -> datetime | None:
        """When the sweeper must look at this activity next (an offer or a hold expiring, or
        the sign-up deadline passing, which closes the card)."""
        times = [
            t
            for e in self.entries.values()
            for t in (
                e.offer_expires_at if e.status == "offered" else None,
                e.hold_expires_at if e.status == "pending_payment" else None,
            )
            if t is not None
        ]
        if not self.cancelled and self.deadline_swept != self.signup_deadline:
            times.append(self.signup_deadline)
        return min(times) if times else None


@dataclass(frozen=True)
class Effect:
    """Something to tell someone after the state change is stored."""

    kind: str  # a notification kind: offer, offer_expired, waitlisted, signup_confirmed, ...
    user_id: str
    data: dict[str, Any] = field(default_factory=dict)
