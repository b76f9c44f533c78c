"""The permission gate for posts: one place decides who sees, posts, reacts and deletes.

Seeing follows the circle (``CircleService.role_if_visible``): a public circle's posts to anyone
signed in, a private circle's to its members, and to everyone else ``not_found``, the same
answer as for a post that does not exist. Posting: the roles that manage the circle (owners and
admins), and every member when the circle's ``members_can_post`` is on; images only from roles
with ``post_media``. Commenting and liking: members. Deleting: the author, or roles with
``delete_messages``. Each role's share is the table's (moderation/permissions.py).
"""

from __future__ import annotations

from server.core.errors import Forbidden, NotFound
from server.moderation.permissions import allowed
from server.posts.models import Post
from server.posts.repository import PostRepository
from server.rooms.models import Role
from server.rooms.service import CircleService


class PostAccess:
    def __init__(self, circles: CircleService, repo: PostRepository) -> None:
        self._circles = circles
        self._repo = repo

    async def see_circle(self, user_id: str, circle_id: str) -> Role | None:
        """The viewer's role (None: a public circle they have not joined); ``not_found``."""
        return await self._circles.role_if_visible(user_id, circle_id)

    async def can_see(self, user_id: str, circle_id: str) -> bool:
        try:
            await self.see_circle(user_id, circle_id)
        except NotFound:
            return False
        return True

    async def see_post(self, user_id: str, post_id: str) -> tuple[Post, Role | None]:
        post = await self._repo.get_post(post_id)
        if post is None or post.deleted:
            raise NotFound("no such post")
        try:
            role = await self.see_circle(user_id, post.circle_id)
        except NotFound:
            raise NotFound("no such post") from None
        return post, role

    async def may_post(self, role: Role | None, circle_id: str) -> bool:
        if allowed(role, "manage_circle"):  # the circle's feed is its organisers' first
            return True
        # every other member (moderators and check-in staff included) when the circle lets them
        return role is not None and await self._repo.members_can_post(circle_id)

    async def require_poster(self, user_id: str, circle_id: str, media: bool = False) -> Role:
        """Someone who may post here (with ``media``: a post with images, or an image for one)."""
        role = await self.see_circle(user_id, circle_id)
        if role is None:
            raise Forbidden("members only")
        if not await self.may_post(role, circle_id):
            raise Forbidden("only the circle's owners and admins may post here")
        if media and not allowed(role, "post_media"):
            raise Forbidden(
                "your role in this circle may not post images", {"reason": "media_not_allowed"}
            )
        return role

    async def require_organiser(self, user_id: str, circle_id: str) -> None:
        """Who sets the circle's post settings (``manage_circle``)."""
        role = await self.see_circle(user_id, circle_id)
        if not allowed(role, "manage_circle"):
            raise Forbidden("circle owners and admins only")

    async def require_member_of_post(self, user_id: str, post_id: str) -> tuple[Post, Role]:
        post, role = await self.see_post(user_id, post_id)
        if role is None:
            raise Forbidden("members only")
        return post, role

    @staticmethod
    def may_delete(user_id: str, author_id: str, role: Role | None) -> bool:
        return user_id == author_id or allowed(role, "delete_messages")
