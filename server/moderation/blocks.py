"""Blocking: a user blocks another, for themselves only.

A blocked user cannot open a DM with the blocker nor send into an existing one, and the blocker
cannot message them either while the block stands (a conversation where one side cannot answer
is no conversation); refusals are ``forbidden`` and create or tell nothing, so the blocker's DM
list is unaffected. In circles both stay members and the server hides nothing: the blocker's
client collapses the blocked users' messages, from the ids ``GET /api/me/blocks`` lists.
Blocking and unblocking are idempotent; blocking yourself is ``invalid``.

A DM send reads the pair's two blocks (by ``_id``); circle sends read nothing of this.
"""

from __future__ import annotations

from server.accounts.models import User
from server.accounts.service import AccountService
from server.core import clock
from server.core.errors import Forbidden, Invalid, NotFound
from server.moderation.blocks_repository import Block, BlockRepository


class BlockService:
    def __init__(self, repo: BlockRepository, accounts: AccountService) -> None:
        self._repo = repo
        self._accounts = accounts

    async def block(self, me: User, user_id: str) -> tuple[User, Block]:
        if user_id == me.id:
            raise Invalid("you cannot block yourself", {"fields": {"user_id": "is you"}})
        user = await self._accounts.get_user(user_id)
        if user is None:
            raise NotFound("no such user")
        return user, await self._repo.add(Block(me.id, user.id, clock.now()))

    async def unblock(self, me: User, user_id: str) -> None:
        """Idempotent: unblocking someone not blocked changes nothing."""
        await self._repo.remove(me.id, user_id)

    async def blocked(self, me: User) -> list[tuple[User, Block]]:
        """Whom ``me`` blocked, most recent first."""
        found = await self._repo.of_blocker(me.id)
        users = await self._accounts.get_users([b.blocked_id for b in found])
        return [(users[b.blocked_id], b) for b in found if b.blocked_id in users]

    async def either_way(self, a: str, b: str) -> bool:
        """Whether either of the two blocked the other."""
        return await self._repo.exists(a, b) or await self._repo.exists(b, a)

    async def refuse_dm(self, sender_id: str, peer_id: str) -> None:
        """``forbidden`` when either of the two blocked the other (DM opens and sends)."""
        if await self._repo.exists(peer_id, sender_id):
            raise Forbidden("this user does not accept your messages", {"reason": "blocked"})
        if await self._repo.exists(sender_id, peer_id):
            raise Forbidden(
                "you blocked this user: unblock them to message them", {"reason": "you_blocked"}
            )
