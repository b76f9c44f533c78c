"""Join requests in MongoDB.

A user's request to join a circle is one document per (circle, user), ``_id`` the pair; each
request made carries its own ``id``. A request is decided (approved, declined, withdrawn) exactly
once by inserting a decision under that ``id`` into ``join_decisions``: concurrent deciders both
insert and the unique ``_id`` lets one in (FerretDB v1 has no transactions and no atomic update).
The request document then records the outcome; a step cut short there is healed from the
decision by the next one who tries (moderation/joins.py).
"""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from server.core.mongo import Db, Index, retry_busy
from server.moderation.joins_models import Decision, JoinRequest

INDEXES = {
    # staff list a circle's pending requests: equalities on circle_id and status
    "join_requests": [Index([("circle_id", 1)], "circle")],
    "join_decisions": [],  # read by _id only
}


def _key(circle_id: str, user_id: str) -> str:
    return f"{circle_id}:{user_id}"


def _request(d: dict[str, Any]) -> JoinRequest:
    return JoinRequest(
        id=d["id"],
        circle_id=d["circle_id"],
        user_id=d["user_id"],
        questions=tuple(d.get("questions", ())),
        answers=tuple(d.get("answers", ())),
        status=d["status"],
        created_at=d["at"],
        decided_at=d.get("decided_at"),
        decided_by=d.get("decided_by"),
        reason=d.get("reason", ""),
    )


class JoinRepository:
    def __init__(self, db: Db) -> None:
        self._requests = db["join_requests"]
        self._decisions = db["join_decisions"]

    async def get(self, circle_id: str, user_id: str) -> JoinRequest | None:
        d = await self._requests.find_one({"_id": _key(circle_id, user_id)})
        return _request(d) if d else None

    async def put_pending(self, r: JoinRequest, replacing: str | None) -> bool:
        """Store a new pending request: the first one (``replacing`` None), or in place of the
        decided request ``replacing``. False when a concurrent request got there first."""
        key = _key(r.circle_id, r.user_id)
        doc = {
            "id": r.id,
            "circle_id": r.circle_id,
            "user_id": r.user_id,
            "questions": list(r.questions),
            "answers": list(r.answers),
            "status": "pending",
            "at": r.created_at,
        }
        if replacing is None:
            try:
                await retry_busy(lambda: self._requests.insert_one({"_id": key, **doc}))
                return True
            except DuplicateKeyError:
                return False
        result = await self._requests.replace_one({"_id": key, "id": replacing}, doc)
        return result.matched_count == 1

    async def pending(self, circle_id: str, limit: int = 500) -> list[JoinRequest]:
        cursor = self._requests.find(
            {"circle_id": circle_id, "status": "pending"}, sort=[("at", 1)], limit=limit
        )
        return [_request(d) async for d in cursor]

    async def decide(self, d: Decision) -> bool:
        """Claim the one decision of request ``d.request_id``; False when it was decided."""
        try:
            await retry_busy(
                lambda: self._decisions.insert_one(
                    {
                        "_id": d.request_id,
                        "status": d.status,
                        "by": d.by,
                        "at": d.at,
                        "reason": d.reason,
                    }
                )
            )
            return True
        except DuplicateKeyError:
            return False

    async def decision(self, request_id: str) -> Decision | None:
        d = await self._decisions.find_one({"_id": request_id})
        if d is None:
            return None
        return Decision(d["_id"], d["status"], d["by"], d["at"], d.get("reason", ""))

    async def record(self, r: JoinRequest, d: Decision) -> None:
        """Copy the decision onto the request (if it is still that request): idempotent."""
        await self._requests.update_one(
            {"_id": _key(r.circle_id, r.user_id), "id": r.id},
            {
                "$set": {
                    "status": d.status,
                    "decided_at": d.at,
                    "decided_by": d.by,
                    "reason": d.reason,
                }
            },
        )
