"""The circle page's one read of its own: a circle's admins (the owner is on the circle).

An equality on ``circle_id`` and ``role``: the ``circle`` index of ``memberships``
(repository.py) serves it, and PostgreSQL checks ``role`` on that circle's rows only.
"""

from __future__ import annotations

from server.core.mongo import Db
from server.rooms.models import Membership


class CirclePageRepository:
    def __init__(self, db: Db) -> None:
        self._members = db["memberships"]

    async def admins(self, circle_id: str, limit: int = 50) -> list[Membership]:
        cursor = self._members.find({"circle_id": circle_id, "role": "admin"}, limit=limit)
        return [
            Membership(
                circle_id=d["circle_id"],
                user_id=d["user_id"],
                role=d["role"],
                joined_at=d["joined_at"],
            )
            async for d in cursor
        ]
