"""Storing, serving, attaching and expiring uploads."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Protocol

from server.accounts.models import Principal
from server.core import clock
from server.core.errors import Invalid, NotFound
from server.core.ids import new_id
from server.core.periodic import Periodic
from server.messages.models import Attachment
from server.messages.service import MessageService
from server.uploads import avatar, content
from server.uploads.models import Scope, Upload
from server.uploads.repository import UploadRepository

# A pending upload may be attached until UPLOAD_PENDING_HOURS; the sweeper deletes it only this
# much later, so an attach that read it just in time never points at deleted bytes.
SWEEP_GRACE = timedelta(minutes=10)
# Decoding an image takes up to a few hundred MB for a moment: a few at a time per process.
PREPARING_AT_ONCE = 2


def _not_attachable(upload_id: str) -> Invalid:
    return Invalid(
        "no such upload", {"fields": {"attachments": f"no such upload: {upload_id[:64]}"}}
    )


class CircleGate(Protocol):
    """What the post scope asks of circle posts (server/posts/): who may upload a post image
    to a circle, and who may see a circle's posts (and so their images)."""

    async def check_can_upload(self, user_id: str, circle_id: str) -> None: ...

    async def can_see(self, user_id: str, circle_id: str) -> bool: ...


class UploadService:
    def __init__(
        self,
        repo: UploadRepository,
        messages: MessageService,
        max_bytes: int,
        pending_hours: float,
        sweep_seconds: float,
    ) -> None:
        self._repo = repo
        self._messages = messages
        self.max_bytes = max_bytes
        self._pending_for = timedelta(hours=pending_hours)
        self._periodic = Periodic("upload sweep", sweep_seconds, self.sweep)
        self._preparing = asyncio.Semaphore(PREPARING_AT_ONCE)
        # post images (scope "post"); None until posts are wired in: such uploads are refused
        self.circles: CircleGate | None = None

    # uploading ---------------------------------------------------------------------------

    async def check_conversation(self, who: Principal, conversation_id: str) -> None:
        """Before the body is read: only a participant may upload (outsiders: ``not_found``)."""
        await self._messages.require_participant(conversation_id, who.user.id)

    async def store(
        self, who: Principal, conversation_id: str, filename: str | None, data: bytes
    ) -> Upload:
        """Detect the type from the bytes, re-encode images (EXIF stripped, orientation applied)
        and make their thumbnail, then store the bytes (GridFS) and the record. A refusal stores
        nothing."""
        await self._messages.require_participant(conversation_id, who.user.id)
        return await self._store(who, "conversation", conversation_id, None, filename, data)

    async def check_scope(self, who: Principal, scope: Scope, circle_id: str | None) -> None:
        """Before the body is read: a post image only from someone who may post to the circle
        (an outsider of a private circle: ``not_found``)."""
        if scope == "post":
            if self.circles is None or circle_id is None:
                raise NotFound("no such circle")
            await self.circles.check_can_upload(who.user.id, circle_id)

    async def store_scoped(
        self,
        who: Principal,
        scope: Scope,
        circle_id: str | None,
        filename: str | None,
        data: bytes,
    ) -> Upload:
        """A post image (images only) or an avatar (cropped square, avatar.py)."""
        await self.check_scope(who, scope, circle_id)
        return await self._store(who, scope, "", circle_id, filename, data)

    async def _store(
        self,
        who: Principal,
        scope: Scope,
        conversation_id: str,
        circle_id: str | None,
        filename: str | None,
        data: bytes,
    ) -> Upload:
        prepare = avatar.prepare if scope == "avatar" else content.prepare
        try:
            async with self._preparing:
                prepared = await asyncio.to_thread(prepare, data)
            if scope != "conversation" and not prepared.is_image:
                raise content.Refused("only images (JPEG, PNG, GIF, WebP) are accepted here")
        except content.Refused as exc:
            raise Invalid(
                "this type of file is not accepted",
                {"fields": {"file": exc.reason}, "reason": "unsupported_type"},
            ) from None
        upload = Upload(
            id=new_id(),
            conversation_id=conversation_id,
            uploader_id=who.user.id,
            name=content.safe_name(filename, prepared.extension),
            content_type=prepared.content_type,
            size=len(prepared.data),
            created_at=clock.now(),
            width=prepared.width,
            height=prepared.height,
            thumbnail_type=prepared.thumbnail_type,
            scope=scope,
            circle_id=circle_id,
        )
        await self._repo.insert(upload, prepared.data, prepared.thumbnail)
        return upload

    # serving -----------------------------------------------------------------------------

    async def visible(self, who: Principal, upload_id: str) -> Upload:
        """The access gate: a pending upload is its uploader's alone, an attached one is for the
        conversation's participants, a hidden one (its message was deleted) for nobody. Every
        refusal is ``not_found``, so an outsider cannot tell an upload exists."""
        upload = await self._repo.get(upload_id)
        if upload is None or upload.hidden:
            raise NotFound("no such upload")
        if upload.pending and upload.uploader_id != who.user.id:
            raise NotFound("no such upload")
        if upload.scope == "verification":  # an identity image: its uploader's until submitted
            if upload.pending:
                return upload
            raise NotFound("no such upload")
        if upload.scope == "avatar":  # a profile picture is shown to everyone signed in
            return upload
        if upload.scope == "post":
            if upload.pending:
                return upload
            if (
                self.circles is None
                or upload.circle_id is None
                or not await self.circles.can_see(who.user.id, upload.circle_id)
            ):
                raise NotFound("no such upload")
            return upload
        await self._messages.require_participant(upload.conversation_id, who.user.id)
        return upload

    async def open(
        self, who: Principal, upload_id: str, thumbnail: bool
    ) -> tuple[Upload, AsyncIterator[bytes]]:
        upload = await self.visible(who, upload_id)
        if thumbnail and upload.thumbnail_type is None:
            raise NotFound("this upload has no thumbnail")
        file_id = upload.thumbnail_id if thumbnail else upload.file_id
        chunks = await self._repo.open_chunks(file_id)
        if chunks is None:
            raise NotFound("no such upload")
        return upload, chunks

    async def open_verification_image(self, upload_id: str) -> tuple[Upload, AsyncIterator[bytes]]:
        """An identity image for its reviewer (server/trust/ decides who that is)."""
        upload = await self._repo.get(upload_id)
        if upload is None or upload.scope != "verification":
            raise NotFound("no such upload")
        chunks = await self._repo.open_chunks(upload.file_id)
        if chunks is None:
            raise NotFound("no such upload")
        return upload, chunks

    # attachments (messages.models.AttachmentResolver) ------------------------------------

    async def attach(
        self, user_id: str, conversation_id: str, upload_ids: list[str]
    ) -> list[Attachment]:
        """Only the uploader, only in the upload's conversation, only while it is pending or
        already attached (a retried send asks again), never once hidden or expired. Checks all
        before marking any."""
        found = await asyncio.gather(*(self._repo.get(i) for i in upload_ids))
        expired_before = clock.now() - self._pending_for
        for upload_id, upload in zip(upload_ids, found, strict=True):
            if (
                upload is None
                or upload.hidden
                or upload.scope != "conversation"
                or upload.uploader_id != user_id
                or upload.conversation_id != conversation_id
                or (upload.pending and upload.created_at < expired_before)
            ):
                raise _not_attachable(upload_id)
        uploads = [u for u in found if u is not None]
        await asyncio.gather(*(self._repo.mark_attached(u.id) for u in uploads if u.pending))
        return [_attachment(u) for u in uploads]

    async def attach_scoped(
        self, user_id: str, scope: Scope, circle_id: str | None, upload_ids: list[str]
    ) -> list[Upload]:
        """A post's images or an avatar: the same rules as ``attach`` (the uploader's own, in
        this scope and circle, pending and not expired or attached already, never hidden);
        ``invalid`` naming ``field`` otherwise. Checks all before marking any."""
        found = await asyncio.gather(*(self._repo.get(i) for i in upload_ids))
        expired_before = clock.now() - self._pending_for
        for upload_id, upload in zip(upload_ids, found, strict=True):
            if (
                upload is None
                or upload.hidden
                or upload.scope != scope
                or upload.circle_id != circle_id
                or upload.uploader_id != user_id
                or (upload.pending and upload.created_at < expired_before)
            ):
                field = "images" if scope == "post" else "upload_id"
                raise Invalid("no such upload", {"fields": {field: f"no such upload: {upload_id}"}})
        uploads = [u for u in found if u is not None]
        await asyncio.gather(*(self._repo.mark_attached(u.id) for u in uploads if u.pending))
        return uploads

    async def hide(self, upload_ids: list[str]) -> None:
        """Nobody sees these any more (a deleted post's images, a replaced avatar)."""
        await asyncio.gather(*(self._repo.hide(i) for i in upload_ids))

    async def detach(self, conversation_id: str, upload_ids: list[str]) -> None:
        for upload_id in upload_ids:
            upload = await self._repo.get(upload_id)
            if upload is not None and upload.conversation_id == conversation_id:
                await self._repo.hide(upload_id)

    # expiry ------------------------------------------------------------------------------

    async def sweep(self) -> int:
        """Delete pending uploads past their time (and the grace); safe to run on every process
        at once: deleting twice is harmless."""
        cutoff = clock.now() - self._pending_for - SWEEP_GRACE
        gone = 0
        for upload in await self._repo.pending():
            if upload.created_at < cutoff:
                await self._repo.delete(upload)
                gone += 1
        return gone

    def start(self) -> None:
        self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()


def _attachment(u: Upload) -> Attachment:
    return Attachment(
        id=u.id,
        name=u.name,
        content_type=u.content_type,
        size=u.size,
        width=u.width,
        height=u.height,
        thumbnail=f"/api/uploads/{u.id}/thumbnail" if u.thumbnail_type else None,
    )
