"""Upload domain objects and the one error of this package that has no generic code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from server.core.errors import DomainError


class TooLarge(DomainError):
    """413: a file over ``UPLOAD_MAX_BYTES``. Refused before the rest of it is read."""

    code = "too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(
            "the file is too large",
            {"fields": {"file": f"over {limit} bytes"}, "limit": limit},
        )

    @property
    def status(self) -> int:
        return 413


# What an upload is for: a message's attachment (``conversation``), a circle post's image
# (``post``, keyed by ``circle_id``), a profile picture (``avatar``) or an organiser's identity
# image (``verification``, server/trust/: seen by its uploader while pending, then by nobody
# through this package).
Scope = Literal["conversation", "post", "avatar", "verification"]


@dataclass(frozen=True)
class Upload:
    id: str
    conversation_id: str
    uploader_id: str
    name: str
    content_type: str
    size: int
    created_at: datetime
    width: int | None = None
    height: int | None = None
    thumbnail_type: str | None = None
    pending: bool = True
    hidden: bool = False
    scope: Scope = "conversation"
    circle_id: str | None = None  # the circle of a post image

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def file_id(self) -> str:
        return self.id

    @property
    def thumbnail_id(self) -> str:
        return f"{self.id}.thumb"
