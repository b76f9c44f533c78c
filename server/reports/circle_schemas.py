"""Wire models of the circle report (docs/protocol.md, "Circle report")."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from server.core.schemas import Out, StrictIn

_Date = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d\d-\d\d$")]
Period = Literal["day", "week", "month"]


class CircleReportQuery(StrictIn):
    # ``from`` is a Python keyword: the wire name is ``from``, the attribute ``from_``; both
    # dates are UTC days and included
    period: Period | None = None
    from_: Annotated[_Date | None, Field(alias="from")] = None
    to: _Date | None = None


class ReplySpeedOut(Out):
    prompts: int  # questions and newcomers' first messages
    answered: int  # answered by someone else within 24 hours
    unanswered: int
    ratio: float | None  # answered / prompts
    median_seconds: float | None
    p90_seconds: float | None


class CircleBucketOut(Out):
    start: str  # YYYY-MM-DD, the first day of the bucket within from..to
    end: str  # the last day, included
    joined: int
    left: int
    net: int
    members: int  # at the end of the bucket
    messages: int  # sent in the bucket and not deleted
    deleted_messages: int
    active: int  # distinct members who posted, reacted or signed up in the bucket
    dau: float  # mean daily active members over the bucket's days (up to today)
    wau: int  # distinct active in the 7 days ending with the bucket's last day
    mau: int  # distinct active in the 30 days ending with the bucket's last day
    stickiness: float | None  # dau / mau
    speakers: int  # distinct members who posted in the bucket
    silent: int  # members at the end of the bucket who did not post in it
    newcomers: int  # joins in the bucket but the owner's
    activated: int  # of those, active on the day of the join or in the 7 days after
    activation: float | None  # activated / newcomers
    reply_speed: ReplySpeedOut


class CohortOut(Out):
    week: str  # the Monday of the join week
    joined: int  # newcomers who joined that week
    retained: list[int | None]  # active in week 1..8 after it (None: that week is to come)


class CircleReportOut(Out):
    circle_id: str
    period: Period
    start: str  # the ``from`` day answered
    end: str  # the ``to`` day answered
    buckets: list[CircleBucketOut]
    cohorts: list[CohortOut]  # the join weeks overlapping start..end
