"""Profile wire models."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from server.accounts.schemas import DisplayName, UserOut
from server.core.schemas import Id, Out, Slug, StrictIn, Trimmed, UtcDatetime
from server.rooms.models import Role, Visibility

MAX_BIO = 500
MAX_CITY = 64
MAX_INTERESTS = 10


class PatchProfileIn(StrictIn):
    """Only the fields given change; ``null`` clears the bio or the city."""

    display_name: DisplayName | None = None
    bio: Annotated[str, Trimmed(0, MAX_BIO)] | None = None
    interests: Annotated[list[Slug], Field(max_length=MAX_INTERESTS)] | None = None
    city: Annotated[str, Trimmed(0, MAX_CITY)] | None = None
    show_attended: bool | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> PatchProfileIn:
        # An empty body (or {}) is a client that meant something else: refused, not a no-op.
        if not self.model_fields_set:
            raise PydanticCustomError("empty", "name at least one field to change")
        return self


class AvatarIn(StrictIn):
    upload_id: Id  # an upload made with POST /api/uploads?purpose=avatar


class AvatarOut(Out):
    url: str  # the cropped square, at most 512 px
    thumbnail: str  # 96 px square


class ProfileCircleOut(Out):
    id: str
    name: str
    visibility: Visibility
    role: Role


class AttendedOut(Out):
    id: str
    circle_id: str
    title: str
    starts_at: UtcDatetime


class ProfileOut(Out):
    user: UserOut
    bio: str | None
    interests: list[str]
    city: str | None
    avatar: AvatarOut | None
    circles: list[ProfileCircleOut]  # to others: public circles only; to the member: all
    show_attended: bool
    attended: list[AttendedOut] | None  # None: not shown (the member has not opted in)
    posts: str  # the member feed's URL
    is_me: bool
    can_message: bool  # the "Message" button: dm:open would succeed


class ProfileEnvelope(Out):
    profile: ProfileOut


class UserEnvelope(Out):
    user: UserOut
