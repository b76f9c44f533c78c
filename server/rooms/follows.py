"""Following circles, and the reads of circles and memberships that discovery needs.

Following is not membership: a follower sees what anyone who can see the circle sees and is told
when it posts a new activity. A private circle can be followed only by someone who can see it
(a member); to anyone else it is ``not_found``, as everywhere.
"""

from __future__ import annotations

from server.accounts.models import User
from server.core import clock
from server.core.errors import Conflict, NotFound
from server.rooms.follows_repository import Follow, FollowRepository
from server.rooms.models import Circle, Role
from server.rooms.repository import CircleRepository
from server.rooms.service import CircleService

MAX_FOLLOWS = 500  # per user: "from circles you follow" reads one bucket family per circle


class FollowService:
    def __init__(
        self, repo: FollowRepository, circles: CircleService, circle_repo: CircleRepository
    ) -> None:
        self._repo = repo
        self._circles = circles
        self._circle_repo = circle_repo

    async def follow(self, user: User, circle_id: str) -> tuple[Circle, Follow]:
        """Idempotent. ``not_found`` for a circle the user cannot see; ``conflict``
        (``too_many_follows``) past MAX_FOLLOWS."""
        circle, _ = await self._circles.get(user, circle_id)
        mine = await self._repo.of_user(user.id)
        existing = next((f for f in mine if f.circle_id == circle_id), None)
        if existing is not None:
            return circle, existing
        if len(mine) >= MAX_FOLLOWS:
            raise Conflict("too_many_follows", f"you can follow at most {MAX_FOLLOWS} circles")
        f = Follow(circle_id=circle_id, user_id=user.id, followed_at=clock.now())
        return circle, await self._repo.add(f)

    async def unfollow(self, user: User, circle_id: str) -> None:
        """Idempotent; ``not_found`` for a circle the user cannot see."""
        await self._circles.get(user, circle_id)
        await self._repo.remove(circle_id, user.id)

    async def following(self, user: User) -> list[tuple[Circle, Follow]]:
        """The circles ``user`` follows and can still see (a private circle they left drops
        out), most recently followed first."""
        follows = await self._repo.of_user(user.id)
        circles = await self._circle_repo.get_circles([f.circle_id for f in follows])
        roles = await self.memberships_of(user.id)
        out = [
            (circles[f.circle_id], f)
            for f in follows
            if f.circle_id in circles
            and (circles[f.circle_id].visibility == "public" or f.circle_id in roles)
        ]
        return sorted(out, key=lambda cf: cf[1].followed_at, reverse=True)

    async def followed_ids(self, user_id: str) -> list[str]:
        """Ids only, unchecked: callers check visibility per card."""
        return [f.circle_id for f in await self._repo.of_user(user_id)]

    async def followers(self, circle_id: str) -> list[str]:
        return await self._repo.followers(circle_id)

    # reads for discovery (circles and memberships, no permission decided here) -----------

    async def memberships_of(self, user_id: str) -> dict[str, Role]:
        return {m.circle_id: m.role for m in await self._circle_repo.memberships_of_user(user_id)}

    async def circles(self, circle_ids: list[str]) -> dict[str, Circle]:
        return await self._circle_repo.get_circles(circle_ids)

    async def circle(self, circle_id: str) -> Circle:
        found = await self._circle_repo.get_circle(circle_id)
        if found is None:
            raise NotFound("no such circle")
        return found

    async def member_ids(self, circle_id: str) -> list[str]:
        return [m.user_id for m in await self._circle_repo.members(circle_id, limit=5000)]
