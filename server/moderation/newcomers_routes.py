"""Newcomer link hold setting (moderation/newcomers.py), under ``/api/circles/{id}``."""

from __future__ import annotations

from server.http.routing import Ctx, Route
from server.moderation.newcomers import NewcomerService
from server.moderation.newcomers_schemas import NewcomersIn
from server.moderation.routes import MODERATE
from server.rooms.schemas import CircleEnvelope, CircleOut


def routes(newcomers: NewcomerService) -> list[Route]:
    async def set_newcomer_link_hold(ctx: Ctx) -> CircleEnvelope:
        b: NewcomersIn = ctx.body
        circle, role = await newcomers.configure(ctx.who.user, ctx.path["id"], b.link_hours)
        verified = await newcomers.owner_verified(circle)
        return CircleEnvelope(circle=CircleOut.of(circle, role, verified))

    return [
        Route(
            "PUT",
            "/api/circles/{id}/newcomers",
            set_newcomer_link_hold,
            "Refuse newcomers' links for N hours after joining (owner/admin; 0: off)",
            body=NewcomersIn,
            response=CircleEnvelope,
            tags=["moderation"],
            budget=MODERATE,
        )
    ]
