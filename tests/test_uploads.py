"""Uploads (issue 11, item 4): files and images for a conversation, stored in GridFS on the real
FerretDB, checked by content, served only to the conversation's members, hidden with their
message, expired when never attached."""

from __future__ import annotations

import asyncio
import io
import struct
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.support.client import Api, Sock
from tests.support.security_infra import Dedicated, LogMark, People, start_dedicated
from tests.support.transport_probe import Wire, chunk, request_head

LIMIT = 300_000  # UPLOAD_MAX_BYTES of this module's server
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"


@pytest.fixture(scope="module")
def dedicated(stack: Any) -> Iterator[Dedicated]:
    d = start_dedicated(stack, UPLOAD_MAX_BYTES=str(LIMIT), UPLOAD_SWEEP_SECONDS="0.2")
    yield d
    d.proc.stop()


@dataclass
class Room:
    alice: Api  # uploads
    bob: Api  # a member
    eve: Api  # an outsider
    sa: Sock
    conv: str
    people: People


@pytest.fixture
async def room(dedicated: Dedicated) -> AsyncIterator[Room]:
    people = People(dedicated.url)
    alice, bob, eve = [await people.user(n) for n in ("alice", "bob", "eve")]
    circle = await alice.create_circle("Pictures", visibility="private")
    invite = (await alice.post(f"/api/circles/{circle['id']}/invites")).json()["invite"]
    await bob.join(circle["id"], invite)
    sa = await people.sock(alice)
    yield Room(alice, bob, eve, sa, circle["conversation_id"], people)
    await people.aclose()


def jpeg_with_exif(size: tuple[int, int] = (64, 32)) -> bytes:
    """A JPEG whose EXIF says "rotate 90° clockwise to display" and carries a GPS position."""
    img = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the stored pixels are turned; show them rotated
    exif[0x010F] = "SpyCam"  # Make
    gps = exif.get_ifd(0x8825)
    gps[2] = (48.0, 51.0, 24.0)  # GPSLatitude
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


def png(size: tuple[int, int] = (20, 10)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", size, (0, 0, 255, 128)).save(buf, "PNG")
    return buf.getvalue()


async def upload(
    api: Api,
    data: bytes,
    name: str,
    conv: str | None,
    ctype: str = "application/octet-stream",
    in_query: bool = False,
) -> httpx.Response:
    files = {"file": (name, data, ctype)}
    form = {"conversation_id": conv} if conv and not in_query else {}
    params = {"conversation_id": conv} if conv and in_query else None
    return await api.http.post(
        "/api/uploads", files=files, data=form, params=params, headers=api._headers(None)
    )


async def raw_upload(api: Api, conv: str, filename: bytes, data: bytes) -> httpx.Response:
    """A multipart body written by hand: the file name exactly as given (a browser sends its
    bytes as they are; httpx would percent-encode quotes and newlines)."""
    body = (
        b"--b0undary\r\n"
        b'Content-Disposition: form-data; name="conversation_id"\r\n\r\n'
        + conv.encode()
        + b"\r\n--b0undary\r\n"
        b'Content-Disposition: form-data; name="file"; filename="' + filename + b'"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n" + data + b"\r\n--b0undary--\r\n"
    )
    headers = {**api._headers(None), "Content-Type": "multipart/form-data; boundary=b0undary"}
    return await api.http.post("/api/uploads", content=body, headers=headers)


async def stored(d: Dedicated) -> dict[str, int]:
    async with d.database() as db:
        return {
            name: await db[name].count_documents({})
            for name in ("uploads", "uploadfs.files", "uploadfs.chunks")
        }


async def send_with(sock: Sock, conv: str, upload_ids: list[str]) -> dict[str, Any]:
    payload = {
        "conversation_id": conv,
        "client_id": uuid.uuid4().hex,
        "text": "look",
        "attachments": upload_ids,
    }
    return await sock.call("message:send", payload)


async def test_an_image_is_served_turned_upright_without_its_exif_to_members_only(
    room: Room, dedicated: Dedicated
) -> None:
    mark = LogMark(dedicated.proc)
    name = "../../etc/pa\tss<wd>:é.exe".encode()
    resp = await raw_upload(room.alice, room.conv, name, jpeg_with_exif())
    assert resp.status_code == 201, resp.text
    up = resp.json()["upload"]
    assert up["content_type"] == "image/jpeg" and up["conversation_id"] == room.conv
    assert (up["width"], up["height"]) == (32, 64)  # turned as the EXIF orientation said
    assert up["name"] == "pass_wd__é.jpg", up["name"]
    assert up["url"] == f"/api/uploads/{up['id']}"
    assert up["thumbnail"] == f"/api/uploads/{up['id']}/thumbnail"

    got = await room.alice.get(up["url"])
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"] == (
        "inline; filename=\"pass_wd___.jpg\"; filename*=UTF-8''pass_wd__%C3%A9.jpg"
    )
    served = Image.open(io.BytesIO(got.content))
    assert served.size == (32, 64)
    assert len(served.getexif()) == 0 and "exif" not in served.info
    assert b"SpyCam" not in got.content
    thumb = await room.alice.get(up["thumbnail"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    small = Image.open(io.BytesIO(thumb.content))
    assert max(small.size) <= 320 and len(small.getexif()) == 0

    # Not attached yet: the uploader's alone.
    assert (await room.bob.get(up["url"])).status_code == 404
    ack = await send_with(room.sa, room.conv, [up["id"]])
    assert ack["ok"] is True, ack
    attached = ack["data"]["message"]["attachments"]
    assert [a["id"] for a in attached] == [up["id"]] and attached[0]["width"] == 32
    for path in (up["url"], up["thumbnail"]):
        member = await room.bob.get(path)
        assert member.status_code == 200 and member.headers["x-content-type-options"] == "nosniff"
        outsider = await room.eve.get(path)
        assert outsider.status_code == 404 and outsider.json()["error"]["code"] == "not_found"
        anonymous = await room.eve.get(path, token="")
        assert anonymous.status_code == 401
    # GridFS on FerretDB: the served bytes are the stored chunks
    async with dedicated.database() as db:
        chunks = [c async for c in db["uploadfs.chunks"].find({"files_id": up["id"]})]
    assert b"".join(bytes(c["data"]) for c in sorted(chunks, key=lambda c: c["n"])) == got.content
    assert mark.problems() == []


async def test_pdf_and_text_are_downloads_with_their_detected_type(room: Room) -> None:
    cases = [
        (PDF, "report.png", "application/pdf", "report.pdf"),
        ("héllo wörld\n".encode(), "notes", "text/plain; charset=utf-8", "notes.txt"),
    ]
    for data, name, ctype, shown in cases:
        resp = await upload(room.alice, data, name, room.conv, in_query=True)
        assert resp.status_code == 201, resp.text
        up = resp.json()["upload"]
        assert up["content_type"] == ctype and up["name"] == shown and up["thumbnail"] is None
        got = await room.alice.get(up["url"])
        assert got.status_code == 200 and got.content == data
        assert got.headers["content-type"] == ctype
        assert got.headers["content-disposition"].startswith(f'attachment; filename="{shown}"')
        assert got.headers["x-content-type-options"] == "nosniff"
        assert (
            await room.alice.get(up["thumbnail"] or up["url"] + "/thumbnail")
        ).status_code == 404


@pytest.mark.parametrize(
    ("data", "name"),
    [(HTML, "cat.png"), (b"\x00\x01\x02binary\xff" * 40, "blob.bin"), (b"", "empty.txt")],
    ids=["html-renamed-png", "unknown-binary", "empty"],
)
async def test_content_that_is_not_allowed_is_refused_and_nothing_stored(
    room: Room, dedicated: Dedicated, data: bytes, name: str
) -> None:
    before = await stored(dedicated)
    resp = await upload(room.alice, data, name, room.conv, ctype="image/png")
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    assert error["code"] == "invalid" and error["details"]["reason"] == "unsupported_type"
    assert "file" in error["details"]["fields"]
    assert await stored(dedicated) == before


async def test_a_file_over_the_limit_is_413_and_nothing_is_stored(
    room: Room, dedicated: Dedicated
) -> None:
    before = await stored(dedicated)
    big = b"a" * (LIMIT + 1)
    resp = await upload(room.alice, big, "big.txt", room.conv)
    assert resp.status_code == 413, resp.text
    error = resp.json()["error"]
    assert (
        error["code"] == "too_large" and error["details"]["fields"]["file"] == f"over {LIMIT} bytes"
    )
    exactly = await upload(room.alice, b"a" * LIMIT, "fits.txt", room.conv)
    assert exactly.status_code == 201, exactly.text
    after = await stored(dedicated)
    assert after["uploads"] == before["uploads"] + 1

    # A body announced far over the limit is refused before a byte of it is sent.
    wire = await Wire.open(dedicated.url)
    try:
        head = {
            "Authorization": f"Bearer {room.alice.token}",
            "Content-Type": "multipart/form-data; boundary=xyz",
            "Content-Length": str(300 * 1024 * 1024),
        }
        await wire.send(request_head("POST", f"/api/uploads?conversation_id={room.conv}", head))
        answer = await wire.response(timeout=3)
        assert answer.status == 413 and answer.json()["error"]["code"] == "too_large"
        assert await wire.closed_by_server(3)
    finally:
        wire.close()
    # A streamed (chunked) body that never ends is cut as soon as the file passes the limit.
    wire = await Wire.open(dedicated.url)
    try:
        head = {
            "Authorization": f"Bearer {room.alice.token}",
            "Content-Type": "multipart/form-data; boundary=xyz",
            "Transfer-Encoding": "chunked",
        }
        await wire.send(request_head("POST", f"/api/uploads?conversation_id={room.conv}", head))
        part = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n'
        await wire.send(chunk(part))
        for _ in range(4):
            await wire.send(chunk(b"b" * (LIMIT // 2)))
        answer = await wire.response(timeout=5)
        assert answer.status == 413, answer.body[:200]
        assert answer.headers.get("connection") == "close"
    finally:
        wire.close()
    assert await stored(dedicated) == after


async def test_only_members_upload(room: Room, dedicated: Dedicated) -> None:
    before = await stored(dedicated)
    for in_query in (True, False):
        resp = await upload(room.eve, png(), "x.png", room.conv, in_query=in_query)
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"
    no_token = await room.eve.http.post(
        "/api/uploads",
        files={"file": ("x.png", png(), "image/png")},
        params={"conversation_id": room.conv},
    )
    assert no_token.status_code == 401
    missing = await upload(room.alice, png(), "x.png", None)
    assert (
        missing.status_code == 422
        and "conversation_id" in missing.json()["error"]["details"]["fields"]
    )
    not_multipart = await room.alice.post(
        f"/api/uploads?conversation_id={room.conv}", {"file": "x"}
    )
    assert not_multipart.status_code == 422
    assert await stored(dedicated) == before


async def test_attach_only_your_own_upload_in_its_conversation_and_delete_hides_it(
    room: Room,
) -> None:
    up = (await upload(room.alice, png(), "dot.png", room.conv)).json()["upload"]
    sb = await room.people.sock(room.bob)
    stolen = await send_with(sb, room.conv, [up["id"]])
    assert stolen["ok"] is False and stolen["error"]["code"] == "invalid", stolen
    assert "attachments" in stolen["error"]["details"]["fields"]
    dm = (await room.sa.ok("dm:open", {"user_id": room.bob.id}))["conversation"]["id"]
    elsewhere = await send_with(room.sa, dm, [up["id"]])
    assert elsewhere["ok"] is False and elsewhere["error"]["code"] == "invalid", elsewhere
    assert (await room.bob.get(up["url"])).status_code == 404  # still pending

    sent = await send_with(room.sa, room.conv, [up["id"]])
    assert sent["ok"] is True, sent
    assert (await room.bob.get(up["url"])).status_code == 200
    deleted = await room.sa.ok("message:delete", {"message_id": sent["data"]["message"]["id"]})
    assert deleted["message"]["attachments"] == []
    for api in (room.alice, room.bob):
        for path in (up["url"], up["thumbnail"]):
            assert (await api.get(path)).status_code == 404, path
    again = await send_with(room.sa, room.conv, [up["id"]])
    assert again["ok"] is False and again["error"]["code"] == "invalid", again


async def test_an_upload_never_attached_expires(
    room: Room, dedicated: Dedicated, clock: Any
) -> None:
    up = (await upload(room.alice, png(), "later.png", room.conv)).json()["upload"]
    kept = (await upload(room.alice, png(), "sent.png", room.conv)).json()["upload"]
    assert (await send_with(room.sa, room.conv, [kept["id"]]))["ok"] is True
    clock.advance(25 * 3600)
    try:
        deadline = 50
        while (await room.alice.get(up["url"])).status_code != 404 and deadline:
            deadline -= 1
            await asyncio.sleep(0.2)
        assert deadline, "the pending upload was not swept"
        async with dedicated.database() as db:
            # the sweep deletes the bytes first (the 404 above), then the record
            while await db["uploads"].count_documents({"_id": up["id"]}) and deadline:
                deadline -= 1
                await asyncio.sleep(0.2)
            assert deadline, "the swept upload's record was not deleted"
            assert await db["uploadfs.files"].count_documents({"_id": up["id"]}) == 0
            assert await db["uploadfs.chunks"].count_documents({"files_id": up["id"]}) == 0
        assert (await room.bob.get(kept["url"])).status_code == 200  # attached: kept
        late = await send_with(room.sa, room.conv, [up["id"]])
        assert late["ok"] is False
    finally:
        clock.advance(-25 * 3600)


async def test_a_file_whose_bytes_are_being_deleted_is_not_found_not_cut_off(
    room: Room, dedicated: Dedicated
) -> None:
    """GridFS deletes a file's record, then its chunks: a download opened in between found the
    record, answered 200 with the Content-Length, then found no chunk and closed the connection
    (the expiry sweep racing a download, seen in a CI run). With the chunks gone and the record
    still there, the download is answered 404 whole."""
    up = (await upload(room.alice, png(), "going.png", room.conv)).json()["upload"]
    assert (await room.alice.get(up["url"])).status_code == 200
    async with dedicated.database() as db:
        gone = await db["uploadfs.chunks"].delete_many({"files_id": up["id"]})
        assert gone.deleted_count >= 1
        assert await db["uploadfs.files"].count_documents({"_id": up["id"]}) == 1
    resp = await room.alice.get(up["url"])
    assert resp.status_code == 404, resp.status_code
    assert resp.json()["error"]["code"] == "not_found"


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that announces ``width`` x ``height`` pixels and holds none (a decompression bomb's
    shape: the header is all a decoder needs to start allocating)."""

    def chunk_of(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk_of(b"IHDR", ihdr)
        + chunk_of(b"IDAT", idat)
        + chunk_of(b"IEND", b"")
    )


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (30, 20), (i, 255 - i, 0)) for i in (10, 120, 240)]
    buf = io.BytesIO()
    frames[0].save(
        buf, "GIF", save_all=True, append_images=frames[1:], duration=80, loop=0, comment=b"secret"
    )
    return buf.getvalue()


def webp() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (50, 40), (10, 200, 10)).save(buf, "WEBP")
    return buf.getvalue()


async def test_png_gif_and_webp_keep_their_format_and_a_bomb_is_refused(
    room: Room, dedicated: Dedicated
) -> None:
    for data, ctype, thumb_type, frames in (
        (png(), "image/png", "image/png", 1),  # transparent: a PNG thumbnail
        (animated_gif(), "image/gif", "image/jpeg", 3),
        (webp(), "image/webp", "image/jpeg", 1),
    ):
        resp = await upload(room.alice, data, "picture", room.conv)
        assert resp.status_code == 201, resp.text
        up = resp.json()["upload"]
        assert up["content_type"] == ctype, up
        got = await room.alice.get(up["url"])
        served = Image.open(io.BytesIO(got.content))
        assert got.headers["content-type"] == ctype
        assert getattr(served, "n_frames", 1) == frames and b"secret" not in got.content
        thumb = await room.alice.get(up["thumbnail"])
        assert thumb.headers["content-type"] == thumb_type
    before = await stored(dedicated)
    bomb = await upload(room.alice, png_header_only(20_000, 20_000), "bomb.png", room.conv)
    assert (
        bomb.status_code == 422 and bomb.json()["error"]["details"]["reason"] == "unsupported_type"
    )
    assert await stored(dedicated) == before


async def test_refused_uploads_keep_the_connection_usable(room: Room) -> None:
    """A refusal sent before the body was read (no token: refused before the form is parsed)
    used to close the socket with the body unread; the kernel then reset the connection and the
    client could lose the answer or its next request on that connection. A small refused body
    is now read first and the connection stays open."""
    picture = png((64, 64))
    for _ in range(40):
        resp = await room.eve.http.post(
            "/api/uploads",
            files={"file": ("x.png", picture, "image/png")},
            params={"conversation_id": room.conv},
        )
        assert resp.status_code == 401, resp.text
        assert resp.headers.get("connection") != "close"
    assert (await room.eve.http.get("/healthz")).status_code == 200
