"""Discovery and following endpoints."""

from __future__ import annotations

from server.core import clock
from server.core.ratelimit import Budget
from server.discovery.schemas import (
    ActivitiesPageOut,
    ActivitiesQuery,
    DiscoverOut,
    DiscoverQuery,
    DiscoveryItemOut,
    FollowedCircleOut,
    FollowingOut,
    FollowOut,
    PushOut,
    SectionOut,
    filters_of,
    near_of,
)
from server.discovery.service import DiscoveryService
from server.http.routing import Ctx, Route
from server.rooms.follows import FollowService
from server.rooms.models import Circle

DISCOVER = Budget("discover", per_minute=240, burst=60)
FOLLOW = Budget("follow", per_minute=60, burst=20)
# Pushing notifies a whole circle: a few a day is plenty (once per activity besides).
PUSH = Budget("activity_push", per_minute=0.2, burst=3)


def _circle_out(c: Circle) -> FollowedCircleOut:
    return FollowedCircleOut(
        id=c.id,
        name=c.name,
        category=c.category,
        tags=list(c.tags),
        visibility=c.visibility,
        member_count=c.member_count,
    )


def routes(discovery: DiscoveryService, follows: FollowService) -> list[Route]:
    async def list_activities(ctx: Ctx) -> ActivitiesPageOut:
        now = clock.now()
        items, cursor = await discovery.search(ctx.who.user, filters_of(ctx.query, now))
        return ActivitiesPageOut(
            items=[DiscoveryItemOut.of(i, now) for i in items], next_cursor=cursor
        )

    async def discover(ctx: Ctx) -> DiscoverOut:
        q: DiscoverQuery = ctx.query
        near, km = near_of(q.near, q.radius_km)
        now = clock.now()
        sections = await discovery.discover(ctx.who.user, near, km)
        return DiscoverOut(
            sections=[
                SectionOut(key=k, title=t, items=[DiscoveryItemOut.of(i, now) for i in items])
                for k, t, items in sections
            ]
        )

    async def follow(ctx: Ctx) -> FollowOut:
        circle, f = await follows.follow(ctx.who.user, ctx.path["id"])
        await discovery.changed([ctx.who.user.id])
        return FollowOut(circle=_circle_out(circle), following=True, followed_at=f.followed_at)

    async def unfollow(ctx: Ctx) -> FollowOut:
        await follows.unfollow(ctx.who.user, ctx.path["id"])
        await discovery.changed([ctx.who.user.id])
        circle = await follows.circle(ctx.path["id"])
        return FollowOut(circle=_circle_out(circle), following=False, followed_at=None)

    async def following(ctx: Ctx) -> FollowingOut:
        found = await follows.following(ctx.who.user)
        return FollowingOut(
            following=[
                FollowOut(circle=_circle_out(c), following=True, followed_at=f.followed_at)
                for c, f in found
            ]
        )

    async def push(ctx: Ctx) -> PushOut:
        n = await discovery.push(ctx.who.user, ctx.path["id"])
        return PushOut(activity_id=ctx.path["id"], notified=n)

    t = ["discovery"]
    return [
        Route(
            "GET",
            "/api/activities",
            list_activities,
            "Upcoming activities you may see (public circles and your private ones), filtered, "
            "by start time, paged by cursor",
            query=ActivitiesQuery,
            response=ActivitiesPageOut,
            budget=DISCOVER,
            tags=t,
        ),
        Route(
            "GET",
            "/api/discover",
            discover,
            "The Explore page: for you, this week, popular, from circles you follow, near you",
            query=DiscoverQuery,
            response=DiscoverOut,
            budget=DISCOVER,
            tags=t,
        ),
        Route(
            "POST",
            "/api/circles/{id}/follow",
            follow,
            "Follow a circle without joining it (idempotent)",
            response=FollowOut,
            budget=FOLLOW,
            tags=t,
        ),
        Route(
            "DELETE",
            "/api/circles/{id}/follow",
            unfollow,
            "Stop following a circle (idempotent)",
            response=FollowOut,
            budget=FOLLOW,
            tags=t,
        ),
        Route(
            "GET",
            "/api/me/following",
            following,
            "The circles you follow",
            response=FollowingOut,
            tags=t,
        ),
        Route(
            "POST",
            "/api/activities/{id}/push",
            push,
            "Notify every member of the circle about this activity (owners and admins; once)",
            response=PushOut,
            budget=PUSH,
            tags=t,
        ),
    ]
