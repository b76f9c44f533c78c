"""Post wire models."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from server.accounts.schemas import UserOut
from server.core.schemas import Id, Out, Slug, StrictIn, Trimmed, UtcDatetime
from server.posts.models import Comment, Post, PostImage

MAX_TEXT = 4000
MAX_COMMENT = 1000
MAX_IMAGES = 9
MAX_TAGS = 10

Cursor = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,9}$")]


class CreatePostIn(StrictIn):
    text: Annotated[str, Trimmed(0, MAX_TEXT)] = ""
    images: Annotated[list[Id], Field(max_length=MAX_IMAGES)] = []
    tags: Annotated[list[Slug], Field(max_length=MAX_TAGS)] = []
    activity_id: Id | None = None


class CommentIn(StrictIn):
    text: Annotated[str, Trimmed(1, MAX_COMMENT)]


class PostSettingsIn(StrictIn):
    members_can_post: bool


class FeedQuery(StrictIn):
    cursor: Cursor | None = None


class PostImageOut(Out):
    id: str
    content_type: str
    width: int | None
    height: int | None
    url: str
    thumbnail: str | None

    @classmethod
    def of(cls, i: PostImage) -> PostImageOut:
        return cls(
            id=i.id,
            content_type=i.content_type,
            width=i.width,
            height=i.height,
            url=f"/api/uploads/{i.id}",
            thumbnail=f"/api/uploads/{i.id}/thumbnail" if i.has_thumbnail else None,
        )


class LinkedActivityOut(Out):
    id: str
    title: str


class PostOut(Out):
    id: str
    circle_id: str
    author: UserOut | None  # None: the account is gone
    text: str
    tags: list[str]
    images: list[PostImageOut]
    activity: LinkedActivityOut | None
    like_count: int
    comment_count: int
    liked_by_me: bool
    can_delete: bool
    created_at: UtcDatetime


class PostEnvelope(Out):
    post: PostOut


class FeedOut(Out):
    posts: list[PostOut]  # newest first
    next_cursor: str | None  # pass as ?cursor= for older posts; None: no more


class CircleFeedOut(FeedOut):
    can_post: bool  # whether the caller may publish here
    members_can_post: bool


class CommentOut(Out):
    id: str
    post_id: str
    author: UserOut | None
    text: str
    can_delete: bool
    created_at: UtcDatetime


class CommentEnvelope(Out):
    comment: CommentOut
    comment_count: int


class CommentsOut(Out):
    comments: list[CommentOut]  # newest first
    next_cursor: str | None


class LikeOut(Out):
    post_id: str
    liked_by_me: bool
    like_count: int


class PostSettingsOut(Out):
    circle_id: str
    members_can_post: bool


def comment_out(c: Comment, author: UserOut | None, can_delete: bool) -> CommentOut:
    return CommentOut(
        id=c.id,
        post_id=c.post_id,
        author=author,
        text=c.text,
        can_delete=can_delete,
        created_at=c.created_at,
    )


def post_out(p: Post, author: UserOut | None, liked: bool, can_delete: bool) -> PostOut:
    return PostOut(
        id=p.id,
        circle_id=p.circle_id,
        author=author,
        text=p.text,
        tags=list(p.tags),
        images=[PostImageOut.of(i) for i in p.images],
        activity=(
            LinkedActivityOut(id=p.activity_id, title=p.activity_title or "")
            if p.activity_id
            else None
        ),
        like_count=p.like_count,
        comment_count=p.comment_count,
        liked_by_me=liked,
        can_delete=can_delete,
        created_at=p.created_at,
    )
