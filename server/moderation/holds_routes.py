"""Held newcomer message endpoints, under ``/api/circles/{id}/holds`` (moderation/holds.py)."""

from __future__ import annotations

from server.http.routing import Ctx, Route
from server.moderation.holds import HoldService
from server.moderation.holds_schemas import HoldDecideIn, HoldEnvelope, HoldOut, HoldsOut
from server.moderation.routes import MODERATE


def routes(holds: HoldService) -> list[Route]:
    async def list_holds(ctx: Ctx) -> HoldsOut:
        found = await holds.pending(ctx.who.user, ctx.path["id"])
        return HoldsOut(holds=[HoldOut.of(h, u) for u, h in found])

    async def approve_hold(ctx: Ctx) -> HoldEnvelope:
        h, message = await holds.approve(ctx.who.user, ctx.path["id"], ctx.path["hold_id"])
        return HoldEnvelope(hold=HoldOut.of(h, message_id=message.id))

    async def decline_hold(ctx: Ctx) -> HoldEnvelope:
        b: HoldDecideIn = ctx.body
        h = await holds.decline(ctx.who.user, ctx.path["id"], ctx.path["hold_id"], b.reason)
        return HoldEnvelope(hold=HoldOut.of(h))

    base = "/api/circles/{id}/holds"
    t = ["moderation"]
    return [
        Route(
            "GET",
            base,
            list_holds,
            "Newcomers' messages held for review, oldest first (moderators)",
            response=HoldsOut,
            tags=t,
        ),
        Route(
            "POST",
            f"{base}/{{hold_id}}/approve",
            approve_hold,
            "Approve a held message: it is posted as its sender",
            body=HoldDecideIn,
            response=HoldEnvelope,
            tags=t,
            budget=MODERATE,
        ),
        Route(
            "POST",
            f"{base}/{{hold_id}}/decline",
            decline_hold,
            "Decline a held message, with a reason the sender is told",
            body=HoldDecideIn,
            response=HoldEnvelope,
            tags=t,
            budget=MODERATE,
        ),
    ]
