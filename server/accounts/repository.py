"""Users and sessions in MongoDB."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from server.accounts.models import Session, User
from server.core.errors import Conflict
from server.core.mongo import Db, Index, find_by_ids

INDEXES = {
    "users": [Index([("handle", 1)], "handle_unique", unique=True)],
    "sessions": [Index([("user_id", 1)], "user")],
}


def _user(doc: dict[str, Any]) -> User:
    return User(
        id=doc["_id"],
        handle=doc["handle"],
        display_name=doc["display_name"],
        created_at=doc["created_at"],
        bio=doc.get("bio"),
        avatar_url=doc.get("avatar_url"),
        calendar_key=doc.get("calendar_key", ""),
        interests=tuple(doc.get("interests", ())),
        city=doc.get("city"),
        show_attended=bool(doc.get("show_attended", False)),
        avatar_id=doc.get("avatar_id"),
    )


# User fields a profile edit may set, as stored
PROFILE_FIELDS = frozenset(
    {"display_name", "bio", "interests", "city", "show_attended", "avatar_id", "avatar_url"}
)


class AccountRepository:
    def __init__(self, db: Db) -> None:
        self._users = db["users"]
        self._sessions = db["sessions"]

    async def insert_user(self, user: User, password_hash: str) -> None:
        """Insert; the unique handle index turns a concurrent duplicate into ``conflict``."""
        try:
            await self._users.insert_one(
                {
                    "_id": user.id,
                    "handle": user.handle,
                    "display_name": user.display_name,
                    "password_hash": password_hash,
                    "created_at": user.created_at,
                }
            )
        except DuplicateKeyError:
            raise Conflict("handle_taken", "that handle is taken") from None

    async def credentials(self, handle: str) -> tuple[User, str] | None:
        doc = await self._users.find_one({"handle": handle})
        return (_user(doc), doc["password_hash"]) if doc else None

    async def get_user(self, user_id: str) -> User | None:
        doc = await self._users.find_one({"_id": user_id})
        return _user(doc) if doc else None

    async def get_users(self, user_ids: list[str]) -> dict[str, User]:
        return {doc["_id"]: _user(doc) for doc in await find_by_ids(self._users, user_ids)}

    async def set_calendar_key(self, user_id: str, calendar_key: str) -> None:
        """One field replaced: concurrent rotations each void the old keys, and the last wins."""
        await self._users.update_one({"_id": user_id}, {"$set": {"calendar_key": calendar_key}})

    async def update_profile(self, user_id: str, changes: dict[str, object]) -> User | None:
        """Replace the given profile fields (one ``$set``: concurrent edits of different fields
        both land, of the same field the last one wins)."""
        unknown = set(changes) - PROFILE_FIELDS
        if unknown:
            raise ValueError(f"not profile fields: {sorted(unknown)}")
        stored = {k: list(v) if isinstance(v, tuple) else v for k, v in changes.items()}
        if stored:
            await self._users.update_one({"_id": user_id}, {"$set": stored})
        return await self.get_user(user_id)

    async def count_users(self) -> int:
        return await self._users.count_documents({})

    async def insert_session(self, session: Session, created_at: datetime) -> None:
        await self._sessions.insert_one(
            {
                "_id": session.jti,
                "user_id": session.user_id,
                "created_at": created_at,
                "expires_at": session.expires_at,
                "revoked": False,
            }
        )

    async def get_session(self, jti: str) -> Session | None:
        doc = await self._sessions.find_one({"_id": jti})
        if not doc:
            return None
        return Session(
            jti=doc["_id"],
            user_id=doc["user_id"],
            expires_at=doc["expires_at"],
            revoked=bool(doc.get("revoked")),
        )

    async def revoke_session(self, jti: str) -> None:
        await self._sessions.update_one({"_id": jti}, {"$set": {"revoked": True}})
