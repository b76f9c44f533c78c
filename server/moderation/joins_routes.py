"""Join approval endpoints, under ``/api/circles/{id}`` (moderation/joins.py)."""

from __future__ import annotations

from server.accounts.schemas import UserOut
from server.http.routing import Ctx, Route
from server.moderation import joins_schemas as s
from server.moderation.joins import JoinService
from server.moderation.routes import MODERATE
from server.rooms.routes import MEMBERSHIP
from server.rooms.schemas import CircleEnvelope, CircleOut, MembershipEnvelope, MembershipOut

CIRCLE = "/api/circles/{id}"


def routes(joins: JoinService) -> list[Route]:
    async def set_join_approval(ctx: Ctx) -> CircleEnvelope:
        b: s.JoinApprovalIn = ctx.body
        circle, role = await joins.configure(
            ctx.who.user, ctx.path["id"], b.required, b.questions, b.invites_skip_approval
        )
        return CircleEnvelope(circle=CircleOut.of(circle, role, await joins.owner_verified(circle)))

    async def request_to_join(ctx: Ctx) -> s.JoinRequestEnvelope:
        b: s.JoinRequestIn = ctx.body
        r = await joins.request(ctx.who.user, ctx.path["id"], b.answers, b.invite)
        return s.JoinRequestEnvelope(request=s.JoinRequestOut.of(r))

    async def join_requests(ctx: Ctx) -> s.JoinRequestsOut:
        found = await joins.pending(ctx.who.user, ctx.path["id"])
        return s.JoinRequestsOut(requests=[s.JoinRequestOut.of(r, UserOut.of(u)) for u, r in found])

    async def my_join_request(ctx: Ctx) -> s.JoinRequestEnvelope:
        r = await joins.mine(ctx.who.user, ctx.path["id"])
        return s.JoinRequestEnvelope(request=s.JoinRequestOut.of(r))

    async def withdraw_join_request(ctx: Ctx) -> None:
        await joins.withdraw(ctx.who.user, ctx.path["id"])

    async def approve_join_request(ctx: Ctx) -> MembershipEnvelope:
        b: s.JoinDecideIn = ctx.body
        m = await joins.approve(ctx.who.user, ctx.path["id"], b.user_id)
        return MembershipEnvelope(membership=MembershipOut.of(m))

    async def decline_join_request(ctx: Ctx) -> s.JoinRequestEnvelope:
        b: s.JoinDecideIn = ctx.body
        r = await joins.decline(ctx.who.user, ctx.path["id"], b.user_id, b.reason)
        return s.JoinRequestEnvelope(request=s.JoinRequestOut.of(r))

    t = ["moderation"]
    requests = f"{CIRCLE}/join-requests"
    return [
        Route(
            "PUT",
            f"{CIRCLE}/join-approval",
            set_join_approval,
            "Require approval to join, with up to 5 questions (owner/admin)",
            body=s.JoinApprovalIn,
            response=CircleEnvelope,
            tags=t,
            budget=MODERATE,
        ),
        Route(
            "POST",
            requests,
            request_to_join,
            "Ask to join a circle that approves its members",
            body=s.JoinRequestIn,
            response=s.JoinRequestEnvelope,
            status=201,
            tags=t,
            budget=MEMBERSHIP,
        ),
        Route(
            "GET",
            requests,
            join_requests,
            "Pending join requests (moderators)",
            response=s.JoinRequestsOut,
            tags=t,
        ),
        Route(
            "GET",
            f"{requests}/mine",
            my_join_request,
            "Your join request and its outcome",
            response=s.JoinRequestEnvelope,
            tags=t,
        ),
        Route(
            "DELETE",
            f"{requests}/mine",
            withdraw_join_request,
            "Withdraw your pending join request",
            status=204,
            tags=t,
            budget=MEMBERSHIP,
        ),
        Route(
            "POST",
            f"{requests}/approve",
            approve_join_request,
            "Approve a join request: the user becomes a member",
            body=s.JoinDecideIn,
            response=MembershipEnvelope,
            tags=t,
            budget=MODERATE,
        ),
        Route(
            "POST",
            f"{requests}/decline",
            decline_join_request,
            "Decline a join request, with a reason the user is told",
            body=s.JoinDecideIn,
            response=s.JoinRequestEnvelope,
            tags=t,
            budget=MODERATE,
        ),
    ]
