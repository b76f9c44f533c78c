"""Wire models of roles and moderation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from server.core.schemas import Id, Out, Reason, StrictIn, Text, UtcDatetime
from server.moderation.models import AuditEntry, Ban
from server.moderation.permissions import Permission
from server.rooms.models import Role

# Roles a member can be given; "owner" only by a transfer
Assignable = Literal["admin", "moderator", "checkin", "member"]
RulesText = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=5000)]

DEFAULT_AUDIT_PAGE = 50
_Time = Annotated[
    str, StringConstraints(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$")
]
_Limit = Annotated[str, StringConstraints(pattern=r"^(?:[1-9]|[1-9][0-9]|1[0-9][0-9]|200)$")]

MAX_MUTE_SECONDS = 90 * 24 * 3600
MAX_SLOW_MODE_SECONDS = 6 * 3600


class TargetIn(StrictIn):
    user_id: Id
    reason: Reason = ""


class MuteIn(TargetIn):
    seconds: Annotated[int, Field(ge=1, le=MAX_MUTE_SECONDS)]


class RoleIn(StrictIn):
    user_id: Id
    role: Assignable
    reason: Reason = ""


class TransferIn(StrictIn):
    user_id: Id
    reason: Reason = ""


class SlowModeIn(StrictIn):
    seconds: Annotated[int, Field(ge=0, le=MAX_SLOW_MODE_SECONDS)]
    reason: Reason = ""


class RulesIn(StrictIn):
    text: RulesText
    reason: Reason = ""


class AcceptRulesIn(StrictIn):
    version: Id


class AuditQuery(StrictIn):
    """Query strings are strings: ``before`` an ISO time (``next_before`` of the previous page),
    ``limit`` 1-200 (default 50)."""

    before: _Time | None = None
    limit: _Limit | None = None

    def before_at(self) -> datetime | None:
        return datetime.fromisoformat(self.before) if self.before else None

    def size(self) -> int:
        return int(self.limit) if self.limit else DEFAULT_AUDIT_PAGE


class RulesOut(Out):
    text: str
    version: str  # "" when the circle has no rules
    accepted: bool | None  # None: not a member


class RulesEnvelope(Out):
    rules: RulesOut


class PermissionsOut(Out):
    circle_id: str
    role: Role
    permissions: list[Permission]
    muted_until: UtcDatetime | None
    slow_mode_seconds: int
    rules: RulesOut


class MuteOut(Out):
    circle_id: str
    user_id: str
    muted_until: UtcDatetime


class BanOut(Out):
    circle_id: str
    user_id: str
    banned_at: UtcDatetime
    banned_by: str
    reason: str

    @classmethod
    def of(cls, b: Ban) -> BanOut:
        return cls(
            circle_id=b.circle_id,
            user_id=b.user_id,
            banned_at=b.at,
            banned_by=b.by,
            reason=b.reason,
        )


class BanEnvelope(Out):
    ban: BanOut


class BansOut(Out):
    bans: list[BanOut]


class SlowModeOut(Out):
    slow_mode_seconds: int


class AuditEntryOut(Out):
    id: str
    at: UtcDatetime
    actor_id: str
    action: str
    target_id: str | None
    reason: str
    details: dict[str, Any]

    @classmethod
    def of(cls, e: AuditEntry) -> AuditEntryOut:
        return cls(
            id=e.id,
            at=e.at,
            actor_id=e.actor_id,
            action=e.action,
            target_id=e.target_id,
            reason=e.reason,
            details=e.details,
        )


class AuditOut(Out):
    entries: list[AuditEntryOut]
    next_before: UtcDatetime | None  # pass as ``before`` for the next (older) page


class ReasonIn(StrictIn):
    reason: Reason = ""
