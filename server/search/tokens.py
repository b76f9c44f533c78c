"""Words of a text, as the index and the queries see them.

Text is NFKC-normalised and casefolded, then split into runs of Unicode word characters
(``\\w``: letters, digits, marks, underscore). Scripts written without spaces (Han, Hiragana,
Katakana) cannot be split into words without a dictionary, so each run of them gives its
characters and its pairs of neighbouring characters (bigrams): a query "東京都" is the bigrams
"東京" and "京都", both of which a text containing it has, and a single-character query still
matches. Hangul is written with spaces and is treated as words.
"""

from __future__ import annotations

import re
import unicodedata

MAX_TERM = 64  # characters; longer "words" (hashes, base64) are cut
MAX_TERMS = 400  # distinct terms indexed per message
_WORD = re.compile(r"\w+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")


def _runs(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def _terms_of(word: str) -> list[str]:
    out: list[str] = []
    last = 0
    for m in _CJK.finditer(word):
        if m.start() > last:
            out.append(word[last : m.start()][:MAX_TERM])
        chars = m.group()
        out.extend(chars)
        out.extend(chars[i : i + 2] for i in range(len(chars) - 1))
        last = m.end()
    if last < len(word):
        out.append(word[last:][:MAX_TERM])
    return [t for t in out if t.strip("_")]


def index_terms(text: str) -> list[str]:
    """The distinct terms of a message, in order of first appearance (at most MAX_TERMS)."""
    seen: dict[str, None] = {}
    for word in _runs(text):
        for term in _terms_of(word):
            seen.setdefault(term, None)
            if len(seen) >= MAX_TERMS:
                return list(seen)
    return list(seen)


def query_terms(text: str) -> list[str]:
    """The terms a query needs, all of which a message must contain. In a CJK run the pairs
    suffice (each character is in one of them), except for a run of one character."""
    seen: dict[str, None] = {}
    for word in _runs(text):
        for term in _terms_of(word):
            is_cjk_char = len(term) == 1 and _CJK.fullmatch(term) is not None
            if is_cjk_char and _CJK.search(word) and _has_pair(word, term):
                continue
            seen.setdefault(term, None)
    return list(seen)


def _has_pair(word: str, char: str) -> bool:
    """Whether ``char`` stands next to another CJK character in ``word`` (then a bigram covers
    it)."""
    for m in _CJK.finditer(word):
        if char in m.group() and len(m.group()) > 1:
            return True
    return False
