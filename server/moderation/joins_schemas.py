"""Wire models of join approval (moderation/joins.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from server.accounts.schemas import UserOut
from server.core.schemas import Id, Out, Reason, StrictIn, Trimmed, UtcDatetime
from server.moderation.joins_models import JoinRequest
from server.rooms.schemas import Invite

MAX_QUESTIONS = 5
Question = Annotated[str, Trimmed(1, 300)]
Answer = Annotated[str, Trimmed(1, 1000)]


class JoinApprovalIn(StrictIn):
    required: bool
    questions: Annotated[list[Question], Field(max_length=MAX_QUESTIONS)] = []
    invites_skip_approval: bool = False


class JoinRequestIn(StrictIn):
    answers: Annotated[list[Answer], Field(max_length=MAX_QUESTIONS)] = []
    invite: Invite | None = None  # a private circle takes requests only with a valid invite


class JoinDecideIn(StrictIn):
    user_id: Id
    reason: Reason = ""  # a decline's reason, shown to the requester


class JoinAnswerOut(Out):
    question: str
    answer: str


class JoinRequestOut(Out):
    circle_id: str
    user_id: str
    user: UserOut | None = None  # in the staff's list
    answers: list[JoinAnswerOut]
    status: Literal["pending", "approved", "declined", "withdrawn"]
    created_at: UtcDatetime
    decided_at: UtcDatetime | None
    reason: str

    @classmethod
    def of(cls, r: JoinRequest, user: UserOut | None = None) -> JoinRequestOut:
        return cls(
            circle_id=r.circle_id,
            user_id=r.user_id,
            user=user,
            answers=[
                JoinAnswerOut(question=q, answer=a)
                for q, a in zip(r.questions, r.answers, strict=True)
            ],
            status=r.status,
            created_at=r.created_at,
            decided_at=r.decided_at,
            reason=r.reason,
        )


class JoinRequestEnvelope(Out):
    request: JoinRequestOut


class JoinRequestsOut(Out):
    requests: list[JoinRequestOut]


class JoinDecidedOut(Out):
    """``circle:join_decided`` (to the requester): their join request was decided."""

    circle_id: str
    name: str
    status: Literal["approved", "declined", "withdrawn"]
    reason: str


class JoinRequestedOut(Out):
    """``circle:join_requested`` (to the circle's staff): someone asked to join."""

    circle_id: str
    request: JoinRequestOut
