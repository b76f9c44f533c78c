"""Where each line of a poster goes, shared by the PNG and the SVG renderers.

Portrait sizes (phone, A4) stack the text above a large QR code; the landscape preview (og, the
1200x630 Open Graph image) puts the QR code beside the text. Sizes are in units of the width
(portrait) or the height (landscape), so every size is the same poster scaled, and the title
shrinks (to 60 % at most) before the text may run into the QR code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from server.share import fonts

Size = Literal["phone", "a4", "og"]
SIZES: dict[str, tuple[int, int]] = {"phone": (1080, 1920), "a4": (2480, 3508), "og": (1200, 630)}
DPI = {"a4": 300}
ACCENT = "#1f5c4d"
INK = "#1b1b1b"
MUTED = "#4a4a4a"


@dataclass(frozen=True)
class Line:
    text: str
    x: float
    y: float  # the top of the line box
    size: int
    weight: str  # "regular" or "bold"
    color: str


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    band: int  # the height of the coloured band at the top
    lines: list[Line]
    qr_x: int
    qr_y: int
    qr_size: int


@dataclass(frozen=True)
class PosterText:
    circle: str
    title: str
    when: str
    place: str
    caption: str  # under the QR code: "Scan to sign up"
    url: str


def _block(
    text: str, x: float, y: float, width: float, size: int, weight: str, color: str, max_lines: int
) -> tuple[list[Line], float]:
    f = fonts.font(weight, size)
    step = size * 1.3
    out = [
        Line(t, x, y + i * step, size, weight, color)
        for i, t in enumerate(fonts.wrap(text, f, width, max_lines))
    ]
    return out, y + len(out) * step


def _text(t: PosterText, x: float, top: float, width: float, bottom: float, u: float) -> list[Line]:
    """Title, time and place in the column, the title shrinking until all of it fits."""
    scale = 1.0
    while True:
        lines, y = _block(t.title, x, top, width, round(92 * u * scale), "bold", INK, 4)
        y += 36 * u
        more, y = _block(t.when, x, y, width, round(46 * u), "regular", INK, 2)
        lines += more
        more, y = _block(t.place, x, y + 12 * u, width, round(46 * u), "regular", MUTED, 3)
        lines += more
        if y <= bottom or scale <= 0.6:
            return lines
        scale -= 0.1


def layout(t: PosterText, size: Size, qr_modules: int) -> Layout:
    w, h = SIZES[size]
    if size == "og":
        return _landscape(t, w, h, qr_modules)
    u = w / 1080
    m = 80 * u
    band = round(190 * u)
    lines, _ = _block(t.circle, m, 62 * u, w - 2 * m, round(44 * u), "bold", "#ffffff", 1)
    caption, _ = _block(t.caption, m, 0, w - 2 * m, round(44 * u), "bold", ACCENT, 1)
    url, _ = _block(t.url, m, 0, w - 2 * m, round(24 * u), "regular", MUTED, 1)
    foot = h - m - 44 * u * 1.3 - 24 * u * 1.3
    side = _fit(min(720 * u, 0.36 * h), qr_modules)
    qr_y = round(foot - side - 12 * u)
    lines += _text(t, m, band + 70 * u, w - 2 * m, qr_y - 40 * u, u)
    lines += [_centred(c, w, foot) for c in caption]
    lines += [_centred(c, w, foot + 44 * u * 1.3) for c in url]
    return Layout(w, h, band, lines, round((w - side) / 2), qr_y, side)


def _landscape(t: PosterText, w: int, h: int, qr_modules: int) -> Layout:
    u = h / 1080 * 1.25  # text a little larger than the portrait's, as previews are small
    m = 48
    side = _fit(h - 2 * m - 40, qr_modules)
    qr_x = w - m - side
    width = qr_x - 2 * m
    band = 0
    lines, y = _block(t.circle, m, m, width, round(44 * u), "bold", ACCENT, 1)
    lines += _text(t, m, y + 16 * u, width, h - m, u)
    caption, _ = _block(t.caption, qr_x, m + side + 4, side, 28, "bold", ACCENT, 1)
    lines += [_centred(c, 2 * qr_x + side, c.y) for c in caption]
    return Layout(w, h, band, lines, qr_x, m, side)


def _fit(space: float, modules: int) -> int:
    """The largest QR side not over ``space`` that is a whole number of pixels per module."""
    return max(1, int(space) // modules) * modules


def _centred(line: Line, width: float, y: float) -> Line:
    f = fonts.font(line.weight, line.size)
    return Line(
        line.text, (width - f.getlength(line.text)) / 2, y, line.size, line.weight, line.color
    )
