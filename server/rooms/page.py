"""The circle page: what a circle shows about itself (about, organisers, members, what is coming
up, recent posts) to whoever may see it, and whether the caller is a member or a follower.

One gate, the circles' own (``CircleService.get``): a public circle to anyone signed in, a
private one to its members only, and to everyone else the same ``not_found`` as a circle that
does not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from server.accounts.models import User
from server.accounts.service import AccountService
from server.activities.models import Activity
from server.activities.service import ActivityService
from server.rooms.follows import FollowService
from server.rooms.models import Circle, Role
from server.rooms.page_repository import CirclePageRepository
from server.rooms.service import CircleService

UPCOMING_ON_PAGE = 5
POSTS_ON_PAGE = 5


@dataclass(frozen=True)
class PagePost:
    """A circle post as the page lists it (circle posts are issue 12, item 6)."""

    id: str
    author_id: str
    text: str
    tags: tuple[str, ...]
    created_at: datetime


# The hook circle posts plug into: (circle id, how many) -> the newest posts, newest first.
# Until posts exist it is None and the page lists none.
RecentPosts = Callable[[str, int], Awaitable[list[PagePost]]]


@dataclass(frozen=True)
class CirclePage:
    circle: Circle
    my_role: Role | None
    organisers: list[tuple[User, Role]]  # the owner first, then the admins
    upcoming: list[Activity]
    posts: list[PagePost]
    following: bool
    verified: set[str]  # the verified organisers among the owner and the upcoming' organisers


class CirclePageService:
    def __init__(
        self,
        circles: CircleService,
        repo: CirclePageRepository,
        activities: ActivityService,
        follows: FollowService,
        accounts: AccountService,
    ) -> None:
        self._circles = circles
        self._repo = repo
        self._activities = activities
        self._follows = follows
        self._accounts = accounts
        self.recent_posts: RecentPosts | None = None

    async def page(self, user: User, circle_id: str) -> CirclePage:
        """``not_found`` for a private circle the user is not a member of, as for none."""
        circle, role = await self._circles.get(user, circle_id)
        admins = await self._repo.admins(circle.id)
        ids = [circle.owner_id, *[m.user_id for m in admins if m.user_id != circle.owner_id]]
        users = await self._accounts.get_users(ids)
        organisers: list[tuple[User, Role]] = [
            (users[i], "owner" if i == circle.owner_id else "admin") for i in ids if i in users
        ]
        found = await self._activities.upcoming_in(circle.id)
        upcoming = [a for a in found if not a.cancelled][:UPCOMING_ON_PAGE]
        posts = await self.recent_posts(circle.id, POSTS_ON_PAGE) if self.recent_posts else []
        following = circle.id in await self._follows.followed_ids(user.id)
        people = [circle.owner_id, *(a.organiser_id for a in upcoming)]
        verified = await self._circles.verified_users(people)
        return CirclePage(circle, role, organisers, upcoming, posts, following, verified)
