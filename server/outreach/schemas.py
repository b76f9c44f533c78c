"""Wire models of outreach: a message from the organiser to a segment of members
(docs/protocol.md, "Outreach")."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from server.core.schemas import Id, Out, Slug, StrictIn, Trimmed, UtcDatetime
from server.reports.lifecycle_schemas import Segment, Stage

Kind = Literal["dm", "announcement", "invite"]
MAX_RECIPIENTS = 500


class OutreachIn(StrictIn):
    kind: Kind
    text: Annotated[str, Trimmed(1, 2000)]
    activity_id: Id | None = None  # invite: the activity (required); refused for other kinds
    # the audience: explicit members, or the lifecycle list's filters resolved at send time
    user_ids: Annotated[list[Id], Field(min_length=1, max_length=MAX_RECIPIENTS)] | None = None
    stage: Stage | None = None
    segment: Segment | None = None
    tag: Slug | None = None
    # a retry with the same client_id resumes the same send and never delivers twice
    client_id: Id | None = None


class AudienceOut(Out):
    stage: Stage | None
    segment: Segment | None
    tag: Slug | None
    user_ids: bool  # chosen one by one (True) or by the filters (False)


class SenderOut(Out):
    id: str
    display_name: str


class OutreachOut(Out):
    id: str
    circle_id: str
    kind: Kind
    text: str
    activity_id: str | None
    activity_title: str | None
    audience: AudienceOut
    sent_by: SenderOut
    sent_at: UtcDatetime
    recipients: int  # members it was addressed to
    delivered: int  # reached (a DM, or the announcement's notification)
    skipped: int  # not reached: a block either way, or no longer a member
    read: int  # delivered and read (the reader's position in that chat passed it)
    signed_up: int  # signed up afterwards: for the invited activity, else any of the circle's


class OutreachEnvelope(Out):
    outreach: OutreachOut


class OutreachListOut(Out):
    outreach: list[OutreachOut]
