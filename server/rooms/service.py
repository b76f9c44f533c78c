"""Circle logic: create, search, join (public or by invite; approval: moderation/joins.py),
leave, members, invites."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Literal
from urllib.parse import quote

from server.accounts.models import User
from server.accounts.service import AccountService
from server.core import clock
from server.core.errors import Conflict, Forbidden, NotFound, Unauthorized
from server.core.ids import new_id
from server.core.tokens import TokenSigner
from server.messages.models import Conversation
from server.messages.service import MessageService
from server.moderation.permissions import Permission, allowed
from server.realtime import channels
from server.realtime.broadcaster import Broadcaster
from server.referrals.models import Recorder, Via
from server.rooms import access
from server.rooms.models import Circle, Membership, Role
from server.rooms.notices import MemberNotices
from server.rooms.repository import CircleRepository
from server.rooms.schemas import CircleRemovedOut, CreateCircleIn, MemberCountOut

INVITE_MAX_AGE = 14 * 24 * 3600
# Whether a user is banned from a circle (server/moderation/), asked on every join.
BanCheck = Callable[[str, str], Awaitable[bool]]
Removal = Literal["left", "kicked", "banned"]


class CircleService:
    def __init__(
        self,
        repo: CircleRepository,
        messages: MessageService,
        accounts: AccountService,
        signer: TokenSigner,
        broadcaster: Broadcaster,
        base_url: str,
    ) -> None:
        self._repo = repo
        self._messages = messages
        self._accounts = accounts
        self._signer = signer
        self._bus = broadcaster
        self._base_url = base_url
        self._visibility: dict[str, str] = {}
        # system messages for joins and leaves (notices.py); None: none are posted
        self.notices: MemberNotices | None = None
        # credits share links for joins (server/referrals/); None: nothing is credited
        self.referrals: Recorder | None = None
        # refuses joins of banned users (server/moderation/); None: no bans
        self.banned: BanCheck | None = None
        # the verified organisers among some users (server/trust/), for the ``owner_verified``
        # badge of circle outputs; None: nobody is shown verified
        self.verified_among: Callable[[Iterable[str]], Awaitable[set[str]]] | None = None

    async def create(self, owner: User, data: CreateCircleIn) -> tuple[Circle, Role]:
        circle_id = new_id()
        conv = await self._messages.create_circle_conversation(circle_id)
        circle = Circle(
            id=circle_id,
            name=data.name,
            description=data.description,
            category=data.category,
            tags=tuple(dict.fromkeys(data.tags)),
            visibility=data.visibility,
            owner_id=owner.id,
            member_count=0,
            conversation_id=conv.id,
            created_at=clock.now(),
        )
        await self._repo.insert_circle(circle)
        await self._add_member(circle, owner, "owner")
        return await self._fresh(circle.id), "owner"

    async def search(
        self, user: User, q: str | None, category: str | None, tag: str | None
    ) -> list[tuple[Circle, Role | None]]:
        mine = {m.circle_id: m.role for m in await self._repo.memberships_of_user(user.id)}
        found = await self._repo.search(list(mine), q, category, tag)
        return [(c, mine.get(c.id)) for c in found]

    async def verified_owners(self, circles: Iterable[Circle]) -> set[str]:
        """The owners of these circles who are verified organisers: one batch for a list."""
        return await self.verified_users(c.owner_id for c in circles)

    async def owner_verified(self, circle: Circle) -> bool:
        return circle.owner_id in await self.verified_owners([circle])

    async def verified_users(self, user_ids: Iterable[str]) -> set[str]:
        """The verified organisers among these users (owners, organisers of activities)."""
        if self.verified_among is None:
            return set()
        return await self.verified_among(user_ids)

    async def get(self, user: User, circle_id: str) -> tuple[Circle, Role | None]:
        circle, membership = await access.visible_circle(self._repo, circle_id, user.id)
        return circle, membership.role if membership else None

    async def join(
        self, user: User, circle_id: str, invite: str | None, via: Via | None = None
    ) -> Membership:
        """Idempotent: joining again returns the existing membership. A private circle without a
        valid invite for it is ``not_found``, exactly as if it did not exist. ``via`` (a share
        link's sharer and channel) is credited only for a join that was not one already."""
        circle = await self._repo.get_circle(circle_id)
        if circle is None:
            raise NotFound("no such circle")
        existing = await self._repo.get_membership(circle_id, user.id)
        if existing:
            return existing
        invited = self.invite_ok(invite, circle)
        if circle.visibility == "private" and not invited:
            raise NotFound("no such circle")
        await self.refuse_banned(circle, user.id)
        if circle.join_approval and not (invited and circle.invites_skip_approval):
            raise Conflict(
                "approval_required",
                "this circle approves new members: send a join request",
                questions=list(circle.join_questions),
            )
        membership = await self.admit(circle, user)
        if via is not None and self.referrals is not None:
            # a concurrent double join credits once: the attribution's id is (circle, user)
            await self.referrals.record("circle", circle_id, user, via)
        return membership

    async def admit(self, circle: Circle, user: User) -> Membership:
        """Make ``user`` a member (a join, or an approved join request): idempotent. A ban
        stored while this was on its way: the ban stores itself before removing the membership,
        so one of the two steps sees the other (no transactions needed)."""
        membership = await self._add_member(circle, user, "member")
        if self.banned is not None and await self.banned(circle.id, user.id):
            await self.remove_member(circle, user, "banned")
            await self.refuse_banned(circle, user.id)
        return membership

    async def preview_invite(self, circle_id: str, invite: str) -> Circle:
        """The circle an invite opens, for a visitor who may not be signed in. An invite that
        does not verify (forged, expired, another purpose's token) or was minted for another
        circle is ``not_found``, exactly as a circle that does not exist."""
        circle = await self._repo.get_circle(circle_id)
        if circle is None or not self.invite_ok(invite, circle):
            raise NotFound("no such invite")
        return circle

    def invite_ok(self, invite: str | None, circle: Circle) -> bool:
        """A valid invite for this circle, minted since its invites were last revoked (invites
        from before the first revocation carry no epoch, and the circle had none)."""
        if invite is None:
            return False
        try:
            data = self._signer.verify("invite", invite, max_age=INVITE_MAX_AGE)
        except Unauthorized:
            return False
        return data.get("c") == circle.id and data.get("e", "") == circle.invite_epoch

    async def refuse_banned(self, circle: Circle, user_id: str) -> None:
        """A banned user cannot join: a private circle stays ``not_found`` to them, a public
        one answers ``forbidden`` (reason ``banned``)."""
        if self.banned is None or not await self.banned(circle.id, user_id):
            return
        if circle.visibility == "private":
            raise NotFound("no such circle")
        raise Forbidden("you are banned from this circle", {"reason": "banned"})

    async def _add_member(self, circle: Circle, user: User, role: Role) -> Membership:
        membership = Membership(
            circle_id=circle.id, user_id=user.id, role=role, joined_at=clock.now()
        )
        if not await self._repo.insert_membership(membership):
            found = await self._repo.get_membership(circle.id, user.id)
            assert found is not None
            return found
        count = await self._repo.recount_members(circle.id)
        conv = Conversation(
            id=circle.conversation_id,
            kind="circle",
            created_at=circle.created_at,
            circle_id=circle.id,
        )
        await self._messages.add_participant(conv, user.id)
        await self._announce_count(circle, count)
        if self.notices is not None and role != "owner":  # a new circle's owner is no news
            self.notices.joined(circle, user)
        described = await self._messages.describe(conv, user)
        await self._bus.to_user(
            user.id, "conversation:new", {"conversation": described.model_dump(mode="json")}
        )
        return membership

    async def leave(self, user: User, circle_id: str) -> None:
        circle, membership = await access.require_member(self._repo, circle_id, user.id)
        if membership.role == "owner":
            raise Conflict("owner", "the owner cannot leave without handing over ownership")
        await self.remove_member(circle, user, "left")

    async def remove_member(self, circle: Circle, user: User, why: Removal) -> None:
        """Remove the membership, then the participation: every process moves the user's live
        sockets out of the circle's channel (the Redis fan-out) and forgets the participation.
        A kicked or banned user is told with ``circle:removed``; idempotent."""
        await self._repo.delete_membership(circle.id, user.id)
        count = await self._repo.recount_members(circle.id)
        conv = Conversation(
            id=circle.conversation_id,
            kind="circle",
            created_at=circle.created_at,
            circle_id=circle.id,
        )
        await self._messages.remove_participant(conv, user.id)
        await self._announce_count(circle, count)
        if why != "left":
            gone = CircleRemovedOut(circle_id=circle.id, conversation_id=conv.id, reason=why)
            await self._bus.to_user(user.id, "circle:removed", gone.model_dump())
        if self.notices is not None:
            self.notices.left(circle, user)

    async def _announce_count(self, circle: Circle, count: int) -> None:
        """``circle:members`` to the circle's channel (its members' live sockets), after the
        membership and the count are stored. It carries the recounted total, not a delta, so a
        client that missed one is right again with the next."""
        out = MemberCountOut(
            circle_id=circle.id, conversation_id=circle.conversation_id, member_count=count
        )
        await self._bus.to_channel(
            channels.conversation(circle.conversation_id), "circle:members", out.model_dump()
        )

    async def members(self, user: User, circle_id: str) -> list[tuple[User, Membership]]:
        await access.require_member(self._repo, circle_id, user.id)
        members = await self._repo.members(circle_id)
        users = await self._accounts.get_users([m.user_id for m in members])
        return [(users[m.user_id], m) for m in members if m.user_id in users]

    async def create_invite(self, user: User, circle_id: str) -> tuple[str, str]:
        circle, _ = await access.require_admin(self._repo, circle_id, user.id)
        claims = {"c": circle_id, "n": new_id()[:8]}
        if circle.invite_epoch:
            claims["e"] = circle.invite_epoch
        token = self._signer.sign("invite", claims)
        return token, f"{self._base_url}/#/join/{circle_id}?invite={quote(token, safe='')}"

    async def role_if_visible(self, user_id: str, circle_id: str) -> Role | None:
        """The user's role in a circle they can see (None: a public circle they have not
        joined); ``not_found`` otherwise. Visibility never changes, so it is remembered."""
        visibility = self._visibility.get(circle_id)
        if visibility is None:
            circle = await self._repo.get_circle(circle_id)
            if circle is None:
                raise NotFound("no such circle")
            visibility = self._visibility[circle_id] = circle.visibility
        role = await self.role_of(circle_id, user_id)
        if role is None and visibility == "private":
            raise NotFound("no such circle")
        return role

    async def public(self, circle_id: str) -> Circle | None:
        """The circle as anyone, signed in or not, may see it: a public circle, else None (a
        private circle and a missing one alike, so callers cannot tell them apart)."""
        circle = await self._repo.get_circle(circle_id)
        return circle if circle is not None and circle.visibility == "public" else None

    async def role_of(self, circle_id: str, user_id: str) -> Role | None:
        membership = await self._repo.get_membership(circle_id, user_id)
        return membership.role if membership else None

    async def may(self, circle_id: str, user_id: str, permission: Permission) -> bool:
        """Whether the user's role in the circle holds ``permission`` (moderation/permissions)."""
        return allowed(await self.role_of(circle_id, user_id), permission)

    async def titles(self, circle_ids: list[str]) -> dict[str, str]:
        return {cid: c.name for cid, c in (await self._repo.get_circles(circle_ids)).items()}

    async def circles_of(self, user_id: str) -> list[tuple[Circle, Role]]:
        """Every circle ``user_id`` belongs to, with their role (profiles decide who sees which)."""
        mine = {m.circle_id: m.role for m in await self._repo.memberships_of_user(user_id)}
        found = await self._repo.get_circles(list(mine))
        return [(found[cid], role) for cid, role in mine.items() if cid in found]

    async def share_a_circle(self, a: str, b: str) -> bool:
        mine = {m.circle_id for m in await self._repo.memberships_of_user(a)}
        theirs = {m.circle_id for m in await self._repo.memberships_of_user(b)}
        return bool(mine & theirs)

    async def _fresh(self, circle_id: str) -> Circle:
        circle = await self._repo.get_circle(circle_id)
        assert circle is not None
        return circle
