"""Activity wire models."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from server.core.schemas import Id, Out, Slug, StrictIn, Text, Trimmed, UtcDatetime

Title = Annotated[str, Trimmed(1, 120)]
Description = Annotated[Text, StringConstraints(max_length=4000)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


def _iso(value: object) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("must be an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be an ISO 8601 date-time string") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("must include a timezone (e.g. end in Z)")
    if not 2000 <= parsed.year <= 2200:
        raise ValueError("out of range")
    return parsed.astimezone(UTC).replace(microsecond=parsed.microsecond // 1000 * 1000)


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be finite")
    return value


When = Annotated[datetime, BeforeValidator(_iso)]
Coordinate = Annotated[float, AfterValidator(_finite)]


class LocationIn(StrictIn):
    name: Annotated[str, Trimmed(1, 200)]
    address: Annotated[Text, StringConstraints(max_length=400)] | None = None
    lat: Annotated[Coordinate, Field(ge=-90, le=90)] | None = None
    lng: Annotated[Coordinate, Field(ge=-180, le=180)] | None = None


class PriceIn(StrictIn):
    amount: Annotated[int, Field(ge=0, le=100_000_000)]
    currency: Currency


Capacity = Annotated[int, Field(ge=1, le=100_000)]
# Hours to review a manual payment's transfer reference (the seat stays held): up to 30 days.
ReviewHours = Annotated[int, Field(ge=1, le=720)]


class CreateActivityIn(StrictIn):
    title: Title
    description: Description = ""
    category: Slug
    tags: Annotated[list[Slug], Field(max_length=10)] = []
    starts_at: When
    ends_at: When
    location: LocationIn
    capacity: Capacity
    price: PriceIn | None = None
    signup_deadline: When | None = None
    offer_window_minutes: Annotated[int, Field(ge=1, le=10_080)] = 30
    refund_cutoff_hours: Annotated[int, Field(ge=0, le=8_760)] = 24
    payment_review_hours: ReviewHours = 72

    @model_validator(mode="after")
    def _order(self) -> CreateActivityIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.signup_deadline and self.signup_deadline > self.starts_at:
            raise ValueError("signup_deadline must not be after starts_at")
        return self


NOT_NULL_IN_PATCH = (
    "title",
    "description",
    "category",
    "tags",
    "starts_at",
    "ends_at",
    "location",
    "capacity",
    "signup_deadline",
    "refund_cutoff_hours",
    "payment_review_hours",
)


class PatchActivityIn(StrictIn):
    title: Title | None = None
    description: Description | None = None
    category: Slug | None = None
    tags: Annotated[list[Slug], Field(max_length=10)] | None = None
    starts_at: When | None = None
    ends_at: When | None = None
    location: LocationIn | None = None
    capacity: Capacity | None = None
    signup_deadline: When | None = None
    refund_cutoff_hours: Annotated[int, Field(ge=0, le=8_760)] | None = None
    price: PriceIn | None = None  # null: the activity becomes free
    payment_review_hours: ReviewHours | None = None

    # Left out means "keep"; null would silently mean the same, so it is refused, naming the
    # field. Only price has a meaning for null.
    @field_validator(*NOT_NULL_IN_PATCH, mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("must not be null (leave the field out to keep it)")
        return value


class CancelActivityIn(StrictIn):
    reason: Annotated[Text, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class ActivityRef(StrictIn):
    activity_id: Id


class ReconfirmIn(StrictIn):
    activity_id: Id
    going: bool


class WhenQuery(StrictIn):
    when: Literal["upcoming", "past"] = "upcoming"


class CheckinIn(StrictIn):
    code: Annotated[str, StringConstraints(min_length=1, max_length=512)]


class CheckinUserIn(StrictIn):
    """Check-in by name (the organiser picks the person): the attendee's user id."""

    user_id: Id


class TicketSvgQuery(StrictIn):
    # The code from GET …/ticket, so the QR shows the same code as the text; else a fresh one.
    code: Annotated[str, StringConstraints(min_length=1, max_length=512)] | None = None


class CalendarQuery(StrictIn):
    key: Annotated[str, StringConstraints(min_length=1, max_length=512)] | None = None


class LocationOut(Out):
    name: str
    address: str | None = None
    lat: float | None = None
    lng: float | None = None


class PriceOut(Out):
    amount: int
    currency: str


ActivityStatus = Literal["open", "full", "closed", "cancelled"]


class ActivityOut(Out):
    id: str
    circle_id: str
    organiser_id: str
    title: str
    description: str
    category: str
    tags: list[str]
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    location: LocationOut
    capacity: int
    price: PriceOut | None
    signup_deadline: UtcDatetime
    offer_window_minutes: int
    refund_cutoff_hours: int
    payment_review_hours: int
    status: ActivityStatus
    confirmed_count: int
    held_count: int
    waitlist_count: int
    card_message_id: str | None
    calendar_url: str
    version: int
    cancel_reason: str | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    organiser_verified: bool = False  # the organiser is a verified organiser (server/trust/)


SignupStatusOut = Literal[
    "confirmed", "waitlisted", "offered", "pending_payment", "cancelled", "attended"
]


class SignupOut(Out):
    activity_id: str
    user_id: str
    status: SignupStatusOut
    waitlist_position: int | None = None
    offer_expires_at: UtcDatetime | None = None
    hold_expires_at: UtcDatetime | None = None
    payment_id: str | None = None
    reconfirm_pending: bool = False
    reconfirmed_at: UtcDatetime | None = None
    checked_in_at: UtcDatetime | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime


class AttendeeOut(SignupOut):
    display_name: str
    handle: str


class ActivityEnvelope(Out):
    activity: ActivityOut


class ActivityDetailOut(Out):
    activity: ActivityOut
    my_signup: SignupOut | None


class ActivitiesOut(Out):
    activities: list[ActivityOut]


class MyActivityOut(Out):
    activity: ActivityOut
    signup: SignupOut


class MyActivitiesOut(Out):
    items: list[MyActivityOut]


class SignupEnvelope(Out):
    signup: SignupOut


class AttendeesOut(Out):
    signups: list[AttendeeOut]


class TicketOut(Out):
    code: str
    expires_at: UtcDatetime


class PersonOut(Out):
    id: str
    display_name: str
    handle: str
    avatar_url: str | None = None


class GoingOut(Out):
    """Who hosts and who is going (the first ``GOING_SHOWN`` of ``going_count``)."""

    organiser: PersonOut | None
    going: list[PersonOut]
    going_count: int


def card_payload(**fields: Any) -> dict[str, Any]:
    return {"type": "activity", **fields}
