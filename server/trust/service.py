"""Organiser verification and the platform administrator role."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from typing import Protocol

from server.accounts.models import User
from server.core import clock
from server.core.errors import Conflict, Forbidden, NotFound
from server.notifications.models import Notifier
from server.trust.crypto import Cipher, last4
from server.trust.models import Decision, DocumentType, Review, Submission
from server.trust.repository import TrustRepository
from server.uploads.models import Upload
from server.uploads.service import UploadService

log = logging.getLogger(__name__)
ADMIN = "admin"


class VerificationImages:
    """What verification needs of uploads (server/uploads/): the user's own pending image of
    the verification scope, marked as used (``invalid`` naming ``upload_id`` otherwise), and
    the stored image for its reviewer."""

    def __init__(self, uploads: UploadService) -> None:
        self._uploads = uploads

    async def attach(self, user_id: str, upload_id: str) -> None:
        await self._uploads.attach_scoped(user_id, "verification", None, [upload_id])

    async def open(self, upload_id: str) -> tuple[Upload, AsyncIterator[bytes]]:
        return await self._uploads.open_verification_image(upload_id)


class Users(Protocol):
    async def users_by_handles(self, handles: list[str]) -> dict[str, User]: ...


class VerificationService:
    def __init__(
        self, repo: TrustRepository, cipher: Cipher, images: VerificationImages, users: Users
    ) -> None:
        self._repo = repo
        self._cipher = cipher
        self._images = images
        self._users = users
        # tells the organiser the decision (server/notifications/); None: not told
        self.notifier: Notifier | None = None

    # the organiser -----------------------------------------------------------------------

    async def submit(
        self,
        user: User,
        legal_name: str,
        document_type: DocumentType,
        document_number: str,
        upload_id: str,
    ) -> Submission:
        """Store a new submission (the number sealed). Refused while one is pending or the user
        is verified. Two concurrent submissions compete for the same ``_id``: one is stored, the
        other is told ``verification_pending``."""
        found = await self._repo.of_user(user.id)
        latest = found[-1] if found else None
        if latest is not None and latest.status == "pending":
            raise Conflict("verification_pending", "a submission is waiting for review")
        if latest is not None and latest.status == "approved":
            raise Conflict("already_verified", "you are verified already")
        await self._images.attach(user.id, upload_id)
        s = Submission(
            id=f"{user.id}-{len(found) + 1}",
            user_id=user.id,
            n=len(found) + 1,
            legal_name=legal_name,
            document_type=document_type,
            document_sealed=self._cipher.seal(document_number),
            document_last4=last4(document_number),
            upload_id=upload_id,
            submitted_at=clock.now(),
        )
        if not await self._repo.insert_submission(s):
            raise Conflict("verification_pending", "a submission is waiting for review")
        log.info("verification submitted by %s (%s)", user.id, s.id)  # never the number
        return s

    async def latest(self, user_id: str) -> Submission | None:
        found = await self._repo.of_user(user_id)
        return found[-1] if found else None

    async def is_verified(self, user_id: str) -> bool:
        s = await self.latest(user_id)
        return s is not None and s.status == "approved"

    async def verified_among(self, user_ids: Iterable[str]) -> set[str]:
        """The verified organisers among these users, in one batch (the badges of a list)."""
        return await self._repo.verified_among(user_ids)

    # platform administrators -------------------------------------------------------------

    async def is_admin(self, user_id: str) -> bool:
        return await self._repo.platform_role(user_id) == ADMIN

    async def require_admin(self, user: User) -> None:
        if not await self.is_admin(user.id):
            raise Forbidden("platform administrators only")

    async def pending(self, admin: User) -> list[Submission]:
        await self.require_admin(admin)
        return await self._repo.pending()

    async def get(self, admin: User, submission_id: str) -> Submission:
        await self.require_admin(admin)
        s = await self._repo.get(submission_id)
        if s is None:
            raise NotFound("no such submission")
        return s

    async def image(self, admin: User, submission_id: str) -> tuple[Upload, AsyncIterator[bytes]]:
        s = await self.get(admin, submission_id)
        return await self._images.open(s.upload_id)

    async def review(
        self, admin: User, submission_id: str, decision: Decision, reason: str | None
    ) -> Submission:
        """The first review of a submission wins; a later one is ``already_reviewed``. An
        administrator's own submission is for another administrator."""
        s = await self.get(admin, submission_id)
        if s.user_id == admin.id:  # four eyes: nobody verifies themselves
            raise Forbidden("your own submission is reviewed by another administrator")
        if s.review is None:
            r = Review(s.id, decision, reason, admin.id, clock.now())
            if await self._repo.insert_review(r):
                await self._repo.copy_status(s.id, decision)
                log.info("verification %s %s by %s", s.id, decision, admin.id)
                await self._tell(s, r)
                return await self.get(admin, submission_id)
        raise Conflict("already_reviewed", "this submission was reviewed already")

    async def _tell(self, s: Submission, r: Review) -> None:
        if self.notifier is None:
            return
        if r.decision == "approved":
            title, body = "You are a verified organiser", "You can now publish paid activities."
        else:
            title, body = "Your verification was not accepted", r.reason or ""
        data = {"verification_id": s.id, "decision": r.decision}
        await self.notifier.notify(
            s.user_id, "verification_reviewed", title, body, data, key=f"verification:{s.id}"
        )

    async def grant_admin(self, handle: str, grant: bool = True) -> User:
        """Make (or unmake) a user a platform administrator: only the command line calls this."""
        user = (await self._users.users_by_handles([handle])).get(handle)
        if user is None:
            raise NotFound("no such user")
        await self._repo.set_platform_role(user.id, ADMIN if grant else None)
        return user

    async def approve_for_demo(self, user: User, legal_name: str) -> None:
        """Demo data only (server/seed.py): a submission approved by nobody in particular."""
        s = Submission(
            id=f"{user.id}-1",
            user_id=user.id,
            n=1,
            legal_name=legal_name,
            document_type="id_card",
            document_sealed=self._cipher.seal("DEMO0000"),
            document_last4="0000",
            upload_id="",
            submitted_at=clock.now(),
        )
        if await self._repo.insert_submission(s):
            await self._repo.insert_review(Review(s.id, "approved", "demo", "seed", clock.now()))
            await self._repo.copy_status(s.id, "approved")
