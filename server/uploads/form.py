"""A ``multipart/form-data`` body read as it streams in, with python-multipart's push parser:
one file part (``file``) and at most the ``conversation_id`` field. The file is kept in memory
(it is decoded as a whole anyway) and refused as soon as it passes the limit, before the rest
of the body is read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from server.core.errors import Invalid
from server.uploads.models import TooLarge

FIELDS = ("conversation_id",)
MAX_FIELD_BYTES = 256


def _invalid(field_name: str, why: str) -> Invalid:
    return Invalid("the upload is malformed", {"fields": {field_name: why}})


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    filename: str | None = None
    data: bytes = b""


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    chunks: list[bytes] = field(default_factory=list)
    size: int = 0


class FormReader:
    def __init__(self, content_type: str, max_file_bytes: int) -> None:
        kind, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise _invalid("body", "must be multipart/form-data with a boundary")
        self._max = max_file_bytes
        self._form = Form()
        self._part = _Part()
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._seen_file = False
        self._ended = False
        callbacks: Any = {
            "on_part_begin": self._begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_cb,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_done,
            "on_part_data": self._data,
            "on_part_end": self._end,
            "on_end": self._finished,
        }
        self._parser = MultipartParser(boundary, callbacks)

    async def read(self, stream: AsyncIterator[bytes]) -> Form:
        """Feed the body through the parser; ``TooLarge`` at the first byte over the limit."""
        try:
            async for chunk in stream:
                if chunk:
                    self._parser.write(chunk)
            self._parser.finalize()
        except MultipartParseError as exc:
            raise _invalid("body", f"malformed multipart body: {str(exc)[:100]}") from None
        if not self._ended:
            raise _invalid("body", "the multipart body ended early")
        if not self._seen_file:
            raise _invalid("file", "a file is required")
        return self._form

    # parser callbacks (synchronous, called from write()) ---------------------------------

    def _begin(self) -> None:
        self._part = _Part()
        self._headers = {}

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_cb(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name = self._header_value = b""

    def _headers_done(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        raw_filename = options.get(b"filename")
        self._part.name = name
        if name == "file":
            if self._seen_file:
                raise _invalid("file", "one file per upload")
            self._seen_file = True
            self._part.filename = (
                raw_filename.decode("utf-8", "replace") if raw_filename is not None else None
            )
        elif name not in FIELDS or name in self._form.fields:
            raise _invalid(name[:40] or "body", "unexpected form field")

    def _data(self, data: bytes, start: int, end: int) -> None:
        part = self._part
        part.size += end - start
        if part.name == "file":
            if part.size > self._max:
                raise TooLarge(self._max)
        elif part.size > MAX_FIELD_BYTES:
            raise _invalid(part.name, "too long")
        part.chunks.append(data[start:end])

    def _end(self) -> None:
        part = self._part
        value = b"".join(part.chunks)
        if part.name == "file":
            self._form.filename = part.filename
            self._form.data = value
        else:
            try:
                self._form.fields[part.name] = value.decode("utf-8")
            except UnicodeDecodeError:
                raise _invalid(part.name, "must be UTF-8 text") from None

    def _finished(self) -> None:
        self._ended = True
