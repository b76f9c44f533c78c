"""Roles: what the caller may do in a circle, changing a member's role, and owner transfer.

Ownership moves without a transaction: each transfer claims the circle's next ownership number
(``owner:<circle>:<n>``, a unique ``_id``), so of two concurrent transfers by the owner exactly
one proceeds; its steps (the new owner's role, the old owner becoming an admin, then the circle's
``owner_id`` and number) are each idempotent, and retrying the same transfer completes them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from server.accounts.models import User
from server.core import clock
from server.core.errors import Conflict, Forbidden
from server.moderation.gate import SendGate
from server.moderation.models import Claim
from server.moderation.permissions import Permission, outranks, permissions_of
from server.moderation.service import ModerationService
from server.realtime import channels
from server.realtime.broadcaster import Broadcaster
from server.rooms import access
from server.rooms.models import Circle, Membership, Role
from server.rooms.repository import CircleRepository
from server.rooms.schemas import RoleChangedOut


class RoleService:
    def __init__(
        self,
        moderation: ModerationService,
        gate: SendGate,
        circle_repo: CircleRepository,
        broadcaster: Broadcaster,
    ) -> None:
        self._mod = moderation
        self._gate = gate
        self._circle_repo = circle_repo
        self._bus = broadcaster
        # the circle's ``owner_verified`` badge (server/trust/ through CircleService), wired by
        # the container; None: not shown
        self.badge: Callable[[Circle], Awaitable[bool]] | None = None

    async def permissions(
        self, user: User, circle_id: str
    ) -> tuple[Circle, Role, list[Permission], datetime | None, bool]:
        """The caller's role and permissions, mute and rules acceptance (members only)."""
        circle, membership = await access.require_member(self._circle_repo, circle_id, user.id)
        mute = await self._mod.repo.get_mute(circle.id, user.id)
        until = mute.until if mute is not None and mute.until > clock.now() else None
        accepted = await self._gate.accepted(circle, user.id)
        return circle, membership.role, permissions_of(membership.role), until, accepted

    async def set_role(
        self, actor: User, circle_id: str, user_id: str, role: Role, reason: str
    ) -> Membership:
        """Owners give any role but owner (that is a transfer); admins give moderator,
        check-in staff or member, to members below admin."""
        circle, me = await self._mod.staff(actor, circle_id, "manage_roles")
        _, target = await self._mod.target(circle, me, user_id)
        assert target is not None
        if not outranks(me.role, role):
            raise Forbidden("you can only give roles below your own")
        if target.role != role:
            await self._circle_repo.set_role(circle.id, user_id, role)
            await self._mod.record(
                circle.id, actor.id, "set_role", user_id, reason, role=role, was=target.role
            )
            await self._announce(circle, user_id, role)
        stored = await self._circle_repo.get_membership(circle.id, user_id)
        return stored or target

    async def owner_verified(self, circle: Circle) -> bool:
        return self.badge is not None and await self.badge(circle)

    async def transfer(self, actor: User, circle_id: str, user_id: str, reason: str) -> Circle:
        """Hand the circle to another member; the old owner becomes an admin."""
        circle, me = await access.require_member(self._circle_repo, circle_id, actor.id)
        if me.role != "owner":
            raise Forbidden("only the owner can hand over the circle")
        if user_id == actor.id:
            raise Conflict("already_owner", "you own this circle already")
        target = await self._circle_repo.get_membership(circle.id, user_id)
        if target is None:
            raise Conflict("not_member", "the new owner must be a member of the circle")
        n = circle.owner_gen + 1
        claim = Claim(f"owner:{circle.id}:{n}", clock.now(), actor.id, {"to": user_id})
        if not await self._mod.repo.claim(claim):
            won = await self._mod.repo.get_claim(claim.key)
            if won is None or won.owner != actor.id or won.data.get("to") != user_id:
                raise Conflict("ownership_changed", "the circle changed hands meanwhile")
        # The number moves last: a transfer that read it before sees the claim taken, and one
        # that reads it after reads the old owner's membership after it became admin.
        await self._circle_repo.set_role(circle.id, user_id, "owner")
        await self._circle_repo.set_role(circle.id, actor.id, "admin")
        await self._circle_repo.set_settings(circle.id, {"owner_id": user_id, "owner_gen": n})
        await self._mod.record(circle.id, actor.id, "transfer_ownership", user_id, reason)
        await self._announce(circle, user_id, "owner")
        await self._announce(circle, actor.id, "admin")
        fresh = await self._circle_repo.get_circle(circle.id)
        assert fresh is not None
        return fresh

    async def _announce(self, circle: Circle, user_id: str, role: Role) -> None:
        """``circle:role`` to the circle's members: whose role changed, to what."""
        await self._bus.to_channel(
            channels.conversation(circle.conversation_id),
            "circle:role",
            RoleChangedOut(circle_id=circle.id, user_id=user_id, role=role).model_dump(),
        )
