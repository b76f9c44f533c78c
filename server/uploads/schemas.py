"""Upload wire models."""

from __future__ import annotations

from typing import Literal

from server.core.schemas import Id, Out, StrictIn, UtcDatetime
from server.uploads.models import Scope, Upload


class UploadQuery(StrictIn):
    # The conversation may come here (checked before the body is read) or as a form field.
    conversation_id: Id | None = None
    # A circle post's image (server/posts/): the circle, instead of a conversation.
    circle_id: Id | None = None
    # A profile picture (PUT /api/me/avatar then uses it): cropped square on upload.
    # An organiser's identity image (POST /api/me/verification then uses it).
    purpose: Literal["avatar", "verification"] | None = None


class UploadOut(Out):
    id: str
    conversation_id: str  # empty for a post image or an avatar
    scope: Scope
    circle_id: str | None
    name: str
    content_type: str
    size: int
    width: int | None
    height: int | None
    url: str
    thumbnail: str | None
    created_at: UtcDatetime

    @classmethod
    def of(cls, u: Upload) -> UploadOut:
        return cls(
            id=u.id,
            conversation_id=u.conversation_id,
            scope=u.scope,
            circle_id=u.circle_id,
            name=u.name,
            content_type=u.content_type,
            size=u.size,
            width=u.width,
            height=u.height,
            url=f"/api/uploads/{u.id}",
            thumbnail=f"/api/uploads/{u.id}/thumbnail" if u.thumbnail_type else None,
            created_at=u.created_at,
        )


class UploadEnvelope(Out):
    upload: UploadOut
