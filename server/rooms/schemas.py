"""Circle wire models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from server.accounts.schemas import UserOut
from server.core.schemas import Out, Slug, StrictIn, Text, Trimmed, UtcDatetime
from server.referrals.fields import ReferralFields
from server.rooms.models import Circle, Membership, Role

CircleName = Annotated[str, Trimmed(1, 80)]
Description = Annotated[str, Trimmed(0, 2000)]
# A signed token (URL-safe base64 and dots): anything else, a NUL included, is refused rather
# than ignored, even where no invite is needed.
Invite = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.=-]{1,1024}$")]


class CreateCircleIn(StrictIn):
    name: CircleName
    description: Description = ""
    category: Slug
    tags: Annotated[list[Slug], Field(max_length=10)] = []
    visibility: Literal["public", "private"] = "public"


class JoinCircleIn(ReferralFields):
    invite: Invite | None = None


class InvitePreviewIn(StrictIn):
    invite: Invite


class CircleQuery(StrictIn):
    q: Annotated[Text, StringConstraints(max_length=80)] | None = None
    category: Slug | None = None
    tag: Slug | None = None


class CircleOut(Out):
    id: str
    name: str
    description: str
    category: str
    tags: list[str]
    visibility: Literal["public", "private"]
    owner_id: str
    member_count: int
    conversation_id: str
    my_role: Role | None
    created_at: UtcDatetime
    slow_mode_seconds: int = 0  # one message per N seconds per member (moderators exempt)
    has_rules: bool = False  # members accept the rules (GET .../rules) before posting
    join_approval: bool = False  # joining takes a join request that staff approve
    join_questions: list[str] = []  # what a join request answers, in order
    invites_skip_approval: bool = False  # a valid invite joins without a request
    newcomer_link_hours: int = 0  # members' links are refused this long after joining
    # the owner is a verified organiser (server/trust/), looked up once per answer
    owner_verified: bool = False

    @classmethod
    def of(cls, c: Circle, my_role: Role | None, owner_verified: bool = False) -> CircleOut:
        return cls(
            id=c.id,
            name=c.name,
            description=c.description,
            category=c.category,
            tags=list(c.tags),
            visibility=c.visibility,
            owner_id=c.owner_id,
            member_count=c.member_count,
            conversation_id=c.conversation_id,
            my_role=my_role,
            created_at=c.created_at,
            slow_mode_seconds=c.slow_mode_seconds,
            has_rules=bool(c.rules_version),
            join_approval=c.join_approval,
            join_questions=list(c.join_questions),
            invites_skip_approval=c.invites_skip_approval,
            newcomer_link_hours=c.newcomer_link_hours,
            owner_verified=owner_verified,
        )


class CircleEnvelope(Out):
    circle: CircleOut


class CirclesOut(Out):
    circles: list[CircleOut]


class MembershipOut(Out):
    circle_id: str
    user_id: str
    role: Role
    joined_at: UtcDatetime

    @classmethod
    def of(cls, m: Membership) -> MembershipOut:
        return cls(circle_id=m.circle_id, user_id=m.user_id, role=m.role, joined_at=m.joined_at)


class MembershipEnvelope(Out):
    membership: MembershipOut


class MemberOut(Out):
    user: UserOut
    role: Role
    joined_at: UtcDatetime
    online: bool


class MembersOut(Out):
    members: list[MemberOut]


class InviteOut(Out):
    invite: str
    url: str


class InvitedCircleOut(Out):
    """What an invite already tells its holder: which circle it opens, by name. Nothing else
    (no description, members, owner or counts) reaches someone who has not joined yet."""

    id: str
    name: str


class InvitePreviewOut(Out):
    circle: InvitedCircleOut


class MemberCountOut(Out):
    """``circle:members``: a circle's member count after someone joined or left."""

    circle_id: str
    conversation_id: str
    member_count: int


class CircleRemovedOut(Out):
    """``circle:removed`` (to the user): a moderator kicked or banned them from the circle."""

    circle_id: str
    conversation_id: str
    reason: Literal["kicked", "banned"]


class RoleChangedOut(Out):
    """``circle:role`` (to the circle's channel): a member's role changed."""

    circle_id: str
    user_id: str
    role: Role
