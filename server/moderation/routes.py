"""Roles and moderation endpoints, under ``/api/circles/{id}``. The target of an action is in
the body (``user_id``), with an optional ``reason`` recorded in the audit log."""

from __future__ import annotations

from pydantic import BaseModel

from server.core.ratelimit import Budget
from server.core.schemas import StrictIn
from server.http.routing import Ctx, Handler, Route
from server.moderation import schemas as s
from server.moderation.gate import SendGate
from server.moderation.roles import RoleService
from server.moderation.service import ModerationService
from server.rooms.schemas import CircleEnvelope, CircleOut, MembershipEnvelope, MembershipOut

# Moderation actions each move sockets, recount members or rewrite a circle: one shared,
# modest per-user budget. Reads use the HTTP defaults.
MODERATE = Budget("moderate", per_minute=60, burst=20)
CIRCLE = "/api/circles/{id}"


def routes(mod: ModerationService, roles: RoleService, gate: SendGate) -> list[Route]:
    async def permissions(ctx: Ctx) -> s.PermissionsOut:
        circle, role, perms, until, accepted = await roles.permissions(ctx.who.user, ctx.path["id"])
        return s.PermissionsOut(
            circle_id=circle.id,
            role=role,
            permissions=perms,
            muted_until=until,
            slow_mode_seconds=circle.slow_mode_seconds,
            rules=s.RulesOut(text=circle.rules, version=circle.rules_version, accepted=accepted),
        )

    async def set_role(ctx: Ctx) -> MembershipEnvelope:
        b: s.RoleIn = ctx.body
        m = await roles.set_role(ctx.who.user, ctx.path["id"], b.user_id, b.role, b.reason)
        return MembershipEnvelope(membership=MembershipOut.of(m))

    async def transfer(ctx: Ctx) -> CircleEnvelope:
        b: s.TransferIn = ctx.body
        circle = await roles.transfer(ctx.who.user, ctx.path["id"], b.user_id, b.reason)
        verified = await roles.owner_verified(circle)  # the new owner's badge
        return CircleEnvelope(circle=CircleOut.of(circle, "admin", verified))

    async def mute(ctx: Ctx) -> s.MuteOut:
        b: s.MuteIn = ctx.body
        m = await mod.mute(ctx.who.user, ctx.path["id"], b.user_id, b.seconds, b.reason)
        return s.MuteOut(circle_id=m.circle_id, user_id=m.user_id, muted_until=m.until)

    async def unmute(ctx: Ctx) -> None:
        b: s.TargetIn = ctx.body
        await mod.unmute(ctx.who.user, ctx.path["id"], b.user_id, b.reason)

    async def kick(ctx: Ctx) -> None:
        b: s.TargetIn = ctx.body
        await mod.kick(ctx.who.user, ctx.path["id"], b.user_id, b.reason)

    async def ban(ctx: Ctx) -> s.BanEnvelope:
        b: s.TargetIn = ctx.body
        return s.BanEnvelope(
            ban=s.BanOut.of(await mod.ban(ctx.who.user, ctx.path["id"], b.user_id, b.reason))
        )

    async def unban(ctx: Ctx) -> None:
        b: s.TargetIn = ctx.body
        await mod.unban(ctx.who.user, ctx.path["id"], b.user_id, b.reason)

    async def bans(ctx: Ctx) -> s.BansOut:
        found = await mod.bans(ctx.who.user, ctx.path["id"])
        return s.BansOut(bans=[s.BanOut.of(b) for b in found])

    async def audit(ctx: Ctx) -> s.AuditOut:
        q: s.AuditQuery = ctx.query
        size = q.size()
        found = await mod.audit(ctx.who.user, ctx.path["id"], q.before_at(), size + 1)
        page = found[:size]
        return s.AuditOut(
            entries=[s.AuditEntryOut.of(e) for e in page],
            next_before=page[-1].at if len(found) > size else None,
        )

    async def slow_mode(ctx: Ctx) -> s.SlowModeOut:
        b: s.SlowModeIn = ctx.body
        seconds = await mod.set_slow_mode(ctx.who.user, ctx.path["id"], b.seconds, b.reason)
        return s.SlowModeOut(slow_mode_seconds=seconds)

    async def get_rules(ctx: Ctx) -> s.RulesEnvelope:
        circle, accepted = await gate.rules(ctx.who.user, ctx.path["id"])
        return s.RulesEnvelope(
            rules=s.RulesOut(text=circle.rules, version=circle.rules_version, accepted=accepted)
        )

    async def set_rules(ctx: Ctx) -> s.RulesEnvelope:
        b: s.RulesIn = ctx.body
        version = await mod.set_rules(ctx.who.user, ctx.path["id"], b.text, b.reason)
        # the author need not accept their own rules to post (staff are exempt), but a
        # moderator's acceptance is not recorded either: accepted is what the gate would say
        return s.RulesEnvelope(rules=s.RulesOut(text=b.text, version=version, accepted=None))

    async def accept_rules(ctx: Ctx) -> s.RulesEnvelope:
        b: s.AcceptRulesIn = ctx.body
        circle = await gate.accept(ctx.who.user, ctx.path["id"], b.version)
        return s.RulesEnvelope(
            rules=s.RulesOut(text=circle.rules, version=circle.rules_version, accepted=True)
        )

    async def revoke_invites(ctx: Ctx) -> None:
        b: s.ReasonIn = ctx.body
        await mod.revoke_invites(ctx.who.user, ctx.path["id"], b.reason)

    t = ["moderation"]
    w = MODERATE

    def post(
        path: str,
        h: Handler,
        summary: str,
        body: type[StrictIn],
        response: type[BaseModel] | None = None,
        status: int = 200,
    ) -> Route:
        return Route(
            "POST", f"{CIRCLE}/{path}", h, summary, body, None, response, status, tags=t, budget=w
        )

    return [
        Route(
            "GET",
            f"{CIRCLE}/permissions",
            permissions,
            "Your role and permissions (members)",
            response=s.PermissionsOut,
            tags=t,
        ),
        Route(
            "PUT",
            f"{CIRCLE}/roles",
            set_role,
            "Change a member's role (owner/admin)",
            body=s.RoleIn,
            response=MembershipEnvelope,
            tags=t,
            budget=w,
        ),
        post(
            "transfer",
            transfer,
            "Hand the circle to another member (owner)",
            s.TransferIn,
            response=CircleEnvelope,
        ),
        post("mute", mute, "Mute a member for a while", s.MuteIn, response=s.MuteOut),
        post("unmute", unmute, "Lift a mute", s.TargetIn, status=204),
        post("kick", kick, "Remove a member (they may rejoin)", s.TargetIn, status=204),
        post("ban", ban, "Ban a user (removed, cannot rejoin)", s.TargetIn, response=s.BanEnvelope),
        post("unban", unban, "Lift a ban", s.TargetIn, status=204),
        Route(
            "GET", f"{CIRCLE}/bans", bans, "Banned users (moderators)", response=s.BansOut, tags=t
        ),
        Route(
            "GET",
            f"{CIRCLE}/audit",
            audit,
            "The moderation audit log, newest first",
            query=s.AuditQuery,
            response=s.AuditOut,
            tags=t,
        ),
        Route(
            "PUT",
            f"{CIRCLE}/slow-mode",
            slow_mode,
            "Set slow mode (0: off)",
            body=s.SlowModeIn,
            response=s.SlowModeOut,
            tags=t,
            budget=w,
        ),
        Route(
            "GET",
            f"{CIRCLE}/rules",
            get_rules,
            "The circle's rules",
            response=s.RulesEnvelope,
            tags=t,
        ),
        Route(
            "PUT",
            f"{CIRCLE}/rules",
            set_rules,
            "Set the rules ('' removes them)",
            body=s.RulesIn,
            response=s.RulesEnvelope,
            tags=t,
            budget=w,
        ),
        post(
            "rules/accept",
            accept_rules,
            "Accept the current rules",
            s.AcceptRulesIn,
            response=s.RulesEnvelope,
        ),
        post(
            "invites/revoke",
            revoke_invites,
            "Revoke every invite link so far",
            s.ReasonIn,
            status=204,
        ),
    ]
