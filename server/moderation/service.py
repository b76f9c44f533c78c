"""Moderation: mute, kick, ban and unban with reasons, the audit log, and the circle settings
that moderation needs (slow mode, rules, invite revocation).

Every action is checked against the permission table (rooms/access.require) and may only target
someone of a lower rank (permissions.outranks); every action that changed something is recorded
in the audit log (who, when, what, target, why). The send gate (gate.py) enforces mutes, rules
and slow mode.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from server.accounts.models import User
from server.accounts.service import AccountService
from server.core import clock
from server.core.errors import Conflict, Forbidden, NotFound
from server.core.ids import new_id
from server.moderation.models import Action, AuditEntry, Ban, Mute
from server.moderation.permissions import Permission, outranks
from server.moderation.repository import ModerationRepository
from server.rooms import access
from server.rooms.models import Circle, Membership
from server.rooms.repository import CircleRepository
from server.rooms.service import CircleService


class ModerationService:
    def __init__(
        self,
        repo: ModerationRepository,
        circle_repo: CircleRepository,
        circles: CircleService,
        accounts: AccountService,
    ) -> None:
        self.repo = repo
        self._circle_repo = circle_repo
        self._circles = circles
        self._accounts = accounts
        # told of every change the send gate keeps (mutes, slow mode, rules): the container
        # drops the gate's copy on every process
        self.changed: Callable[[str], Awaitable[None]] | None = None

    async def _changed(self, circle_id: str) -> None:
        if self.changed is not None:
            await self.changed(circle_id)

    # helpers ------------------------------------------------------------------------------

    async def staff(
        self, actor: User, circle_id: str, permission: Permission
    ) -> tuple[Circle, Membership]:
        return await access.require(self._circle_repo, circle_id, actor.id, permission)

    async def target(
        self, circle: Circle, actor: Membership, user_id: str, must_be_member: bool = True
    ) -> tuple[User, Membership | None]:
        """The user acted on: they exist, are not the actor, and rank below the actor."""
        user = await self._accounts.get_user(user_id)
        if user is None:
            raise NotFound("no such user")
        if user_id == actor.user_id:
            raise Forbidden("you cannot do this to yourself")
        membership = await self._circle_repo.get_membership(circle.id, user_id)
        if membership is None and must_be_member:
            raise Conflict("not_member", "that user is not a member of this circle")
        if not outranks(actor.role, membership.role if membership else None):
            raise Forbidden("you can only act on members below your role")
        return user, membership

    async def record(
        self,
        circle_id: str,
        actor_id: str,
        action: Action,
        target_id: str | None,
        reason: str,
        **details: object,
    ) -> None:
        await self.repo.record(
            AuditEntry(
                id=new_id(),
                circle_id=circle_id,
                at=clock.now(),
                actor_id=actor_id,
                action=action,
                target_id=target_id,
                reason=reason,
                details=dict(details),
            )
        )

    # members ------------------------------------------------------------------------------

    async def mute(
        self, actor: User, circle_id: str, user_id: str, seconds: int, reason: str
    ) -> Mute:
        """Mute (or mute again, replacing the end) for ``seconds``: the member still reads."""
        circle, me = await self.staff(actor, circle_id, "moderate")
        await self.target(circle, me, user_id)
        mute = Mute(circle.id, user_id, clock.now() + timedelta(seconds=seconds), actor.id, reason)
        await self.repo.put_mute(mute)
        await self._changed(circle.id)
        await self.record(circle.id, actor.id, "mute", user_id, reason, seconds=seconds)
        return mute

    async def unmute(self, actor: User, circle_id: str, user_id: str, reason: str) -> None:
        circle, me = await self.staff(actor, circle_id, "moderate")
        await self.target(circle, me, user_id)
        mute = await self.repo.get_mute(circle.id, user_id)
        if mute is None or mute.until <= clock.now():
            raise Conflict("not_muted", "that member is not muted")
        await self.repo.delete_mute(circle.id, user_id)
        await self._changed(circle.id)
        await self.record(circle.id, actor.id, "unmute", user_id, reason)

    async def kick(self, actor: User, circle_id: str, user_id: str, reason: str) -> None:
        """Remove the member; they may join again (a private circle: with a new invite)."""
        circle, me = await self.staff(actor, circle_id, "moderate")
        user, _ = await self.target(circle, me, user_id)
        await self._circles.remove_member(circle, user, "kicked")
        await self.record(circle.id, actor.id, "kick", user_id, reason)

    async def ban(self, actor: User, circle_id: str, user_id: str, reason: str) -> Ban:
        """Store the ban first, then remove the membership: a join racing the ban checks the
        ban again after storing its membership (rooms/service.join), so one of them sees the
        other. Banning again answers the stored ban and completes a removal a failure cut
        short; only the first ban is audited."""
        circle, me = await self.staff(actor, circle_id, "moderate")
        user, membership = await self.target(circle, me, user_id, must_be_member=False)
        ban = Ban(circle.id, user_id, clock.now(), actor.id, reason)
        created = await self.repo.insert_ban(ban)
        if not created:
            stored = await self.repo.get_ban(circle.id, user_id)
            ban = stored or ban
        if membership is not None or not created:
            await self._circles.remove_member(circle, user, "banned")
        if created:
            await self.record(circle.id, actor.id, "ban", user_id, reason)
        return ban

    async def unban(self, actor: User, circle_id: str, user_id: str, reason: str) -> None:
        circle, me = await self.staff(actor, circle_id, "moderate")
        if await self.repo.get_ban(circle.id, user_id) is None:
            raise Conflict("not_banned", "that user is not banned")
        await self.target(circle, me, user_id, must_be_member=False)
        if await self.repo.delete_ban(circle.id, user_id):
            await self.record(circle.id, actor.id, "unban", user_id, reason)

    async def bans(self, actor: User, circle_id: str) -> list[Ban]:
        circle, _ = await self.staff(actor, circle_id, "moderate")
        return await self.repo.bans(circle.id)

    async def is_banned(self, circle_id: str, user_id: str) -> bool:
        return await self.repo.get_ban(circle_id, user_id) is not None

    async def audit(
        self, actor: User, circle_id: str, before: datetime | None, limit: int
    ) -> list[AuditEntry]:
        circle, _ = await self.staff(actor, circle_id, "view_audit")
        return await self.repo.audit(circle.id, before, limit)

    async def message_removed(
        self, circle_id: str, actor_id: str, message_id: str, sender: str, reason: str
    ) -> None:
        """A moderator deleted someone else's message (messages/service.delete)."""
        await self.record(
            circle_id, actor_id, "delete_message", message_id, reason, sender_id=sender
        )

    # circle settings ----------------------------------------------------------------------

    async def set_slow_mode(self, actor: User, circle_id: str, seconds: int, reason: str) -> int:
        circle, _ = await self.staff(actor, circle_id, "manage_circle")
        await self._circle_repo.set_settings(circle.id, {"slow_mode_seconds": seconds})
        await self._changed(circle.id)
        await self.record(circle.id, actor.id, "slow_mode", None, reason, seconds=seconds)
        return seconds

    async def set_rules(self, actor: User, circle_id: str, text: str, reason: str) -> str:
        """New rules get a new version, which every member accepts before posting again;
        empty text removes the rules. Answers the version."""
        circle, _ = await self.staff(actor, circle_id, "manage_circle")
        version = new_id() if text else ""
        await self._circle_repo.set_settings(circle.id, {"rules": text, "rules_version": version})
        await self._changed(circle.id)
        await self.record(circle.id, actor.id, "rules", None, reason, version=version)
        return version

    async def revoke_invites(self, actor: User, circle_id: str, reason: str) -> None:
        """Every invite minted so far stops working (a new epoch; rooms/service.invite_ok)."""
        circle, _ = await self.staff(actor, circle_id, "manage_circle")
        await self._circle_repo.set_settings(circle.id, {"invite_epoch": new_id()})
        await self.record(circle.id, actor.id, "revoke_invites", None, reason)
