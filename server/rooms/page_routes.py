"""The circle page over HTTP: ``GET /api/circles/{id}/page``."""

from __future__ import annotations

from server.accounts.schemas import UserOut
from server.activities import cards
from server.activities.schemas import ActivityOut
from server.activities.service import ActivityService
from server.core import clock
from server.core.schemas import Out, UtcDatetime
from server.http.routing import Ctx, Route
from server.rooms.models import Role
from server.rooms.page import CirclePageService
from server.rooms.schemas import CircleOut


class OrganiserOut(Out):
    user: UserOut
    role: Role


class PagePostOut(Out):
    id: str
    author_id: str
    text: str
    tags: list[str]
    created_at: UtcDatetime


class CirclePageOut(Out):
    circle: CircleOut  # about: name, description, category, tags, member_count, my_role
    organisers: list[OrganiserOut]  # the owner first, then the admins
    member_count: int
    upcoming: list[ActivityOut]  # the next few, soonest first, cancelled ones left out
    posts: list[PagePostOut]  # newest first; empty until circle posts exist
    member: bool
    following: bool


def routes(pages: CirclePageService, activities: ActivityService) -> list[Route]:
    async def circle_page(ctx: Ctx) -> CirclePageOut:
        user = ctx.who.user
        p = await pages.page(user, ctx.path["id"])
        now = clock.now()
        return CirclePageOut(
            circle=CircleOut.of(p.circle, p.my_role, p.circle.owner_id in p.verified),
            organisers=[OrganiserOut(user=UserOut.of(u), role=r) for u, r in p.organisers],
            member_count=p.circle.member_count,
            upcoming=[
                cards.activity_out(
                    a, now, activities.calendar_url(a, user), a.organiser_id in p.verified
                )
                for a in p.upcoming
            ],
            posts=[
                PagePostOut(
                    id=x.id,
                    author_id=x.author_id,
                    text=x.text,
                    tags=list(x.tags),
                    created_at=x.created_at,
                )
                for x in p.posts
            ],
            member=p.my_role is not None,
            following=p.following,
        )

    return [
        Route(
            "GET",
            "/api/circles/{id}/page",
            circle_page,
            "The circle page: about, organisers, upcoming activities, recent posts",
            response=CirclePageOut,
            tags=["circles"],
        )
    ]
