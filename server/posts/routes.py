"""Circle posts over HTTP: feeds, publishing, likes, comments, the circle's posting setting."""

from __future__ import annotations

from server.accounts.schemas import UserOut
from server.core.ratelimit import Budget
from server.http.routing import Ctx, Route
from server.posts.schemas import (
    CircleFeedOut,
    CommentEnvelope,
    CommentIn,
    CommentOut,
    CommentsOut,
    CreatePostIn,
    FeedOut,
    FeedQuery,
    LikeOut,
    PostEnvelope,
    PostOut,
    PostSettingsIn,
    PostSettingsOut,
    comment_out,
    post_out,
)
from server.posts.service import CommentView, PostService, PostView

POST = Budget("post", per_minute=10, burst=5)
REACT = Budget("post-react", per_minute=120, burst=30)


def _out(v: PostView) -> PostOut:
    return post_out(v.post, UserOut.of(v.author) if v.author else None, v.liked, v.can_delete)


def _comment(v: CommentView) -> CommentOut:
    return comment_out(v.comment, UserOut.of(v.author) if v.author else None, v.can_delete)


def _cursor(q: FeedQuery) -> int | None:
    return int(q.cursor) if q.cursor is not None else None


def routes(posts: PostService) -> list[Route]:
    async def circle_feed(ctx: Ctx) -> CircleFeedOut:
        views, nxt, can_post, members = await posts.circle_feed(
            ctx.who.user, ctx.path["id"], _cursor(ctx.query)
        )
        return CircleFeedOut(
            posts=[_out(v) for v in views],
            next_cursor=str(nxt) if nxt is not None else None,
            can_post=can_post,
            members_can_post=members,
        )

    async def create(ctx: Ctx) -> PostEnvelope:
        view = await posts.create(ctx.who.user, ctx.path["id"], ctx.body)
        return PostEnvelope(post=_out(view))

    async def member_feed(ctx: Ctx) -> FeedOut:
        views, nxt = await posts.member_feed(ctx.who.user, ctx.path["id"], _cursor(ctx.query))
        return FeedOut(
            posts=[_out(v) for v in views],
            next_cursor=str(nxt) if nxt is not None else None,
        )

    async def get_post(ctx: Ctx) -> PostEnvelope:
        return PostEnvelope(post=_out(await posts.get(ctx.who.user, ctx.path["id"])))

    async def delete_post(ctx: Ctx) -> None:
        await posts.delete(ctx.who.user, ctx.path["id"])

    async def like(ctx: Ctx) -> LikeOut:
        liked, count = await posts.like(ctx.who.user, ctx.path["id"], True)
        return LikeOut(post_id=ctx.path["id"], liked_by_me=liked, like_count=count)

    async def unlike(ctx: Ctx) -> LikeOut:
        liked, count = await posts.like(ctx.who.user, ctx.path["id"], False)
        return LikeOut(post_id=ctx.path["id"], liked_by_me=liked, like_count=count)

    async def list_comments(ctx: Ctx) -> CommentsOut:
        found = await posts.comments(ctx.who.user, ctx.path["id"], _cursor(ctx.query))
        views = await posts.comment_views(ctx.who.user, ctx.path["id"], found.comments)
        return CommentsOut(
            comments=[_comment(v) for v in views],
            next_cursor=str(found.next_cursor) if found.next_cursor is not None else None,
        )

    async def add_comment(ctx: Ctx) -> CommentEnvelope:
        body: CommentIn = ctx.body
        view, count = await posts.comment(ctx.who.user, ctx.path["id"], body.text)
        return CommentEnvelope(comment=_comment(view), comment_count=count)

    async def delete_comment(ctx: Ctx) -> None:
        await posts.delete_comment(ctx.who.user, ctx.path["id"], ctx.path["comment_id"])

    async def settings(ctx: Ctx) -> PostSettingsOut:
        body: PostSettingsIn = ctx.body
        allowed = await posts.set_members_can_post(
            ctx.who.user, ctx.path["id"], body.members_can_post
        )
        return PostSettingsOut(circle_id=ctx.path["id"], members_can_post=allowed)

    t = ["posts"]
    circle = "/api/circles/{id}/posts"
    post = "/api/posts/{id}"
    return [
        Route(
            "GET",
            circle,
            circle_feed,
            "A circle's posts, newest first, paged by cursor",
            query=FeedQuery,
            response=CircleFeedOut,
            tags=t,
        ),
        Route(
            "POST",
            circle,
            create,
            "Publish a post to a circle (owners, admins; members if the circle allows)",
            body=CreatePostIn,
            response=PostEnvelope,
            status=201,
            budget=POST,
            tags=t,
        ),
        Route(
            "PUT",
            f"{circle}/settings",
            settings,
            "Whether members may post (organisers)",
            body=PostSettingsIn,
            response=PostSettingsOut,
            tags=t,
        ),
        Route(
            "GET",
            "/api/users/{id}/posts",
            member_feed,
            "A member's posts in circles the caller can see, newest first",
            query=FeedQuery,
            response=FeedOut,
            tags=t,
        ),
        Route("GET", post, get_post, "One post", response=PostEnvelope, tags=t),
        Route(
            "DELETE",
            post,
            delete_post,
            "Delete a post (its author; owners, admins, moderators)",
            tags=t,
        ),
        Route(
            "PUT",
            f"{post}/like",
            like,
            "Like a post (idempotent)",
            response=LikeOut,
            budget=REACT,
            tags=t,
        ),
        Route(
            "DELETE",
            f"{post}/like",
            unlike,
            "Take a like back (idempotent)",
            response=LikeOut,
            budget=REACT,
            tags=t,
        ),
        Route(
            "GET",
            f"{post}/comments",
            list_comments,
            "A post's comments, newest first",
            query=FeedQuery,
            response=CommentsOut,
            tags=t,
        ),
        Route(
            "POST",
            f"{post}/comments",
            add_comment,
            "Comment on a post (members)",
            body=CommentIn,
            response=CommentEnvelope,
            status=201,
            budget=REACT,
            tags=t,
        ),
        Route(
            "DELETE",
            f"{post}/comments/{{comment_id}}",
            delete_comment,
            "Delete a comment (author, circle owners and admins)",
            tags=t,
        ),
    ]
