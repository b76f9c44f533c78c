"""A profile picture: any accepted still image, cropped square around its centre and scaled
down, with a small square thumbnail. Decoded and re-encoded like every image here (content.py):
EXIF orientation applied to the pixels, no metadata carried over. Pure and synchronous."""

from __future__ import annotations

import io

from PIL import Image, ImageOps

from server.uploads import content

SIDE = 512  # the served avatar, at most this many pixels square
THUMB_SIDE = 96  # the size lists and chat show


def prepare(data: bytes) -> content.Prepared:
    """The square avatar and its thumbnail, or ``content.Refused`` (not an image, too large)."""
    if not data:
        raise content.Refused("the file is empty")
    checked = content.prepare(data)  # the same checks as every upload: bombs, types, decoding
    if not checked.is_image:
        raise content.Refused("an avatar must be an image (JPEG, PNG, GIF or WebP)")
    try:
        with Image.open(io.BytesIO(checked.data)) as image:
            image.seek(0)  # an animation's first frame
            still = ImageOps.exif_transpose(image) or image.copy()
            side = min(still.size)
            square = ImageOps.fit(still.convert("RGBA"), (side, side), centering=(0.5, 0.5))
    except Exception as exc:  # content.prepare decoded it once already; belt and braces
        raise content.Refused("the image could not be decoded") from exc
    big = square.resize((min(side, SIDE),) * 2, Image.Resampling.LANCZOS)
    small = square.resize((min(side, THUMB_SIDE),) * 2, Image.Resampling.LANCZOS)
    alpha = square.getchannel("A").getextrema()
    opaque = alpha[0] == 255
    fmt, media, ext = ("JPEG", "image/jpeg", "jpg") if opaque else ("PNG", "image/png", "png")
    return content.Prepared(
        media, ext, _encode(big, fmt), big.width, big.height, _encode(small, fmt), media
    )


def _encode(image: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(buf, "JPEG", quality=88)
    else:
        image.save(buf, "PNG")
    return buf.getvalue()
