"""What an uploaded file is, decided from its bytes alone (never from its name or declared type),
and the copies of it that are served.

Images are decoded by Pillow and re-encoded: the orientation their EXIF data asks for is applied
to the pixels, and nothing of the original's metadata (EXIF with its GPS position, XMP, comments,
text chunks) is carried over. Other files are served as they came, from a small allowlist
recognised by content: PDF (``%PDF-``) and UTF-8 plain text. Anything that sniffs as HTML or XML
is refused, whatever its name, since a browser could be talked into rendering it.

Pure and synchronous (CPU work): the service runs it in a worker thread.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

# Pillow format -> (content type, extension)
IMAGE_TYPES = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}
PDF = ("application/pdf", "pdf")
TEXT = ("text/plain; charset=utf-8", "txt")
# A decompression bomb is refused from its header, before it is decoded: a frame of 25
# megapixels is 100 MB decoded (RGBA), and all frames together at most 4 times that.
MAX_PIXELS = 25_000_000
MAX_TOTAL_PIXELS = 100_000_000
MAX_FRAMES = 300
THUMBNAIL_BOX = (320, 320)
# The HTML and XML signatures browsers sniff for (WHATWG MIME Sniffing, "HTML" and "XML"),
# at the start after whitespace, case-insensitive.
_MARKUP = re.compile(
    rb"\A[\t\n\x0c\r ]*(<!doctype html|<html|<head|<script|<iframe|<h1|<div|<font|<table|<a[\s>]"
    rb"|<style|<title|<b[\s>]|<body|<br|<p[\s>]|<!--|<\?xml|<svg)",
    re.IGNORECASE,
)
# C0 and C1 controls but tab, line feed, form feed and carriage return
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


class Refused(Exception):
    """The bytes are not a type this server accepts; ``reason`` says why, for the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Prepared:
    """What is stored: the served bytes, their type, and for images a thumbnail."""

    content_type: str
    extension: str
    data: bytes
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None
    thumbnail_type: str | None = None

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


def prepare(data: bytes) -> Prepared:
    """The servable form of ``data``, or ``Refused``."""
    if not data:
        raise Refused("the file is empty")
    image = _open_image(data)
    if image is not None:
        return _prepare_image(image)
    if data.startswith(b"%PDF-"):
        return Prepared(PDF[0], PDF[1], data)
    if _MARKUP.match(data[:1024]) or _MARKUP.match(data[:1024].lstrip(b"\xef\xbb\xbf")):
        raise Refused("HTML and XML files are not accepted")
    if _is_text(data):
        return Prepared(TEXT[0], TEXT[1], data)
    raise Refused("only images (JPEG, PNG, GIF, WebP), PDF and plain text are accepted")


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return _CONTROL.search(text) is None


def _open_image(data: bytes) -> Image.Image | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(IMAGE_TYPES))
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None
    except (OSError, ValueError, SyntaxError):
        return None
    return image


def _prepare_image(image: Image.Image) -> Prepared:
    fmt = image.format or ""
    content_type, extension = IMAGE_TYPES[fmt]
    width, height = image.size
    frames = int(getattr(image, "n_frames", 1))
    pixels = width * height
    if pixels > MAX_PIXELS or frames > MAX_FRAMES or pixels * frames > MAX_TOTAL_PIXELS:
        raise Refused("the image is too large to process")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if frames > 1:
                data, size = _reencode_animation(image, fmt)
            else:
                data, size = _reencode_still(image, fmt)
            thumbnail, thumb_type = _thumbnail(image)
    except Refused:
        raise
    except Exception as exc:  # a truncated or corrupt image: Pillow's errors vary by format
        raise Refused("the image could not be decoded") from exc
    return Prepared(content_type, extension, data, size[0], size[1], thumbnail, thumb_type)


def _clean(image: Image.Image) -> Image.Image:
    """The pixels turned as EXIF says, with no metadata left to be saved with them."""
    turned = ImageOps.exif_transpose(image) or image.copy()
    out = turned.copy()
    out.info = {}
    return out


def _reencode_still(image: Image.Image, fmt: str) -> tuple[bytes, tuple[int, int]]:
    clean = _clean(image)
    buf = io.BytesIO()
    if fmt == "JPEG":
        if clean.mode not in ("RGB", "L", "CMYK"):
            clean = clean.convert("RGB")
        clean.save(buf, "JPEG", quality=90)
    elif fmt == "GIF":
        clean.save(buf, "GIF")
    else:
        clean.save(buf, fmt, **({"quality": 90} if fmt == "WEBP" else {}))
    return buf.getvalue(), clean.size


def _reencode_animation(image: Image.Image, fmt: str) -> tuple[bytes, tuple[int, int]]:
    """GIF and WebP animations keep their frames and timing, and nothing else."""
    frames = []
    durations = []
    for frame in ImageSequence.Iterator(image):
        durations.append(int(frame.info.get("duration", 100)))
        copy = frame.copy()
        copy.info = {}
        frames.append(copy.convert("RGBA") if fmt == "WEBP" else copy)
    buf = io.BytesIO()
    frames[0].save(
        buf,
        fmt,
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=int(image.info.get("loop", 0)),
    )
    return buf.getvalue(), frames[0].size


def _thumbnail(image: Image.Image) -> tuple[bytes, str]:
    """A small preview of the first frame: JPEG, or PNG where there is transparency."""
    image.seek(0)
    thumb = _clean(image)
    thumb.thumbnail(THUMBNAIL_BOX)
    buf = io.BytesIO()
    if thumb.mode in ("RGBA", "LA", "P", "PA") and (
        thumb.mode != "P" or "transparency" in image.info
    ):
        thumb.convert("RGBA").save(buf, "PNG")
        return buf.getvalue(), "image/png"
    thumb.convert("RGB").save(buf, "JPEG", quality=80)
    return buf.getvalue(), "image/jpeg"


_UNSAFE = re.compile(r"[^\w .()+-]", re.UNICODE)


def safe_name(declared: str | None, extension: str) -> str:
    """A file name to show and to offer in ``Content-Disposition``: the declared one's last path
    part, without control, quote or path characters, at most 100 characters, and always ending
    in the extension of the detected type (``photo.exe`` holding a PNG becomes
    ``photo.png``)."""
    base = (declared or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = _UNSAFE.sub("_", stem).strip(" .")[:90] or "file"
    return f"{stem}.{extension}"
