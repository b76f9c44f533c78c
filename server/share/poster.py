"""Posters: the layout drawn as PNG (Pillow) or written as SVG, with a QR code (segno) of the
share URL. Drawing takes tens to hundreds of milliseconds, so it runs in a worker thread and its
result is kept in a small cache keyed by everything the poster shows."""

from __future__ import annotations

import io
from collections import OrderedDict
from html import escape

import segno
from PIL import Image, ImageDraw

from server.share import fonts
from server.share.layout import ACCENT, DPI, PosterText, Size, layout

QR_BORDER = 4  # modules of quiet zone, as the QR specification asks
CACHE_ENTRIES = 32


def _qr(url: str) -> segno.QRCode:
    return segno.make(url, error="m", micro=False)


def _modules(qr: segno.QRCode) -> int:
    return int(qr.symbol_size(scale=1, border=QR_BORDER)[0])


def png(t: PosterText, size: Size) -> bytes:
    qr = _qr(t.url)
    lay = layout(t, size, _modules(qr))
    img = Image.new("RGB", (lay.width, lay.height), "#ffffff")
    draw = ImageDraw.Draw(img)
    if lay.band:
        draw.rectangle((0, 0, lay.width, lay.band), fill=ACCENT)
    for line in lay.lines:
        draw.text(
            (line.x, line.y), line.text, font=fonts.font(line.weight, line.size), fill=line.color
        )
    code = io.BytesIO()
    qr.save(code, kind="png", scale=lay.qr_size // _modules(qr), border=QR_BORDER)
    code.seek(0)
    img.paste(Image.open(code).convert("RGB"), (lay.qr_x, lay.qr_y))
    out = io.BytesIO()
    dpi = DPI.get(size)
    img.save(out, format="PNG", optimize=False, **({"dpi": (dpi, dpi)} if dpi else {}))
    return out.getvalue()


def svg(t: PosterText, size: Size) -> bytes:
    qr = _qr(t.url)
    lay = layout(t, size, _modules(qr))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{lay.width}" height="{lay.height}" '
        f'viewBox="0 0 {lay.width} {lay.height}">',
        f"<title>{escape(t.title)}</title>",
        f'<rect width="{lay.width}" height="{lay.height}" fill="#ffffff"/>',
    ]
    if lay.band:
        parts.append(f'<rect width="{lay.width}" height="{lay.band}" fill="{ACCENT}"/>')
    parts.append(f"<g font-family='{fonts.FAMILY}'>")
    for line in lay.lines:
        weight = "700" if line.weight == "bold" else "400"
        # Pillow places a line by the top of its box; SVG by the baseline.
        ascent = fonts.font(line.weight, line.size).getmetrics()[0]
        parts.append(
            f'<text x="{line.x:.1f}" y="{line.y + ascent:.1f}" font-size="{line.size}" '
            f'font-weight="{weight}" fill="{line.color}">{escape(line.text)}</text>'
        )
    parts.append("</g>")
    scale = lay.qr_size // _modules(qr)
    inline = qr.svg_inline(scale=scale, border=QR_BORDER, dark="#000", light="#fff")
    parts.append(f'<g transform="translate({lay.qr_x} {lay.qr_y})">{inline}</g>')
    parts.append("</svg>")
    return "\n".join(parts).encode()


class PosterCache:
    """The last few posters drawn, by (format, size, text): a poster shared in a busy group is
    fetched many times, and drawing an A4 one costs far more than reading its activity."""

    def __init__(self, entries: int = CACHE_ENTRIES) -> None:
        self._entries = entries
        self._kept: OrderedDict[tuple[str, str, PosterText], bytes] = OrderedDict()

    def get(self, key: tuple[str, str, PosterText]) -> bytes | None:
        found = self._kept.get(key)
        if found is not None:
            self._kept.move_to_end(key)
        return found

    def put(self, key: tuple[str, str, PosterText], body: bytes) -> None:
        self._kept[key] = body
        self._kept.move_to_end(key)
        while len(self._kept) > self._entries:
            self._kept.popitem(last=False)
