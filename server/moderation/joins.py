"""Join approval: a circle may require that staff approve who joins, asking up to five questions.

Joining such a circle (``POST .../join``) is refused ``conflict`` (``approval_required``, with the
questions); the user sends a join request with the answers instead. Owners, admins and
moderators (``moderate``) list the pending requests and approve (the user becomes a member by the
circles' own join path, ``CircleService.admit``: notices, counts and sockets as for any join) or
decline with a reason; the requester may withdraw. Each request is decided once (a unique
decision, joins_repository.py): the loser of a race is answered ``conflict``. The requester is
told the outcome with ``circle:join_decided``; staff learn of a new request at once with
``circle:join_requested``. Approvals and declines (not withdrawals) are
recorded in the moderation audit log (``approve_join``, ``decline_join`` with the reason).

Invites still need approval unless the circle sets ``invites_skip_approval``. A private circle
takes requests only with a valid invite; without one, and to anyone without a request of their
own, it stays ``not_found``. A banned user cannot request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from server.accounts.models import User
from server.accounts.schemas import UserOut
from server.accounts.service import AccountService
from server.core import clock
from server.core.errors import Conflict, Invalid, NotFound
from server.core.ids import new_id
from server.moderation.joins_models import Decision, JoinRequest, Outcome
from server.moderation.joins_repository import JoinRepository
from server.moderation.joins_schemas import JoinDecidedOut, JoinRequestedOut, JoinRequestOut
from server.moderation.permissions import allowed
from server.realtime.broadcaster import Broadcaster
from server.rooms import access
from server.rooms.models import Circle, Membership, Role
from server.rooms.repository import CircleRepository
from server.rooms.service import CircleService


class JoinService:
    def __init__(
        self,
        repo: JoinRepository,
        circle_repo: CircleRepository,
        circles: CircleService,
        accounts: AccountService,
        broadcaster: Broadcaster,
    ) -> None:
        self._repo = repo
        self._circle_repo = circle_repo
        self._circles = circles
        self._accounts = accounts
        self._bus = broadcaster
        # the moderation audit log (ModerationService.record), wired by the container: staff
        # decisions on who joins are moderation actions like any other
        self.audit: Callable[..., Awaitable[None]] | None = None

    async def configure(
        self, actor: User, circle_id: str, required: bool, questions: list[str], skip: bool
    ) -> tuple[Circle, Role]:
        """Owners and admins (``manage_circle``). Requests already pending stay pending when
        approval is turned off: staff still decide them."""
        circle, me = await access.require_admin(self._circle_repo, circle_id, actor.id)
        fields: dict[str, str | int | bool | list[str]] = {
            "join_approval": required,
            "join_questions": questions,
            "invites_skip_approval": skip,
        }
        await self._circle_repo.set_settings(circle.id, fields)
        fresh = await self._circle_repo.get_circle(circle.id)
        assert fresh is not None
        return fresh, me.role

    async def owner_verified(self, circle: Circle) -> bool:
        """The circle's ``owner_verified`` badge, for the answer of ``configure``."""
        return await self._circles.owner_verified(circle)

    async def request(
        self, user: User, circle_id: str, answers: list[str], invite: str | None
    ) -> JoinRequest:
        """Idempotent while pending (the pending request is answered as it is)."""
        circle = await self._circle_repo.get_circle(circle_id)
        if circle is None:
            raise NotFound("no such circle")
        invited = self._circles.invite_ok(invite, circle)
        if circle.visibility == "private" and not invited:
            raise NotFound("no such circle")
        await self._circles.refuse_banned(circle, user.id)
        if await self._circle_repo.get_membership(circle.id, user.id) is not None:
            raise Conflict("already_member", "you are a member of this circle")
        if not circle.join_approval or (invited and circle.invites_skip_approval):
            raise Conflict("approval_not_required", "this circle needs no approval: join it")
        if len(answers) != len(circle.join_questions):
            n = len(circle.join_questions)
            raise Invalid(
                f"answer each of the {n} questions", {"fields": {"answers": f"needs {n} answers"}}
            )
        existing = await self._repo.get(circle.id, user.id)
        if existing is not None and existing.status == "pending":
            return existing
        mine = JoinRequest(
            id=new_id(),
            circle_id=circle.id,
            user_id=user.id,
            questions=circle.join_questions,
            answers=tuple(answers),
            status="pending",
            created_at=clock.now(),
        )
        if await self._repo.put_pending(mine, existing.id if existing else None):
            await self._tell_staff(circle, user, mine)
            return mine
        raced = await self._repo.get(circle.id, user.id)  # a concurrent request of theirs
        if raced is None or raced.status != "pending":
            raise Conflict("retry", "your request crossed another: send it again")
        return raced

    async def _tell_staff(self, circle: Circle, user: User, request: JoinRequest) -> None:
        """``circle:join_requested`` to each member with ``moderate``, once per request (only
        the writer of the pending request gets here; a read of the members on this rare path)."""
        out = JoinRequestedOut(
            circle_id=circle.id, request=JoinRequestOut.of(request, UserOut.of(user))
        ).model_dump(mode="json")
        for m in await self._circle_repo.members(circle.id, limit=5000):
            if allowed(m.role, "moderate"):
                await self._bus.to_user(m.user_id, "circle:join_requested", out)

    async def mine(self, user: User, circle_id: str) -> JoinRequest:
        """The caller's latest request; ``not_found`` without one (also for a private circle)."""
        found = await self._repo.get(circle_id, user.id)
        if found is None:
            raise NotFound("no join request")
        return found

    async def withdraw(self, user: User, circle_id: str) -> None:
        found = await self.mine(user, circle_id)
        await self._decide(found, "withdrawn", user.id, "")

    async def pending(self, actor: User, circle_id: str) -> list[tuple[User, JoinRequest]]:
        circle, _ = await access.require(self._circle_repo, circle_id, actor.id, "moderate")
        found = await self._repo.pending(circle.id)
        users = await self._accounts.get_users([r.user_id for r in found])
        return [(users[r.user_id], r) for r in found if r.user_id in users]

    async def approve(self, actor: User, circle_id: str, user_id: str) -> Membership:
        circle, request = await self._staff_target(actor, circle_id, user_id)
        if self._circles.banned is not None and await self._circles.banned(circle.id, user_id):
            raise Conflict("banned", "that user is banned from this circle: unban them first")
        user = await self._accounts.get_user(user_id)
        if user is None:
            raise NotFound("no such user")
        await self._decide(request, "approved", actor.id, "", circle, user)
        return await self._circles.admit(circle, user)

    async def decline(self, actor: User, circle_id: str, user_id: str, reason: str) -> JoinRequest:
        circle, request = await self._staff_target(actor, circle_id, user_id)
        decision = await self._decide(request, "declined", actor.id, reason, circle)
        return _with(request, decision)

    async def _staff_target(
        self, actor: User, circle_id: str, user_id: str
    ) -> tuple[Circle, JoinRequest]:
        circle, _ = await access.require(self._circle_repo, circle_id, actor.id, "moderate")
        request = await self._repo.get(circle.id, user_id)
        if request is None:
            raise NotFound("no join request from that user")
        return circle, request

    async def _decide(
        self,
        request: JoinRequest,
        status: Outcome,
        by: str,
        reason: str,
        circle: Circle | None = None,
        user: User | None = None,
    ) -> Decision:
        """Claim the request's one decision, copy it onto the request and tell the requester.
        A request decided before (or by a concurrent call) is ``conflict`` (``already_decided``,
        with its status), after healing what a cut-short decider left undone."""
        decision = Decision(request.id, status, by, clock.now(), reason)
        if request.status != "pending" or not await self._repo.decide(decision):
            won = await self._repo.decision(request.id)
            if won is not None:
                await self._repo.record(request, won)
                if won.status == "approved" and circle is not None and user is not None:
                    await self._circles.admit(circle, user)  # idempotent
            final = won.status if won else request.status
            raise Conflict("already_decided", f"this request was {final}", status=final)
        await self._repo.record(request, decision)
        if status != "withdrawn" and self.audit is not None:
            # only the decision's one winner gets here, so each decision is audited once
            action = "approve_join" if status == "approved" else "decline_join"
            await self.audit(request.circle_id, by, action, request.user_id, reason)
        if circle is not None:
            out = JoinDecidedOut(
                circle_id=circle.id, name=circle.name, status=status, reason=reason
            )
            await self._bus.to_user(request.user_id, "circle:join_decided", out.model_dump())
        return decision


def _with(r: JoinRequest, d: Decision) -> JoinRequest:
    return JoinRequest(
        id=r.id,
        circle_id=r.circle_id,
        user_id=r.user_id,
        questions=r.questions,
        answers=r.answers,
        status=d.status,
        created_at=r.created_at,
        decided_at=d.at,
        decided_by=d.by,
        reason=d.reason,
    )
