"""Discovery domain objects: the card of an activity, and an item as a request answers it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Visibility = Literal["public", "private"]


@dataclass(frozen=True)
class Card:
    """What discovery knows of one activity (a copy; the activity is the truth)."""

    id: str
    version: int
    circle_id: str
    circle_name: str
    visibility: Visibility
    organiser_id: str
    title: str
    description: str
    category: str
    tags: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    location_name: str
    address: str | None
    lat: float | None
    lng: float | None
    capacity: int
    going: int  # seats taken (confirmed, offered, paying, attended)
    waitlist: int
    price_amount: int | None
    price_currency: str | None
    signup_deadline: datetime
    cancelled: bool
    created_at: datetime
    going_ids: tuple[str, ...] = ()  # confirmed and attended, for "people you know are going"
    terms: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.going)

    def status_at(self, now: datetime) -> Literal["open", "full", "closed", "cancelled"]:
        if self.cancelled:
            return "cancelled"
        if now >= self.signup_deadline:
            return "closed"
        return "full" if self.going >= self.capacity else "open"


ReasonCode = Literal[
    "friends_going",
    "followed_circle",
    "your_circle",
    "category",
    "tag",
    "seats_left",
    "soon",
    "popular",
]


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    text: str
    weight: float


@dataclass
class Item:
    card: Card
    distance_km: float | None = None
    known_going: list[str] = field(default_factory=list)  # display names, at most 3
    known_going_count: int = 0
    reason: Reason | None = None
    score: float = 0.0
