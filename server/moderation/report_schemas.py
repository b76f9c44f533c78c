"""Wire models of member reports and the review queue."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from server.core.schemas import Id, Out, Reason, StrictIn, Text, UtcDatetime
from server.messages.schemas import MessageOut
from server.moderation.models import (
    Outcome,
    Report,
    ReportDecision,
    ReportItem,
    ReportKind,
    ReportReason,
)
from server.moderation.report_context import Context
from server.moderation.reports import Decision, Filed, QueueItem
from server.moderation.schemas import MAX_MUTE_SECONDS, AuditEntryOut
from server.posts.models import Post
from server.rooms.models import Role

DEFAULT_QUEUE_PAGE = 20
ReportText = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=1000)]
_Time = Annotated[
    str, StringConstraints(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$")
]
_Limit = Annotated[str, StringConstraints(pattern=r"^(?:[1-9]|[1-4][0-9]|50)$")]


class FileReportIn(StrictIn):
    kind: ReportKind
    target_id: Id  # a message id, a post id or a user id
    reason: ReportReason
    text: ReportText = ""


class ReportDecideIn(StrictIn):
    item_id: Id  # the queue item decided
    action: Decision
    reason: Reason = ""  # recorded in the audit log; never shown to the reporters
    seconds: Annotated[int, Field(ge=1, le=MAX_MUTE_SECONDS)] | None = None  # mute only


class ReportQueueQuery(StrictIn):
    """Query strings are strings: ``status`` open (default) or decided, ``before`` an ISO time
    (``next_before`` of the previous page), ``limit`` 1-50 (default 20)."""

    status: Literal["open", "decided"] = "open"
    before: _Time | None = None
    limit: _Limit | None = None

    def before_at(self) -> datetime | None:
        return datetime.fromisoformat(self.before) if self.before else None

    def size(self) -> int:
        return int(self.limit) if self.limit else DEFAULT_QUEUE_PAGE


class FiledReportOut(Out):
    """A report as its reporter sees it: no other reporter, no moderator."""

    id: str
    circle_id: str
    kind: ReportKind
    target_id: str
    reason: ReportReason
    text: str
    created_at: UtcDatetime
    status: Literal["open", "decided"]
    outcome: Outcome | None

    @classmethod
    def of(cls, f: Filed) -> FiledReportOut:
        return cls(
            id=f.report.id,
            circle_id=f.report.circle_id,
            kind=f.item.kind,
            target_id=f.item.target_id,
            reason=f.report.reason,
            text=f.report.text,
            created_at=f.report.at,
            status="decided" if f.decision else "open",
            outcome=f.decision.outcome if f.decision else None,
        )


class FiledReportEnvelope(Out):
    report: FiledReportOut


class QueuedReportOut(Out):
    id: str
    reporter_id: str
    reporter_name: str | None  # None: the account is gone
    reason: ReportReason
    text: str
    created_at: UtcDatetime

    @classmethod
    def of(cls, r: Report, name: str | None) -> QueuedReportOut:
        return cls(
            id=r.id,
            reporter_id=r.reporter_id,
            reporter_name=name,
            reason=r.reason,
            text=r.text,
            created_at=r.at,
        )


class ReportDecisionOut(Out):
    outcome: Outcome
    decided_by: str
    reason: str
    decided_at: UtcDatetime

    @classmethod
    def of(cls, d: ReportDecision) -> ReportDecisionOut:
        return cls(outcome=d.outcome, decided_by=d.by, reason=d.reason, decided_at=d.at)


class ReportedPostOut(Out):
    id: str
    author_id: str
    text: str
    created_at: UtcDatetime

    @classmethod
    def of(cls, p: Post) -> ReportedPostOut:
        return cls(id=p.id, author_id=p.author_id, text=p.text, created_at=p.created_at)


class ReportSubjectOut(Out):
    user_id: str
    role: Role | None  # None: no longer a member
    joined_at: UtcDatetime | None
    history: list[AuditEntryOut]  # their latest moderation entries, newest first


class ReportContextOut(Out):
    messages: list[MessageOut]  # a message report: the reported message and those around it
    post: ReportedPostOut | None  # a post report, while the post exists
    subject: ReportSubjectOut

    @classmethod
    def of(cls, c: Context, subject_id: str) -> ReportContextOut:
        m = c.membership
        return cls(
            messages=[MessageOut.of(x) for x in c.messages],
            post=ReportedPostOut.of(c.post) if c.post else None,
            subject=ReportSubjectOut(
                user_id=subject_id,
                role=m.role if m else None,
                joined_at=m.joined_at if m else None,
                history=[AuditEntryOut.of(e) for e in c.history],
            ),
        )


class ReportItemOut(Out):
    id: str
    circle_id: str
    kind: ReportKind
    target_id: str
    subject_id: str  # the user reported: the sender, the author, or the member
    excerpt: str  # the reported text as first reported (kept after a removal)
    opened_at: UtcDatetime
    status: Literal["open", "decided"]
    report_count: int  # distinct reporters
    reasons: dict[str, int]  # reason -> reports
    reports: list[QueuedReportOut]  # oldest first
    decision: ReportDecisionOut | None
    context: ReportContextOut

    @classmethod
    def of(cls, q: QueueItem) -> ReportItemOut:
        i: ReportItem = q.item
        reasons: dict[str, int] = {}
        for r in q.reports:
            reasons[r.reason] = reasons.get(r.reason, 0) + 1
        return cls(
            id=i.id,
            circle_id=i.circle_id,
            kind=i.kind,
            target_id=i.target_id,
            subject_id=i.subject_id,
            excerpt=i.excerpt,
            opened_at=i.opened_at,
            status="decided" if q.decision else "open",
            report_count=len({r.reporter_id for r in q.reports}),
            reasons=reasons,
            reports=[
                QueuedReportOut.of(
                    r,
                    q.reporters[r.reporter_id].display_name
                    if r.reporter_id in q.reporters
                    else None,
                )
                for r in q.reports
            ],
            decision=ReportDecisionOut.of(q.decision) if q.decision else None,
            context=ReportContextOut.of(q.context, i.subject_id),
        )


class ReportItemEnvelope(Out):
    item: ReportItemOut


class ReportQueueOut(Out):
    items: list[ReportItemOut]  # newest first
    next_before: UtcDatetime | None  # pass as ``before`` for the next (older) page
