"""The poster fonts, found by path, and line wrapping measured with them.

Noto Sans CJK (Debian's ``fonts-noto-cjk``, installed by scripts/bootstrap) covers Latin, Greek,
Cyrillic and the CJK scripts in one face, so a title mixing them needs no fallback chain. The
face is picked by name inside the collection (the SC face: Simplified Chinese glyph shapes).
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont

from server.core.errors import Unavailable

FONT_DIRS = (
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/noto-cjk"),  # other distributions' layouts
    Path("/usr/share/fonts/google-noto-cjk"),
)
FILES = {"regular": "NotoSansCJK-Regular.ttc", "bold": "NotoSansCJK-Bold.ttc"}
FACE = "Noto Sans CJK SC"
FAMILY = '"Noto Sans CJK SC", "Noto Sans SC", "Noto Sans", sans-serif'  # for the SVG poster
Font = ImageFont.FreeTypeFont


class FontsMissing(Unavailable):
    """Posters cannot be drawn on this machine: answered as ``unavailable`` (503)."""


@dataclass(frozen=True)
class FontFile:
    path: Path
    index: int


@functools.cache
def font_file(weight: str) -> FontFile:
    """The collection file and the face index of ``weight`` ("regular" or "bold")."""
    for folder in FONT_DIRS:
        path = folder / FILES[weight]
        if path.is_file():
            return FontFile(path, _face_index(path))
    raise FontsMissing(
        "posters need the Noto CJK fonts: install Debian's fonts-noto-cjk (scripts/bootstrap); "
        f"looked for {FILES[weight]} in " + ", ".join(str(d) for d in FONT_DIRS)
    )


def _face_index(path: Path) -> int:
    for index in range(16):
        try:
            face = ImageFont.truetype(str(path), 12, index=index)
        except OSError:
            break
        if face.getname()[0] == FACE:
            return index
    return 0


@functools.lru_cache(maxsize=64)
def font(weight: str, size: int) -> Font:
    f = font_file(weight)
    return ImageFont.truetype(str(f.path), size, index=f.index)


def _tokens(text: str) -> list[str]:
    """Words, spaces, and each wide (CJK) character on its own: a line may break between any
    two CJK characters but only at spaces between Latin words."""
    out: list[str] = []
    for ch in text:
        wide = unicodedata.east_asian_width(ch) in ("W", "F")
        if wide or not out or out[-1][-1:].isspace() != ch.isspace() or _wide(out[-1]):
            out.append(ch)
        else:
            out[-1] += ch
    return out


def _wide(token: str) -> bool:
    return len(token) == 1 and unicodedata.east_asian_width(token) in ("W", "F")


def wrap(text: str, f: Font, width: float, max_lines: int) -> list[str]:
    """Greedy wrapping to ``width`` pixels; past ``max_lines`` the last line ends in "…"."""
    lines: list[str] = []
    line = ""
    for token in _tokens(" ".join(text.split())):
        if f.getlength(line + token) <= width:
            line += token
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = "" if token.isspace() else token
        while f.getlength(line) > width:  # a word longer than the line: break inside it
            cut = _longest_prefix(line, f, width)
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = ellipsize(lines[-1] + "…", f, width)
    return lines


def _longest_prefix(text: str, f: Font, width: float) -> int:
    cut = len(text)
    while cut > 1 and f.getlength(text[:cut]) > width:
        cut -= 1
    return cut


def ellipsize(text: str, f: Font, width: float) -> str:
    if f.getlength(text) <= width:
        return text
    body = text.rstrip("…")
    while body and f.getlength(body + "…") > width:
        body = body[:-1]
    return body.rstrip() + "…"
