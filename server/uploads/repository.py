"""Upload records in ``uploads`` and their bytes in GridFS (bucket ``uploadfs``)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from gridfs import AsyncGridFSBucket
from gridfs.errors import CorruptGridFile, NoFile

from server.core.mongo import Db, Index, retry_busy
from server.uploads.models import Upload

log = logging.getLogger(__name__)
BUCKET = "uploadfs"
CHUNK_BYTES = 255 * 1024

INDEXES = {
    # the sweeper's lookup of uploads no message carries yet (``pending: true``)
    "uploads": [Index([("pending", 1)], "pending")],
    # GridFS's own indexes (the driver's names), declared so that they exist before the first
    # upload and so that core/pgindex.py mirrors them: chunks are read by ``files_id``.
    f"{BUCKET}.files": [Index([("filename", 1), ("uploadDate", 1)], "filename_1_uploadDate_1")],
    f"{BUCKET}.chunks": [
        Index([("files_id", 1), ("n", 1)], "files_id_1_n_1", unique=True, equality=1)
    ],
}


def _upload(d: dict[str, Any]) -> Upload:
    return Upload(
        id=d["_id"],
        conversation_id=d["conversation_id"],
        uploader_id=d["uploader_id"],
        name=d["name"],
        content_type=d["content_type"],
        size=int(d["size"]),
        created_at=d["created_at"],
        width=d.get("width"),
        height=d.get("height"),
        thumbnail_type=d.get("thumbnail_type"),
        pending=bool(d.get("pending", False)),
        hidden=bool(d.get("hidden", False)),
        scope=d.get("scope", "conversation"),
        circle_id=d.get("circle_id"),
    )


class UploadRepository:
    def __init__(self, db: Db) -> None:
        self._uploads = db["uploads"]
        self._bucket = AsyncGridFSBucket(db, bucket_name=BUCKET, chunk_size_bytes=CHUNK_BYTES)

    async def insert(self, upload: Upload, data: bytes, thumbnail: bytes | None) -> None:
        """The bytes first, then the record: a record is only ever written for stored bytes.
        If the record cannot be written the bytes are removed again (best effort; the sweeper
        has no record to find them by, so a failure here is logged)."""
        await self._put(upload.file_id, upload.name, data)
        if thumbnail is not None:
            await self._put(upload.thumbnail_id, upload.name, thumbnail)
        doc = {
            "_id": upload.id,
            "conversation_id": upload.conversation_id,
            "uploader_id": upload.uploader_id,
            "name": upload.name,
            "content_type": upload.content_type,
            "size": upload.size,
            "created_at": upload.created_at,
            "width": upload.width,
            "height": upload.height,
            "thumbnail_type": upload.thumbnail_type,
            "pending": True,
            "hidden": False,
            "scope": upload.scope,
            "circle_id": upload.circle_id,
        }
        try:
            await retry_busy(lambda: self._uploads.insert_one(doc))
        except Exception:
            await self.delete_bytes(upload)
            raise

    async def _put(self, file_id: str, name: str, data: bytes) -> None:
        stream = self._bucket.open_upload_stream_with_id(file_id, name)
        # GridFS checks its indexes before each upload with an unfiltered find on both
        # collections, which FerretDB v1 answers with a sequential scan. The indexes are
        # declared above and created at start-up, so the check is skipped.
        object.__setattr__(stream, "_ensured_index", True)
        try:
            await stream.write(data)
            await stream.close()
        except BaseException:
            await stream.abort()
            raise

    async def get(self, upload_id: str) -> Upload | None:
        d = await self._uploads.find_one({"_id": upload_id})
        return _upload(d) if d else None

    async def open_chunks(self, file_id: str) -> AsyncIterator[bytes] | None:
        """The stored bytes, chunk by chunk, or None if there are none. The first chunk is read
        before answering: a file being deleted (GridFS removes its record, then its chunks)
        may still have its record when it is opened, and its chunks gone when they are read.
        Found missing then, it is answered like a file not found; read once the response had
        begun, it broke the response after its headers (a 200 and a Content-Length, then the
        connection closed). A file of one chunk (255 KiB) is then read whole before the
        answer; one of several may still be cut short by a deletion under way."""
        try:
            out = await self._bucket.open_download_stream(file_id)
        except NoFile:
            return None
        try:
            first = await out.readchunk()
        except CorruptGridFile:
            await out.close()
            return None
        except BaseException:
            await out.close()
            raise

        async def chunks() -> AsyncIterator[bytes]:
            try:
                chunk = first
                while chunk:
                    yield chunk
                    chunk = await out.readchunk()
            finally:
                await out.close()

        return chunks()

    async def mark_attached(self, upload_id: str) -> None:
        await self._uploads.update_one({"_id": upload_id}, {"$set": {"pending": False}})

    async def hide(self, upload_id: str) -> None:
        await self._uploads.update_one({"_id": upload_id}, {"$set": {"hidden": True}})

    async def pending(self) -> list[Upload]:
        return [_upload(d) async for d in self._uploads.find({"pending": True})]

    async def delete(self, upload: Upload) -> None:
        """Bytes first, then the record, so a sweep that dies half-way is finished by the next
        one (which finds the record again)."""
        await self.delete_bytes(upload)
        await self._uploads.delete_one({"_id": upload.id})

    async def delete_bytes(self, upload: Upload) -> None:
        for file_id in (upload.file_id, upload.thumbnail_id):
            try:
                await self._bucket.delete(file_id)
            except NoFile:
                pass
