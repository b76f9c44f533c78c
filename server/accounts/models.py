"""Account domain objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class User:
    id: str
    handle: str
    display_name: str
    created_at: datetime
    bio: str | None = None
    avatar_url: str | None = None
    # Signed into every calendar key the user is given; replacing it (a rotation) voids them all.
    calendar_key: str = ""
    # profile (server/profiles/): interests as tags, a city, whether attended activities show,
    # and the upload the avatar is (avatar_url serves it)
    interests: tuple[str, ...] = ()
    city: str | None = None
    show_attended: bool = False
    avatar_id: str | None = None


@dataclass(frozen=True)
class Session:
    jti: str
    user_id: str
    expires_at: datetime
    revoked: bool


@dataclass(frozen=True)
class Principal:
    """Who is calling: the authenticated user and the session their token belongs to."""

    user: User
    jti: str
