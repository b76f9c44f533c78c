"""Circles and memberships in MongoDB."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from pymongo.errors import DuplicateKeyError

from server.core.mongo import Db, Index, find_by_ids, retry_busy
from server.rooms.models import Circle, Membership, Role

INDEXES = {
    "circles": [
        Index([("visibility", 1), ("member_count", -1)], "visibility_members"),
        Index([("category", 1)], "category"),
    ],
    "memberships": [Index([("user_id", 1)], "user"), Index([("circle_id", 1)], "circle")],
}
log = logging.getLogger(__name__)


def _circle(d: dict[str, Any]) -> Circle:
    return Circle(
        id=d["_id"],
        name=d["name"],
        description=d.get("description", ""),
        category=d["category"],
        tags=tuple(d.get("tags", ())),
        visibility=d["visibility"],
        owner_id=d["owner_id"],
        member_count=int(d.get("member_count", 0)),
        conversation_id=d["conversation_id"],
        created_at=d["created_at"],
        slow_mode_seconds=int(d.get("slow_mode_seconds", 0)),
        rules=d.get("rules", ""),
        rules_version=d.get("rules_version", ""),
        invite_epoch=d.get("invite_epoch", ""),
        owner_gen=int(d.get("owner_gen", 0)),
        join_approval=bool(d.get("join_approval", False)),
        join_questions=tuple(d.get("join_questions", ())),
        invites_skip_approval=bool(d.get("invites_skip_approval", False)),
        newcomer_link_hours=int(d.get("newcomer_link_hours", 0)),
    )


def _membership(d: dict[str, Any]) -> Membership:
    return Membership(
        circle_id=d["circle_id"], user_id=d["user_id"], role=d["role"], joined_at=d["joined_at"]
    )


class CircleRepository:
    def __init__(self, db: Db) -> None:
        self._circles = db["circles"]
        self._members = db["memberships"]
        # told (circle id, user id) after a membership was stored or deleted, whoever changed
        # it (a join, a leave, a kick, an approval); a failing listener fails nothing
        self.members_changed: list[Callable[[str, str], Awaitable[None]]] = []

    async def _tell(self, circle_id: str, user_id: str) -> None:
        for listener in self.members_changed:
            try:
                await listener(circle_id, user_id)
            except Exception:
                log.exception("a membership listener failed (%s, %s)", circle_id, user_id)

    async def insert_circle(self, c: Circle) -> None:
        await self._circles.insert_one(
            {
                "_id": c.id,
                "name": c.name,
                "description": c.description,
                "category": c.category,
                "tags": list(c.tags),
                "visibility": c.visibility,
                "owner_id": c.owner_id,
                "member_count": c.member_count,
                "conversation_id": c.conversation_id,
                "created_at": c.created_at,
            }
        )

    async def get_circle(self, circle_id: str) -> Circle | None:
        d = await self._circles.find_one({"_id": circle_id})
        return _circle(d) if d else None

    async def get_circles(self, ids: list[str]) -> dict[str, Circle]:
        return {d["_id"]: _circle(d) for d in await find_by_ids(self._circles, ids)}

    async def search(
        self,
        visible_ids: list[str],
        q: str | None,
        category: str | None,
        tag: str | None,
        limit: int = 100,
    ) -> list[Circle]:
        """Public circles plus ``visible_ids``, most members first; ``q`` matches the name as a
        literal substring. Two indexed lookups (public circles by ``visibility``, the others by
        ``_id``) merged here: FerretDB v1 would answer an ``$or`` or ``$in`` by reading every
        circle."""
        query: dict[str, Any] = {"visibility": "public"}
        if q:
            query["name"] = {"$regex": re.escape(q), "$options": "i"}
        if category:
            query["category"] = category
        if tag:
            query["tags"] = tag
        found = {d["_id"]: d async for d in self._circles.find(query)}
        rest = [i for i in dict.fromkeys(visible_ids) if i not in found]
        needle = q.lower() if q else None
        for d in await find_by_ids(self._circles, rest):
            if (
                (needle is None or needle in d["name"].lower())
                and (category is None or d["category"] == category)
                and (tag is None or tag in d.get("tags", ()))
            ):
                found[d["_id"]] = d
        ranked = sorted(found.values(), key=lambda d: -int(d.get("member_count", 0)))
        return [_circle(d) for d in ranked[:limit]]

    async def recount_members(self, circle_id: str) -> int:
        """Set ``member_count`` from the memberships themselves, and answer it. A recount rather
        than ``$inc``: FerretDB's ``$inc`` is not atomic under concurrency, and a recount heals
        any drift."""
        count = await self._members.count_documents({"circle_id": circle_id})
        await self._circles.update_one({"_id": circle_id}, {"$set": {"member_count": count}})
        return int(count)

    async def insert_membership(self, m: Membership) -> bool:
        """False when the user is already a member (the id is the (circle, user) pair)."""
        try:
            await retry_busy(
                lambda: self._members.insert_one(
                    {
                        "_id": f"{m.circle_id}:{m.user_id}",
                        "circle_id": m.circle_id,
                        "user_id": m.user_id,
                        "role": m.role,
                        "joined_at": m.joined_at,
                    }
                )
            )
        except DuplicateKeyError:
            return False
        await self._tell(m.circle_id, m.user_id)
        return True

    async def delete_membership(self, circle_id: str, user_id: str) -> bool:
        result = await self._members.delete_one({"_id": f"{circle_id}:{user_id}"})
        if result.deleted_count != 1:
            return False
        await self._tell(circle_id, user_id)
        return True

    async def get_membership(self, circle_id: str, user_id: str) -> Membership | None:
        d = await self._members.find_one({"_id": f"{circle_id}:{user_id}"})
        return _membership(d) if d else None

    async def set_role(self, circle_id: str, user_id: str, role: Role) -> bool:
        """False when the user is not a member (nothing is created)."""
        result = await self._members.update_one(
            {"_id": f"{circle_id}:{user_id}"}, {"$set": {"role": role}}
        )
        return result.matched_count == 1

    async def set_settings(
        self, circle_id: str, fields: dict[str, str | int | bool | list[str]]
    ) -> None:
        """Moderation settings of a circle (``slow_mode_seconds``, ``rules``, ``rules_version``,
        ``invite_epoch``, ``owner_id``, ``owner_gen``, ``join_approval``, ``join_questions``,
        ``invites_skip_approval``, ``newcomer_link_hours``): plain ``$set``s, the last one wins."""
        await self._circles.update_one({"_id": circle_id}, {"$set": fields})

    async def memberships_of_user(self, user_id: str) -> list[Membership]:
        return [_membership(d) async for d in self._members.find({"user_id": user_id})]

    async def members(self, circle_id: str, limit: int = 1000) -> list[Membership]:
        cursor = self._members.find({"circle_id": circle_id}, sort=[("joined_at", 1)], limit=limit)
        return [_membership(d) async for d in cursor]
