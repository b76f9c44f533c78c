"""Circle endpoints."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from server.accounts.schemas import UserOut
from server.core.ratelimit import Budget
from server.http.routing import Ctx, Route
from server.rooms.schemas import (
    CircleEnvelope,
    CircleOut,
    CircleQuery,
    CirclesOut,
    CreateCircleIn,
    InvitedCircleOut,
    InviteOut,
    InvitePreviewIn,
    InvitePreviewOut,
    JoinCircleIn,
    MemberOut,
    MembershipEnvelope,
    MembershipOut,
    MembersOut,
)
from server.rooms.service import CircleService

OnlineLookup = Callable[[list[str]], Awaitable[dict[str, bool]]]

# Joining and leaving share one per-user budget: each moves the user's live sockets in or out
# of the circle's channel and recounts its members. The other routes use the HTTP defaults.
MEMBERSHIP = Budget("membership", per_minute=30, burst=10)


def routes(circles: CircleService, online: OnlineLookup) -> list[Route]:
    async def create_circle(ctx: Ctx) -> CircleEnvelope:
        circle, role = await circles.create(ctx.who.user, ctx.body)
        verified = circle.owner_id in await circles.verified_owners([circle])
        return CircleEnvelope(circle=CircleOut.of(circle, role, verified))

    async def list_circles(ctx: Ctx) -> CirclesOut:
        q: CircleQuery = ctx.query
        found = await circles.search(ctx.who.user, q.q, q.category, q.tag)
        verified = await circles.verified_owners(c for c, _ in found)
        return CirclesOut(
            circles=[CircleOut.of(c, role, c.owner_id in verified) for c, role in found]
        )

    async def get_circle(ctx: Ctx) -> CircleEnvelope:
        circle, role = await circles.get(ctx.who.user, ctx.path["id"])
        verified = circle.owner_id in await circles.verified_owners([circle])
        return CircleEnvelope(circle=CircleOut.of(circle, role, verified))

    async def join_circle(ctx: Ctx) -> MembershipEnvelope:
        body: JoinCircleIn = ctx.body
        membership = await circles.join(ctx.who.user, ctx.path["id"], body.invite, body.via())
        return MembershipEnvelope(membership=MembershipOut.of(membership))

    async def leave_circle(ctx: Ctx) -> None:
        await circles.leave(ctx.who.user, ctx.path["id"])

    async def list_members(ctx: Ctx) -> MembersOut:
        found = await circles.members(ctx.who.user, ctx.path["id"])
        status = await online([u.id for u, _ in found])
        return MembersOut(
            members=[
                MemberOut(
                    user=UserOut.of(u),
                    role=m.role,
                    joined_at=m.joined_at,
                    online=status.get(u.id, False),
                )
                for u, m in found
            ]
        )

    async def create_invite(ctx: Ctx) -> InviteOut:
        token, url = await circles.create_invite(ctx.who.user, ctx.path["id"])
        return InviteOut(invite=token, url=url)

    async def preview_invite(ctx: Ctx) -> InvitePreviewOut:
        body: InvitePreviewIn = ctx.body
        circle = await circles.preview_invite(ctx.path["id"], body.invite)
        return InvitePreviewOut(circle=InvitedCircleOut(id=circle.id, name=circle.name))

    tags = ["circles"]
    return [
        Route(
            "POST",
            "/api/circles",
            create_circle,
            "Create a circle",
            body=CreateCircleIn,
            response=CircleEnvelope,
            status=201,
            tags=tags,
        ),
        Route(
            "GET",
            "/api/circles",
            list_circles,
            "Search public circles and your own",
            query=CircleQuery,
            response=CirclesOut,
            tags=tags,
        ),
        Route(
            "GET", "/api/circles/{id}", get_circle, "A circle", response=CircleEnvelope, tags=tags
        ),
        Route(
            "POST",
            "/api/circles/{id}/join",
            join_circle,
            "Join (private: with an invite)",
            body=JoinCircleIn,
            response=MembershipEnvelope,
            tags=tags,
            budget=MEMBERSHIP,
        ),
        Route(
            "POST",
            "/api/circles/{id}/leave",
            leave_circle,
            "Leave",
            status=204,
            tags=tags,
            budget=MEMBERSHIP,
        ),
        Route(
            "GET",
            "/api/circles/{id}/members",
            list_members,
            "Members (members only)",
            response=MembersOut,
            tags=tags,
        ),
        Route(
            "POST",
            "/api/circles/{id}/invites",
            create_invite,
            "Mint an invite (owner/admin)",
            response=InviteOut,
            status=201,
            tags=tags,
        ),
        Route(
            "POST",
            "/api/circles/{id}/invite-preview",
            preview_invite,
            "The circle an invite opens, by name (no token needed)",
            body=InvitePreviewIn,
            response=InvitePreviewOut,
            auth=False,
            tags=tags,
        ),
    ]
