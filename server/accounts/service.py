"""Registration, login, logout and token authentication."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Protocol

from server.accounts.models import Principal, Session, User
from server.accounts.repository import AccountRepository
from server.core import clock
from server.core.errors import Unauthorized
from server.core.ids import new_id
from server.core.passwords import hash_password, verify_password
from server.core.tokens import TokenSigner


class SessionEvents(Protocol):
    async def session_revoked(self, jti: str) -> None: ...


class AccountService:
    def __init__(
        self,
        repo: AccountRepository,
        signer: TokenSigner,
        session_ttl: timedelta,
        events: SessionEvents,
    ) -> None:
        self._repo = repo
        self._signer = signer
        self._ttl = session_ttl
        self._events = events

    async def register(self, handle: str, password: str, display_name: str) -> tuple[str, User]:
        """Create the user (the unique index settles concurrent duplicates) and log them in."""
        user = User(id=new_id(), handle=handle, display_name=display_name, created_at=clock.now())
        await self._repo.insert_user(user, await hash_password(password))
        return await self._open_session(user), user

    async def login(self, handle: str, password: str) -> tuple[str, User]:
        found = await self._repo.credentials(handle)
        # Always verify a hash, so unknown handles and wrong passwords take the same time.
        ok = await verify_password(found[1] if found else None, password)
        if not found or not ok:
            raise Unauthorized("wrong handle or password")
        return await self._open_session(found[0]), found[0]

    async def _open_session(self, user: User) -> str:
        now = clock.now()
        session = Session(jti=new_id(), user_id=user.id, expires_at=now + self._ttl, revoked=False)
        await self._repo.insert_session(session, now)
        return self._signer.sign("session", {"u": user.id, "j": session.jti})

    async def authenticate(self, token: object) -> Principal:
        """Verify signature, purpose, expiry and revocation; ``unauthorized`` otherwise."""
        data = self._signer.verify("session", token, max_age=self._ttl.total_seconds())
        jti, user_id = data.get("j"), data.get("u")
        if not isinstance(jti, str) or not isinstance(user_id, str):
            raise Unauthorized("invalid token")
        session = await self._repo.get_session(jti)
        if session is None or session.revoked or session.user_id != user_id:
            raise Unauthorized("token revoked")
        if session.expires_at <= clock.now():
            raise Unauthorized("token expired")
        user = await self._repo.get_user(user_id)
        if user is None:
            raise Unauthorized("user no longer exists")
        return Principal(user=user, jti=jti)

    async def logout(self, principal: Principal) -> None:
        """Revoke first (durable), then disconnect that token's sockets on every process."""
        await self._repo.revoke_session(principal.jti)
        await self._events.session_revoked(principal.jti)

    async def get_user(self, user_id: str) -> User | None:
        return await self._repo.get_user(user_id)

    async def get_users(self, user_ids: list[str]) -> dict[str, User]:
        return await self._repo.get_users(user_ids)

    async def users_by_handles(self, handles: list[str]) -> dict[str, User]:
        """The users with these handles, by handle (one unique-index lookup each)."""
        found = await asyncio.gather(*(self._repo.credentials(h) for h in dict.fromkeys(handles)))
        return {f[0].handle: f[0] for f in found if f is not None}

    async def count_users(self) -> int:
        return await self._repo.count_users()

    async def update_profile(self, user_id: str, changes: dict[str, object]) -> User:
        """Profile fields (server/profiles/ decides what and who); the user as stored after."""
        user = await self._repo.update_profile(user_id, changes)
        if user is None:
            raise Unauthorized("user no longer exists")
        return user

    async def by_handle(self, handle: str) -> User | None:
        found = await self._repo.credentials(handle)
        return found[0] if found else None

    async def rotate_calendar_key(self, user: User) -> None:
        """Void every calendar key ``user`` was given (they name the old value)."""
        await self._repo.set_calendar_key(user.id, new_id())
