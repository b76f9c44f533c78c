"""Post domain objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

PAGE = 20  # posts (and comments) per stored page; a feed answer is at least one page's worth


@dataclass(frozen=True)
class PostImage:
    id: str
    content_type: str
    width: int | None
    height: int | None
    has_thumbnail: bool


@dataclass(frozen=True)
class Post:
    id: str
    circle_id: str
    author_id: str
    text: str
    tags: tuple[str, ...]
    images: tuple[PostImage, ...]
    activity_id: str | None
    activity_title: str | None
    created_at: datetime
    n: int  # circle slot
    m: int  # author slot
    like_count: int = 0
    comment_count: int = 0
    deleted: bool = False


@dataclass(frozen=True)
class Comment:
    id: str
    post_id: str
    author_id: str
    text: str
    created_at: datetime
    k: int  # slot within the post
    deleted: bool = False


@dataclass(frozen=True)
class CommentPage:
    comments: list[Comment]
    next_cursor: int | None
