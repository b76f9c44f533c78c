"""Account wire models."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from server.accounts.models import User
from server.core.schemas import Out, StrictIn, Trimmed, UtcDatetime, is_blank


def _not_blank(password: str) -> str:
    # Kept exactly as typed (spaces inside and around are part of it), but never only spaces.
    if is_blank(password):
        raise ValueError("must not be only whitespace")
    return password


Handle = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{3,32}$")]
Password = Annotated[
    str, StringConstraints(min_length=8, max_length=256), AfterValidator(_not_blank)
]
DisplayName = Annotated[str, Trimmed(1, 64)]


class RegisterIn(StrictIn):
    handle: Handle
    password: Password
    display_name: DisplayName


class LoginIn(StrictIn):
    handle: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class UserOut(Out):
    id: str
    handle: str
    display_name: str
    bio: str | None = None
    avatar_url: str | None = None
    created_at: UtcDatetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            handle=user.handle,
            display_name=user.display_name,
            bio=user.bio,
            avatar_url=user.avatar_url,
            created_at=user.created_at,
        )


class AuthOut(Out):
    token: str
    user: UserOut


class MeOut(Out):
    user: UserOut
