"""Publishing, reading, liking, commenting on and deleting circle posts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from server.accounts.models import User
from server.accounts.service import AccountService
from server.activities.service import ActivityService
from server.core import clock
from server.core.errors import Forbidden, Invalid, NotFound
from server.core.ids import new_id
from server.posts.access import PostAccess
from server.posts.models import PAGE, Comment, CommentPage, Post, PostImage
from server.posts.repository import PostRepository
from server.posts.schemas import CreatePostIn
from server.rooms.models import Role
from server.rooms.page import PagePost
from server.uploads.service import UploadService

# A feed answer reads at most this many stored pages (tombstones and posts the viewer may not
# see leave pages short); the cursor continues where it stopped.
MAX_PAGES_PER_READ = 5
T = TypeVar("T")


@dataclass(frozen=True)
class PostView:
    post: Post
    author: User | None
    liked: bool
    can_delete: bool


@dataclass(frozen=True)
class CommentView:
    comment: Comment
    author: User | None
    can_delete: bool


async def _walk(
    read: Callable[[int], Awaitable[list[T]]],
    start: int,
    keep: Callable[[T], Awaitable[bool]],
) -> tuple[list[T], int | None]:
    """Pages ``start``, ``start - 1``... until a page's worth is kept or the pages run out."""
    out: list[T] = []
    page = start
    for _ in range(MAX_PAGES_PER_READ):
        if page < 0 or len(out) >= PAGE:
            break
        out.extend([x for x in await read(page) if await keep(x)])
        page -= 1
    return out, (page if page >= 0 else None)


class PostService:
    def __init__(
        self,
        repo: PostRepository,
        access: PostAccess,
        accounts: AccountService,
        activities: ActivityService,
        uploads: UploadService,
    ) -> None:
        self._repo = repo
        self._access = access
        self._accounts = accounts
        self._activities = activities
        self._uploads = uploads

    # writing -----------------------------------------------------------------------------

    async def create(self, user: User, circle_id: str, data: CreatePostIn) -> PostView:
        """Checks everything (poster, images, activity) before storing anything; the images
        are marked attached just before the post is written (a post that then fails leaves
        them attached to nothing, hidden from nobody but never shown)."""
        await self._access.require_poster(user.id, circle_id, media=bool(data.images))
        if not data.text and not data.images:
            raise Invalid("a post needs text or an image", {"fields": {"text": "is empty"}})
        if len(set(data.images)) != len(data.images):
            raise Invalid("the input failed validation", {"fields": {"images": "repeated"}})
        title = None
        if data.activity_id is not None:
            title = await self._linked_title(user, circle_id, data.activity_id)
        uploads = await self._uploads.attach_scoped(user.id, "post", circle_id, data.images)
        images = [
            PostImage(u.id, u.content_type, u.width, u.height, u.thumbnail_type is not None)
            for u in uploads
        ]
        fields = {
            "text": data.text,
            "tags": list(dict.fromkeys(data.tags)),
            "activity_id": data.activity_id,
            "activity_title": title,
        }
        post = await self._repo.insert_post(
            new_id(), circle_id, user.id, fields, images, clock.now()
        )
        return PostView(post, user, False, True)

    async def _linked_title(self, user: User, circle_id: str, activity_id: str) -> str:
        try:
            activity = await self._activities.get(user, activity_id)
        except NotFound:
            activity = None
        if activity is None or activity.circle_id != circle_id:
            raise Invalid(
                "no such activity in this circle",
                {"fields": {"activity_id": "must be an activity of this circle"}},
            )
        return activity.title

    async def delete(self, user: User, post_id: str) -> None:
        post, role = await self._access.see_post(user.id, post_id)
        if not self._access.may_delete(user.id, post.author_id, role):
            raise Forbidden("only the author or the circle's owners and admins may delete it")
        await self._repo.tombstone(post_id)
        await self._uploads.hide([i.id for i in post.images])

    async def like(self, user: User, post_id: str, liked: bool) -> tuple[bool, int]:
        """Idempotent both ways; the count is recounted from the like documents."""
        await self._access.require_member_of_post(user.id, post_id)
        if liked:
            await self._repo.add_like(post_id, user.id, clock.now())
        else:
            await self._repo.remove_like(post_id, user.id)
        likes, _ = await self._repo.recount(post_id)
        return liked, likes

    async def comment(self, user: User, post_id: str, text: str) -> tuple[CommentView, int]:
        await self._access.require_member_of_post(user.id, post_id)
        c = await self._repo.insert_comment(new_id(), post_id, user.id, text, clock.now())
        _, count = await self._repo.recount(post_id)
        return CommentView(c, user, True), count

    async def delete_comment(self, user: User, post_id: str, comment_id: str) -> int:
        post, role = await self._access.see_post(user.id, post_id)
        c = await self._repo.get_comment(comment_id)
        if c is None or c.deleted or c.post_id != post.id:
            raise NotFound("no such comment")
        if not self._access.may_delete(user.id, c.author_id, role):
            raise Forbidden("only the author or the circle's owners and admins may delete it")
        await self._repo.tombstone_comment(comment_id)
        _, count = await self._repo.recount(post_id)
        return count

    async def set_members_can_post(self, user: User, circle_id: str, allowed: bool) -> bool:
        await self._access.require_organiser(user.id, circle_id)
        await self._repo.set_members_can_post(circle_id, allowed)
        return allowed

    # reading -----------------------------------------------------------------------------

    async def get(self, user: User, post_id: str) -> PostView:
        post, role = await self._access.see_post(user.id, post_id)
        return (await self._views(user, [post], {post.circle_id: role}))[0]

    async def circle_feed(
        self, user: User, circle_id: str, cursor: int | None
    ) -> tuple[list[PostView], int | None, bool, bool]:
        """Newest first: (posts, next cursor, may the caller post, may members post)."""
        role = await self._access.see_circle(user.id, circle_id)
        head = await self._repo.head("c", circle_id, "cslot", "posts")
        start = min(cursor, head // PAGE) if cursor is not None else head // PAGE

        async def keep(p: Post) -> bool:
            return not p.deleted

        posts, nxt = await _walk(lambda n: self._repo.circle_page(circle_id, n), start, keep)
        views = await self._views(user, posts, {circle_id: role})
        members = await self._repo.members_can_post(circle_id)
        return views, nxt, await self._access.may_post(role, circle_id), members

    async def member_feed(
        self, user: User, author_id: str, cursor: int | None
    ) -> tuple[list[PostView], int | None]:
        """The author's posts in circles the viewer can see, newest first."""
        if await self._accounts.get_user(author_id) is None:
            raise NotFound("no such user")
        head = await self._repo.head("a", author_id, "aslot", "posts")
        start = min(cursor, head // PAGE) if cursor is not None else head // PAGE
        roles: dict[str, Role | None] = {}
        hidden: set[str] = set()

        async def keep(p: Post) -> bool:
            if p.deleted or p.circle_id in hidden:
                return False
            if p.circle_id not in roles:
                try:
                    roles[p.circle_id] = await self._access.see_circle(user.id, p.circle_id)
                except NotFound:
                    hidden.add(p.circle_id)
                    return False
            return True

        posts, nxt = await _walk(lambda n: self._repo.author_page(author_id, n), start, keep)
        return await self._views(user, posts, roles), nxt

    async def comments(self, user: User, post_id: str, cursor: int | None) -> CommentPage:
        post, _ = await self._access.see_post(user.id, post_id)
        head = await self._repo.head("k", post_id, "kslot", "post_comments")
        start = min(cursor, head // PAGE) if cursor is not None else head // PAGE

        async def keep(c: Comment) -> bool:
            return not c.deleted

        found, nxt = await _walk(lambda n: self._repo.comment_page(post.id, n), start, keep)
        return CommentPage(found, nxt)

    async def comment_views(
        self, user: User, post_id: str, comments: list[Comment]
    ) -> list[CommentView]:
        _, role = await self._access.see_post(user.id, post_id)
        authors = await self._accounts.get_users(list({c.author_id for c in comments}))
        return [
            CommentView(
                c, authors.get(c.author_id), self._access.may_delete(user.id, c.author_id, role)
            )
            for c in comments
        ]

    async def _views(
        self, user: User, posts: list[Post], roles: dict[str, Role | None]
    ) -> list[PostView]:
        authors = await self._accounts.get_users(list({p.author_id for p in posts}))
        liked = await self._repo.liked([p.id for p in posts], user.id)
        return [
            PostView(
                p,
                authors.get(p.author_id),
                p.id in liked,
                self._access.may_delete(user.id, p.author_id, roles.get(p.circle_id)),
            )
            for p in posts
        ]

    # for other domains -------------------------------------------------------------------

    async def recent_for_page(self, circle_id: str, count: int) -> list[PagePost]:
        """The circle page's hook (rooms/page.py): the newest posts; the page has already
        checked that its caller may see the circle."""
        head = await self._repo.head("c", circle_id, "cslot", "posts")

        async def keep(p: Post) -> bool:
            return not p.deleted

        posts, _ = await _walk(lambda n: self._repo.circle_page(circle_id, n), head // PAGE, keep)
        return [PagePost(p.id, p.author_id, p.text, p.tags, p.created_at) for p in posts[:count]]

    async def check_can_upload(self, user_id: str, circle_id: str) -> None:
        """uploads.service.CircleGate: a post image only from someone who may post one here."""
        await self._access.require_poster(user_id, circle_id, media=True)

    async def can_see(self, user_id: str, circle_id: str) -> bool:
        return await self._access.can_see(user_id, circle_id)
