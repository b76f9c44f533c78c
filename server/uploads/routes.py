"""Upload endpoints: a multipart upload, and the stored file and thumbnail."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import quote

from starlette.requests import ClientDisconnect
from starlette.responses import Response, StreamingResponse

from server.core.errors import BadRequest, Invalid
from server.core.ratelimit import Budget
from server.http.routing import Ctx, Route
from server.uploads.form import FormReader
from server.uploads.models import Scope, Upload
from server.uploads.schemas import UploadEnvelope, UploadOut, UploadQuery
from server.uploads.service import UploadService

UPLOAD = Budget("upload", per_minute=30, burst=10)
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Room in the body for the form's boundaries, part headers and the conversation field.
FORM_OVERHEAD = 64 * 1024


def disposition(kind: str, name: str) -> str:
    """``kind; filename="<ASCII>"; filename*=UTF-8''<name>`` (RFC 6266): an ASCII fallback for
    old clients, the exact name for the rest. The name is already free of quotes and controls
    (content.safe_name)."""
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def served(upload: Upload, chunks: AsyncIterator[bytes], thumbnail: bool) -> Response:
    if thumbnail:
        assert upload.thumbnail_type is not None
        media_type = upload.thumbnail_type
        stem = upload.name.rsplit(".", 1)[0]
        name = f"{stem}.thumb.{'png' if media_type == 'image/png' else 'jpg'}"
    else:
        media_type, name = upload.content_type, upload.name
    headers = {
        # Images show in the page; anything else is a download, never rendered by the browser.
        "Content-Disposition": disposition("inline" if upload.is_image else "attachment", name),
        "X-Content-Type-Options": "nosniff",
        # Served only to members: no shared cache. Kept a minute by the browser, so a deleted
        # message's files can linger that long in a tab that already fetched them.
        "Cache-Control": "private, max-age=60",
        # Even opened directly, a file runs nothing and loads nothing.
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox",
    }
    if not thumbnail:
        headers["Content-Length"] = str(upload.size)
    return StreamingResponse(chunks, media_type=media_type, headers=headers)


def routes(uploads: UploadService) -> list[Route]:
    async def upload_file(ctx: Ctx) -> UploadEnvelope:
        q: UploadQuery = ctx.query
        if q.circle_id is not None or q.purpose is not None:
            return await _scoped(ctx, q)
        if q.conversation_id is not None:
            await uploads.check_conversation(ctx.who, q.conversation_id)
        reader = FormReader(ctx.request.headers.get("content-type", ""), uploads.max_bytes)
        try:
            form = await reader.read(ctx.request.stream())
        except ClientDisconnect:  # nobody to answer; nothing was stored
            raise BadRequest("the client went away", {"fields": {"body": "incomplete"}}) from None
        field = form.fields.get("conversation_id")
        if field is not None and (
            not _ID.fullmatch(field) or q.conversation_id not in (None, field)
        ):
            raise Invalid(
                "the input failed validation",
                {
                    "fields": {
                        "conversation_id": "must be a conversation id (the same in both places)"
                    }
                },
            )
        conversation_id = q.conversation_id or field
        if conversation_id is None:
            raise Invalid(
                "the input failed validation", {"fields": {"conversation_id": "is required"}}
            )
        upload = await uploads.store(ctx.who, conversation_id, form.filename, form.data)
        return UploadEnvelope(upload=UploadOut.of(upload))

    async def _scoped(ctx: Ctx, q: UploadQuery) -> UploadEnvelope:
        """A post image (``circle_id``) or an avatar (``purpose=avatar``): exactly one of them,
        and no conversation."""
        if q.conversation_id is not None or (q.circle_id is not None) == (q.purpose is not None):
            raise Invalid(
                "the input failed validation",
                {"fields": {"circle_id": "give one of conversation_id, circle_id, purpose"}},
            )
        scope: Scope = q.purpose or "post"
        await uploads.check_scope(ctx.who, scope, q.circle_id)
        reader = FormReader(ctx.request.headers.get("content-type", ""), uploads.max_bytes)
        try:
            form = await reader.read(ctx.request.stream())
        except ClientDisconnect:
            raise BadRequest("the client went away", {"fields": {"body": "incomplete"}}) from None
        if form.fields:
            raise Invalid(
                "the input failed validation",
                {"fields": {"conversation_id": "not with circle_id or purpose"}},
            )
        upload = await uploads.store_scoped(ctx.who, scope, q.circle_id, form.filename, form.data)
        return UploadEnvelope(upload=UploadOut.of(upload))

    async def get_upload(ctx: Ctx) -> Response:
        return served(*await uploads.open(ctx.who, ctx.path["id"], thumbnail=False), False)

    async def get_upload_thumbnail(ctx: Ctx) -> Response:
        return served(*await uploads.open(ctx.who, ctx.path["id"], thumbnail=True), True)

    t = ["uploads"]
    return [
        Route(
            "POST",
            "/api/uploads",
            upload_file,
            "Upload one file (multipart/form-data: file, conversation_id) for a conversation, "
            "or an image for a circle post (?circle_id=) or an avatar (?purpose=avatar)",
            query=UploadQuery,
            response=UploadEnvelope,
            status=201,
            raw_body=True,
            budget=UPLOAD,
            tags=t,
        ),
        Route("GET", "/api/uploads/{id}", get_upload, "A stored file (members only)", tags=t),
        Route(
            "GET",
            "/api/uploads/{id}/thumbnail",
            get_upload_thumbnail,
            "An image's thumbnail (members only)",
            tags=t,
        ),
    ]
