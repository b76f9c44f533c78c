"""Outreach over HTTP (owners/admins; docs/protocol.md, "Outreach")."""

from __future__ import annotations

from server.http.routing import Ctx, Route
from server.outreach.schemas import OutreachEnvelope, OutreachIn, OutreachListOut
from server.outreach.service import OutreachService


def routes(outreach: OutreachService) -> list[Route]:
    async def send_outreach(ctx: Ctx) -> OutreachEnvelope:
        return await outreach.send(ctx.who, ctx.path["id"], ctx.body)

    async def list_outreach(ctx: Ctx) -> OutreachListOut:
        return await outreach.sends(ctx.who.user, ctx.path["id"])

    t = ["reports"]
    return [
        Route(
            "POST",
            "/api/circles/{id}/outreach",
            send_outreach,
            "Message, invite or announce to chosen members or a segment (owners/admins)",
            body=OutreachIn,
            response=OutreachEnvelope,
            status=201,
            tags=t,
        ),
        Route(
            "GET",
            "/api/circles/{id}/outreach",
            list_outreach,
            "The circle's outreach sends with their counts, newest first (owners/admins)",
            response=OutreachListOut,
            tags=t,
        ),
    ]
