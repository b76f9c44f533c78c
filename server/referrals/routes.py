"""Referral counts over HTTP (organisers, circle owners/admins)."""

from __future__ import annotations

from server.http.routing import Ctx, Route
from server.referrals.schemas import ReferralsOut
from server.referrals.service import ReferralService


def routes(referrals: ReferralService) -> list[Route]:
    async def activity_referrals(ctx: Ctx) -> ReferralsOut:
        return ReferralsOut.of(await referrals.for_activity(ctx.who.user, ctx.path["id"]))

    async def circle_referrals(ctx: Ctx) -> ReferralsOut:
        return ReferralsOut.of(await referrals.for_circle(ctx.who.user, ctx.path["id"]))

    tags = ["referrals"]
    return [
        Route(
            "GET",
            "/api/activities/{id}/referrals",
            activity_referrals,
            "Sign-ups that came from share links, per sharer and channel (organiser)",
            response=ReferralsOut,
            tags=tags,
        ),
        Route(
            "GET",
            "/api/circles/{id}/referrals",
            circle_referrals,
            "Joins that came from share links, per sharer and channel (owner/admin)",
            response=ReferralsOut,
            tags=tags,
        ),
    ]
