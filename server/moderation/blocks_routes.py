"""Blocking endpoints (moderation/blocks.py), under ``/api/me/blocks``."""

from __future__ import annotations

from server.accounts.schemas import UserOut
from server.core.schemas import Id, Out, StrictIn, UtcDatetime
from server.http.routing import Ctx, Route
from server.moderation.blocks import BlockService


class BlockIn(StrictIn):
    user_id: Id


class BlockOut(Out):
    user: UserOut
    blocked_at: UtcDatetime


class BlockEnvelope(Out):
    block: BlockOut


class BlocksOut(Out):
    blocks: list[BlockOut]
    user_ids: list[str]  # the same users' ids: the client collapses their circle messages


def routes(blocks: BlockService) -> list[Route]:
    async def block(ctx: Ctx) -> BlockEnvelope:
        b: BlockIn = ctx.body
        user, found = await blocks.block(ctx.who.user, b.user_id)
        return BlockEnvelope(block=BlockOut(user=UserOut.of(user), blocked_at=found.at))

    async def unblock(ctx: Ctx) -> None:
        await blocks.unblock(ctx.who.user, ctx.path["id"])

    async def listed(ctx: Ctx) -> BlocksOut:
        found = await blocks.blocked(ctx.who.user)
        return BlocksOut(
            blocks=[BlockOut(user=UserOut.of(u), blocked_at=b.at) for u, b in found],
            user_ids=[u.id for u, _ in found],
        )

    t = ["blocks"]
    return [
        Route(
            "POST",
            "/api/me/blocks",
            block,
            "Block a user (idempotent)",
            body=BlockIn,
            response=BlockEnvelope,
            tags=t,
        ),
        Route("GET", "/api/me/blocks", listed, "The users you blocked", response=BlocksOut, tags=t),
        Route(
            "DELETE",
            "/api/me/blocks/{id}",
            unblock,
            "Unblock a user (idempotent)",
            status=204,
            tags=t,
        ),
    ]
