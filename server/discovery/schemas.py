"""Discovery and following wire models, and the reading of the list's query string."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import Field, StringConstraints

from server.core.errors import Invalid
from server.core.schemas import Id, Out, Slug, StrictIn, Text, UtcDatetime
from server.discovery.models import Item

DEFAULT_LIMIT = 20
MAX_RADIUS_KM = 50.0
DEFAULT_RADIUS_KM = 10.0
HORIZON = timedelta(days=366)  # how far ahead a list looks when ``to`` is not given

_Time = Annotated[
    str,
    StringConstraints(
        pattern=r"^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,6})?)?(Z|[+-]\d\d:\d\d))?$"
    ),
]
_Near = Annotated[str, StringConstraints(pattern=r"^-?\d{1,3}(\.\d{1,8})?,-?\d{1,3}(\.\d{1,8})?$")]
_Km = Annotated[str, StringConstraints(pattern=r"^\d{1,3}(\.\d{1,3})?$")]
_Cursor = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,200}$")]
_Limit = Annotated[str, StringConstraints(pattern=r"^(?:[1-9]|[1-4][0-9]|50)$")]


class ActivitiesQuery(StrictIn):
    q: Annotated[Text, StringConstraints(min_length=1, max_length=200)] | None = None
    category: Slug | None = None
    tag: Slug | None = None
    # ``from`` is a Python keyword: the wire name is ``from``, the attribute ``from_``
    from_: Annotated[_Time | None, Field(alias="from")] = None
    to: _Time | None = None
    near: _Near | None = None
    radius_km: _Km | None = None
    circle: Id | None = None
    following: Annotated[str, StringConstraints(pattern=r"^(true|false)$")] | None = None
    cursor: _Cursor | None = None
    limit: _Limit | None = None


class DiscoverQuery(StrictIn):
    near: _Near | None = None
    radius_km: _Km | None = None


@dataclass(frozen=True)
class Filters:
    start: datetime
    end: datetime
    q: str | None = None
    category: str | None = None
    tag: str | None = None
    near: tuple[float, float] | None = None
    radius_km: float = DEFAULT_RADIUS_KM
    circle: str | None = None
    following: bool = False
    after: tuple[datetime, str] | None = None
    limit: int = DEFAULT_LIMIT


def _bad(field: str, why: str) -> Invalid:
    return Invalid("the input failed validation", {"fields": {field: why}})


def _time(value: str, field: str) -> datetime:
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(field, "not a date or time") from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def near_of(near: str | None, radius: str | None) -> tuple[tuple[float, float] | None, float]:
    if near is None:
        if radius is not None:
            raise _bad("radius_km", "needs near=lat,lng")
        return None, DEFAULT_RADIUS_KM
    lat, lng = (float(x) for x in near.split(","))
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise _bad("near", "latitude -90..90, longitude -180..180")
    km = float(radius) if radius is not None else DEFAULT_RADIUS_KM
    if not 0 < km <= MAX_RADIUS_KM:
        raise _bad("radius_km", f"more than 0, at most {MAX_RADIUS_KM:g}")
    return (lat, lng), km


def encode_cursor(starts_at: datetime, activity_id: str) -> str:
    raw = f"{starts_at.astimezone(UTC).isoformat()}|{activity_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, _, activity_id = raw.partition("|")
        t = datetime.fromisoformat(when)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _bad("cursor", "not a cursor this server gave") from None
    if not activity_id or t.tzinfo is None:
        raise _bad("cursor", "not a cursor this server gave")
    return t, activity_id


def filters_of(q: ActivitiesQuery, now: datetime) -> Filters:
    start = max(now, _time(q.from_, "from")) if q.from_ else now
    end = _time(q.to, "to") if q.to else start + HORIZON
    if end < start:
        raise _bad("to", "before from (or before now)")
    if end - start > HORIZON:
        end = start + HORIZON
    near, km = near_of(q.near, q.radius_km)
    return Filters(
        start=start,
        end=end,
        q=q.q,
        category=q.category,
        tag=q.tag,
        near=near,
        radius_km=km,
        circle=q.circle,
        following=q.following == "true",
        after=decode_cursor(q.cursor) if q.cursor else None,
        limit=int(q.limit) if q.limit else DEFAULT_LIMIT,
    )


class PlaceOut(Out):
    name: str
    address: str | None
    lat: float | None
    lng: float | None


class CircleRefOut(Out):
    id: str
    name: str
    visibility: str


class PriceOut(Out):
    amount: int
    currency: str


class DiscoveryItemOut(Out):
    id: str
    title: str
    description: str
    category: str
    tags: list[str]
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    location: PlaceOut
    circle: CircleRefOut
    capacity: int
    going: int
    seats_left: int
    waitlist: int
    price: PriceOut | None
    status: str
    distance_km: float | None
    known_going: list[str]
    known_going_count: int
    reason: str | None
    reason_code: str | None

    @classmethod
    def of(cls, item: Item, now: datetime) -> DiscoveryItemOut:
        c = item.card
        return cls(
            id=c.id,
            title=c.title,
            description=c.description[:280],
            category=c.category,
            tags=list(c.tags),
            starts_at=c.starts_at,
            ends_at=c.ends_at,
            location=PlaceOut(name=c.location_name, address=c.address, lat=c.lat, lng=c.lng),
            circle=CircleRefOut(id=c.circle_id, name=c.circle_name, visibility=c.visibility),
            capacity=c.capacity,
            going=c.going,
            seats_left=c.seats_left,
            waitlist=c.waitlist,
            price=PriceOut(amount=c.price_amount, currency=c.price_currency)
            if c.price_amount is not None and c.price_currency
            else None,
            status=c.status_at(now),
            distance_km=round(item.distance_km, 2) if item.distance_km is not None else None,
            known_going=item.known_going,
            known_going_count=item.known_going_count,
            reason=item.reason.text if item.reason else None,
            reason_code=item.reason.code if item.reason else None,
        )


class ActivitiesPageOut(Out):
    items: list[DiscoveryItemOut]
    next_cursor: str | None


class SectionOut(Out):
    key: str
    title: str
    items: list[DiscoveryItemOut]


class DiscoverOut(Out):
    sections: list[SectionOut]


class FollowedCircleOut(Out):
    id: str
    name: str
    category: str
    tags: list[str]
    visibility: str
    member_count: int


class FollowOut(Out):
    circle: FollowedCircleOut
    following: bool
    followed_at: UtcDatetime | None


class FollowingOut(Out):
    following: list[FollowOut]


class PushOut(Out):
    activity_id: str
    notified: int
