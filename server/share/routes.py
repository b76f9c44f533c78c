"""The share API: a signed-in user's share URLs for an activity (the going link is minted
here, so only its owner can have it)."""

from __future__ import annotations

from server.http.routing import Ctx, Route
from server.share.schemas import ShareLinksOut
from server.share.service import ShareService


def routes(share: ShareService) -> list[Route]:
    async def share_links(ctx: Ctx) -> ShareLinksOut:
        found = await share.links_for(ctx.who.user, ctx.path["id"])
        return ShareLinksOut(
            activity=found.activity,
            circle=found.circle,
            going=found.going,
            poster_png=found.poster_png,
            poster_svg=found.poster_svg,
        )

    return [
        Route(
            "GET",
            "/api/activities/{id}/share",
            share_links,
            'Your share URLs for an activity (page, circle, your "I\'m going", posters)',
            response=ShareLinksOut,
            tags=["share"],
        )
    ]
