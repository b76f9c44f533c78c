"""Wire models of the member lifecycle and RFM (docs/protocol.md, "Member lifecycle and RFM")."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from server.core.schemas import Out, Slug, StrictIn, UtcDatetime
from server.reports.lifecycle_compute import MAX_CHURNED

Stage = Literal["new", "activated", "active", "cooling", "silent", "churned", "returning"]
Segment = Literal["champions", "new and not yet activated", "at risk", "lost", "big spenders"]
_Days = Annotated[int, Field(ge=1, le=MAX_CHURNED)]


class LifecycleIn(StrictIn):
    # cooling_days < silent_days < churned_days (checked by the service, naming the field)
    new_days: _Days
    cooling_days: _Days
    silent_days: _Days
    churned_days: _Days


class LifecycleOut(Out):
    circle_id: str
    new_days: int
    cooling_days: int
    silent_days: int
    churned_days: int


DEFAULT_PAGE = 50
# Query strings are text: 1..500, and 0..999999
_Limit = Annotated[str, StringConstraints(pattern=r"^(?:[1-9][0-9]?|[1-4][0-9][0-9]|500)$")]
_Offset = Annotated[str, StringConstraints(pattern=r"^(?:0|[1-9][0-9]{0,5})$")]


class LifecycleQuery(StrictIn):
    stage: Stage | None = None
    segment: Segment | None = None
    tag: Slug | None = None
    # a page of the matching members, by join (the names are read for the page only)
    limit: _Limit | None = None  # default 50
    offset: _Offset | None = None  # default 0


class RfmOut(Out):
    recency_days: int | None  # since the last participation; None: none in the last 180 days
    frequency: int  # attended + active_days
    attended: int  # activities checked in to in the last 90 days
    active_days: int  # days active in the last 90 days
    monetary: dict[str, int]  # currency -> paid minus refunded, minor units (no sandbox money)
    r: int  # 1..5
    f: int
    m: int  # scored in ``main_currency``


class MemberStandingOut(Out):
    user_id: str
    display_name: str
    role: str
    joined_at: UtcDatetime  # the current membership's join
    stage: Stage
    rfm: RfmOut
    segments: list[Segment]
    tags: list[str]  # the organiser's tags for this member (PUT .../members/{user_id}/tags)


class MembersLifecycleOut(Out):
    circle_id: str
    day: str  # the UTC day the stages are as of
    thresholds: LifecycleOut
    main_currency: str | None  # the currency ``m`` is scored in (None: no money yet)
    total: int  # members matching the filters (``members`` is the page from ``offset``)
    offset: int
    members: list[MemberStandingOut]


MAX_TAGS = 10


class MemberTagsIn(StrictIn):
    tags: Annotated[list[Slug], Field(max_length=MAX_TAGS)]


class MemberTagsOut(Out):
    circle_id: str
    user_id: str
    tags: list[str]
