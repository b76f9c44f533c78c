"""Held newcomer messages: a newcomer's link is held for staff review instead of refused.

Where a circle sets ``newcomer_link_hours`` (newcomers.py), a member's message with a link within
that many hours of joining is not stored in the log: the send gate (gate.py) hands it here, it is
kept as a pending hold, and the send is answered ``forbidden`` (``details: {reason:
"held_for_review", hold_id}``) so the client does not show it as sent. Staff (``moderate``) are
told with ``circle:link_held``, list the pending holds and approve (the message is posted as the
sender through the log's own write path, so seq, rev, fan-out, search and ``@handle`` mentions
apply as for any send) or decline. A retried send (same client id) finds its hold: the hold's id
is derived from the sender and the client id. Each hold is decided once (a unique decision,
holds_repository.py); the loser of a race is answered ``conflict`` (``already_decided``), and the
approved message is posted under a key derived from the hold, so a decider cut short and healed
never posts it twice. The sender is told the outcome with ``circle:hold_decided``; decisions are
audited (``approve_hold``, ``decline_hold``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from server.accounts.models import User
from server.accounts.schemas import UserOut
from server.accounts.service import AccountService
from server.core import clock
from server.core.errors import Conflict, Forbidden, NotFound
from server.messages.models import Message
from server.messages.service import MessageService
from server.moderation.holds_models import Hold, HoldDecision, HoldOutcome
from server.moderation.holds_repository import HoldRepository, hold_id
from server.moderation.holds_schemas import HoldDecidedOut
from server.moderation.newcomers_schemas import LinkHeldOut
from server.moderation.permissions import allowed
from server.realtime.broadcaster import Broadcaster
from server.rooms import access
from server.rooms.models import Circle
from server.rooms.repository import CircleRepository


class HoldService:
    def __init__(
        self,
        repo: HoldRepository,
        circle_repo: CircleRepository,
        accounts: AccountService,
        messages: MessageService,
        broadcaster: Broadcaster,
    ) -> None:
        self._repo = repo
        self._circle_repo = circle_repo
        self._accounts = accounts
        self._messages = messages
        self._bus = broadcaster
        # the moderation audit log (ModerationService.record), wired by the container
        self.audit: Callable[..., Awaitable[None]] | None = None

    async def hold(self, circle: Circle, user_id: str, client_id: str, text: str) -> Forbidden:
        """Keep a newcomer's message for review (once per client id) and answer the refusal
        the send gets. Staff are told of a new hold only, not of a retry."""
        h = Hold(
            id=hold_id(user_id, client_id),
            circle_id=circle.id,
            conversation_id=circle.conversation_id,
            sender_id=user_id,
            text=text,
            client_id=client_id,
            created_at=clock.now(),
        )
        if await self._repo.put(h):
            await self._tell_staff(circle, h)
        return Forbidden(
            "Held for review: a moderator will approve or decline it",  # shown as is by web/
            {"reason": "held_for_review", "hold_id": h.id},
        )

    async def _tell_staff(self, circle: Circle, h: Hold) -> None:
        """``circle:link_held`` to each member with ``moderate`` (a read of the members, only on
        this rare path)."""
        out = LinkHeldOut(
            circle_id=circle.id, user_id=h.sender_id, text=h.text, hold_id=h.id
        ).model_dump()
        for m in await self._circle_repo.members(circle.id, limit=5000):
            if allowed(m.role, "moderate"):
                await self._bus.to_user(m.user_id, "circle:link_held", out)

    async def pending(self, actor: User, circle_id: str) -> list[tuple[UserOut | None, Hold]]:
        """Staff (``moderate``): the pending holds, oldest first."""
        circle, _ = await access.require(self._circle_repo, circle_id, actor.id, "moderate")
        found = await self._repo.pending(circle.id)
        users = await self._accounts.get_users(list({h.sender_id for h in found}))
        return [
            (UserOut.of(users[h.sender_id]) if h.sender_id in users else None, h) for h in found
        ]

    async def approve(self, actor: User, circle_id: str, hold: str) -> tuple[Hold, Message]:
        circle, h = await self._staff_target(actor, circle_id, hold)
        sender = await self._accounts.get_user(h.sender_id)
        if sender is None:
            raise NotFound("the sender's account is gone")
        if await self._circle_repo.get_membership(circle.id, sender.id) is None:
            raise Conflict("not_member", "the sender is no longer a member: decline it instead")
        decision = await self._decide(h, "approved", actor.id, "", sender)
        message = await self._post(h, sender)
        await self._told(h, decision, message.id)
        return _with(h, "approved"), message

    async def decline(self, actor: User, circle_id: str, hold: str, reason: str) -> Hold:
        _, h = await self._staff_target(actor, circle_id, hold)
        decision = await self._decide(h, "declined", actor.id, reason)
        await self._told(h, decision, None)
        return _with(h, "declined")

    async def _staff_target(self, actor: User, circle_id: str, hold: str) -> tuple[Circle, Hold]:
        circle, _ = await access.require(self._circle_repo, circle_id, actor.id, "moderate")
        h = await self._repo.get(hold)
        if h is None or h.circle_id != circle.id:
            raise NotFound("no such held message in this circle")
        return circle, h

    async def _post(self, h: Hold, sender: User) -> Message:
        """The log's own write path (seq, rev, fan-out, search), with the mentions resolved and
        recorded as ``message:send`` does when it is posted (who is a member then); the key
        makes a second post of this hold (a healed approval) return the first one, and
        recording again is idempotent."""
        log = self._messages
        conv = await log.repo.get_conversation(h.conversation_id)
        if conv is None:
            raise NotFound("the circle's chat is gone")
        mentions = await log.mentions.resolve(conv, sender, h.text)
        message = await log.post(
            h.conversation_id, sender, "text", h.text, key=f"hold:{h.id}", mentions=mentions
        )
        await log.mentions.record(conv, message)
        return message

    async def _decide(
        self, h: Hold, status: HoldOutcome, by: str, reason: str, sender: User | None = None
    ) -> HoldDecision:
        """Claim the hold's one decision and record it. A hold decided before (or by a
        concurrent call) is ``conflict`` (``already_decided``, with its status), after healing
        what a cut-short decider left undone."""
        decision = HoldDecision(h.id, status, by, clock.now(), reason)
        if h.status != "pending" or not await self._repo.decide(decision):
            won = await self._repo.decision(h.id)
            if won is not None:
                await self._repo.record(h.id, won)
                if won.status == "approved" and sender is not None:
                    await self._post(h, sender)  # idempotent (keyed)
            final = won.status if won else h.status
            raise Conflict("already_decided", f"this message was {final}", status=final)
        await self._repo.record(h.id, decision)
        if self.audit is not None:  # only the one winner gets here: audited once
            action = "approve_hold" if status == "approved" else "decline_hold"
            await self.audit(h.circle_id, by, action, h.sender_id, reason, hold_id=h.id)
        return decision

    async def _told(self, h: Hold, d: HoldDecision, message_id: str | None) -> None:
        out = HoldDecidedOut(
            circle_id=h.circle_id,
            hold_id=h.id,
            status=d.status,
            reason=d.reason,
            message_id=message_id,
        )
        await self._bus.to_user(h.sender_id, "circle:hold_decided", out.model_dump())


def _with(h: Hold, status: HoldOutcome) -> Hold:
    return Hold(
        id=h.id,
        circle_id=h.circle_id,
        conversation_id=h.conversation_id,
        sender_id=h.sender_id,
        text=h.text,
        client_id=h.client_id,
        created_at=h.created_at,
        status=status,
    )
