"""Member lifecycle and RFM over HTTP (owners/admins; docs/protocol.md, "Member lifecycle and
RFM")."""

from __future__ import annotations

from server.http.routing import Ctx, Route
from server.reports.lifecycle import LifecycleService
from server.reports.lifecycle_schemas import (
    LifecycleIn,
    LifecycleOut,
    LifecycleQuery,
    MembersLifecycleOut,
    MemberTagsIn,
    MemberTagsOut,
)


def routes(lifecycle: LifecycleService) -> list[Route]:
    async def members(ctx: Ctx) -> MembersLifecycleOut:
        return await lifecycle.members(ctx.who.user, ctx.path["id"], ctx.query)

    async def put_thresholds(ctx: Ctx) -> LifecycleOut:
        return await lifecycle.put_thresholds(ctx.who.user, ctx.path["id"], ctx.body)

    async def put_member_tags(ctx: Ctx) -> MemberTagsOut:
        return await lifecycle.put_tags(ctx.who.user, ctx.path["id"], ctx.path["user_id"], ctx.body)

    t = ["reports"]
    return [
        Route(
            "GET",
            "/api/circles/{id}/members/lifecycle",
            members,
            "Each member's lifecycle stage, RFM score, segments and tags, filtered by stage, "
            "segment or tag (owners/admins)",
            query=LifecycleQuery,
            response=MembersLifecycleOut,
            tags=t,
        ),
        Route(
            "PUT",
            "/api/circles/{id}/lifecycle",
            put_thresholds,
            "Set the circle's lifecycle thresholds in days (owners/admins)",
            body=LifecycleIn,
            response=LifecycleOut,
            tags=t,
        ),
        Route(
            "PUT",
            "/api/circles/{id}/members/{user_id}/tags",
            put_member_tags,
            "Replace a member's tags, the organiser's classification (owners/admins)",
            body=MemberTagsIn,
            response=MemberTagsOut,
            tags=t,
        ),
    ]
