"""Verification submissions, their reviews, platform roles and payout accounts in MongoDB."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from pymongo.errors import DuplicateKeyError

from server.core.mongo import Db, Index
from server.trust.models import PayoutAccount, Review, Submission

INDEXES = {
    # a user's submissions; the review queue (``status: "pending"``)
    "verifications": [Index([("user_id", 1)], "user"), Index([("status", 1)], "status")],
    # looked up by ``_id`` only (the submission's id, the user's id, the circle's id)
    "verification_reviews": [],
    "platform_roles": [],
    "payout_accounts": [],
}


def _review(d: dict[str, Any]) -> Review:
    return Review(
        submission_id=d["_id"],
        decision=d["decision"],
        reason=d.get("reason"),
        reviewer_id=d["reviewer_id"],
        at=d["at"],
    )


def _submission(d: dict[str, Any], review: Review | None) -> Submission:
    return Submission(
        id=d["_id"],
        user_id=d["user_id"],
        n=int(d["n"]),
        legal_name=d["legal_name"],
        document_type=d["document_type"],
        document_sealed=d["document_sealed"],
        document_last4=d["document_last4"],
        upload_id=d["upload_id"],
        submitted_at=d["submitted_at"],
        review=review,
    )


def _account(d: dict[str, Any]) -> PayoutAccount:
    return PayoutAccount(
        circle_id=d["_id"],
        holder_name=d["holder_name"],
        method=d["method"],
        iban_sealed=d.get("iban_sealed"),
        iban_country=d.get("iban_country"),
        iban_last4=d.get("iban_last4"),
        platform=d.get("platform"),
        handle=d.get("handle"),
        updated_by=d["updated_by"],
        updated_at=d["updated_at"],
    )


class TrustRepository:
    def __init__(self, db: Db) -> None:
        self._subs = db["verifications"]
        self._reviews = db["verification_reviews"]
        self._roles = db["platform_roles"]
        self._accounts = db["payout_accounts"]

    # submissions -------------------------------------------------------------------------

    async def insert_submission(self, s: Submission) -> bool:
        """False when the user's submission ``n`` exists already (a concurrent submission)."""
        try:
            await self._subs.insert_one(
                {
                    "_id": s.id,
                    "user_id": s.user_id,
                    "n": s.n,
                    "legal_name": s.legal_name,
                    "document_type": s.document_type,
                    "document_sealed": s.document_sealed,
                    "document_last4": s.document_last4,
                    "upload_id": s.upload_id,
                    "submitted_at": s.submitted_at,
                    "status": "pending",
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def _with_review(self, d: dict[str, Any]) -> Submission:
        r = await self._reviews.find_one({"_id": d["_id"]})
        return _submission(d, _review(r) if r else None)

    async def of_user(self, user_id: str) -> list[Submission]:
        """The user's submissions, oldest first, each with its review."""
        docs = [d async for d in self._subs.find({"user_id": user_id})]
        docs.sort(key=lambda d: int(d["n"]))
        return [await self._with_review(d) for d in docs]

    async def verified_among(self, user_ids: Iterable[str]) -> set[str]:
        """Which of these users are verified organisers (their latest submission approved), for
        the badges of a list: one indexed equality per distinct user (``user_id``; FerretDB v1
        would answer an ``$in`` by reading every submission), run concurrently, plus the
        review by ``_id`` only while the latest submission's copied status is still pending
        (the review is what decides; its copy onto the submission may lag)."""

        async def one(user_id: str) -> bool:
            docs = [d async for d in self._subs.find({"user_id": user_id})]
            if not docs:
                return False
            latest = max(docs, key=lambda d: int(d["n"]))
            if latest.get("status") != "pending":
                return bool(latest.get("status") == "approved")
            review = await self._reviews.find_one({"_id": latest["_id"]})
            return review is not None and review["decision"] == "approved"

        ids = list(dict.fromkeys(user_ids))
        found = await asyncio.gather(*(one(i) for i in ids))
        return {i for i, ok in zip(ids, found, strict=True) if ok}

    async def get(self, submission_id: str) -> Submission | None:
        d = await self._subs.find_one({"_id": submission_id})
        return await self._with_review(d) if d else None

    async def pending(self) -> list[Submission]:
        """Submissions marked pending; those whose review landed but whose copy of the status
        did not yet are left out."""
        docs = [d async for d in self._subs.find({"status": "pending"})]
        found = [await self._with_review(d) for d in docs]
        return sorted((s for s in found if s.review is None), key=lambda s: s.submitted_at)

    async def insert_review(self, r: Review) -> bool:
        """False when the submission was reviewed already (the first review wins)."""
        try:
            await self._reviews.insert_one(
                {
                    "_id": r.submission_id,
                    "decision": r.decision,
                    "reason": r.reason,
                    "reviewer_id": r.reviewer_id,
                    "at": r.at,
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def copy_status(self, submission_id: str, status: str) -> None:
        """The review's decision copied onto the submission (for the queue's index); idempotent."""
        await self._subs.update_one({"_id": submission_id}, {"$set": {"status": status}})

    # platform roles ----------------------------------------------------------------------

    async def platform_role(self, user_id: str) -> str | None:
        d = await self._roles.find_one({"_id": user_id})
        return str(d["role"]) if d else None

    async def set_platform_role(self, user_id: str, role: str | None) -> None:
        if role is None:
            await self._roles.delete_one({"_id": user_id})
        else:
            await self._roles.replace_one({"_id": user_id}, {"role": role}, upsert=True)

    # payout accounts ---------------------------------------------------------------------

    async def payout_account(self, circle_id: str) -> PayoutAccount | None:
        d = await self._accounts.find_one({"_id": circle_id})
        return _account(d) if d else None

    async def put_payout_account(self, a: PayoutAccount) -> None:
        """The whole account replaced in one write: the last of concurrent edits wins whole."""
        await self._accounts.replace_one(
            {"_id": a.circle_id},
            {
                "holder_name": a.holder_name,
                "method": a.method,
                "iban_sealed": a.iban_sealed,
                "iban_country": a.iban_country,
                "iban_last4": a.iban_last4,
                "platform": a.platform,
                "handle": a.handle,
                "updated_by": a.updated_by,
                "updated_at": a.updated_at,
            },
            upsert=True,
        )

    async def delete_payout_account(self, circle_id: str) -> None:
        await self._accounts.delete_one({"_id": circle_id})
