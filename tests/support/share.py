"""Helpers for the share page and poster tests: anonymous fetches and an HTML reader."""

from __future__ import annotations

from datetime import datetime
from html.parser import HTMLParser
from typing import Any

import httpx

MISSING = "0123456789abcdef0123456789abcdef"  # an id shaped like a real one that names nothing


async def anon(base_url: str, path: str, **kw: Any) -> httpx.Response:
    """Fetched as a visitor who is not signed in (no token, no cookie)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        return await http.get(path, **kw)


class Page(HTMLParser):
    """The parts of a page the tests read: meta tags, links and the visible text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.links: list[tuple[str, str]] = []  # (href, class)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        self.attrs += list(a.items())
        if tag == "meta" and ("property" in a or "name" in a):
            self.meta[a.get("property") or a["name"]] = a.get("content", "")
        if tag == "a":
            self.links.append((a.get("href", ""), a.get("class", "")))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def button(self) -> str:
        found = [href for href, cls in self.links if cls == "button"]
        assert len(found) == 1, self.links
        return found[0]


def utc_when(starts: str, ends: str) -> str:
    """How the page writes an activity's time (UTC, naming the zone): one date for a same-day
    activity, both dates for one that runs past midnight (the tests' activities start relative
    to the wall clock, so either happens)."""
    s = datetime.fromisoformat(starts.replace("Z", "+00:00"))
    e = datetime.fromisoformat(ends.replace("Z", "+00:00"))
    if s.date() == e.date():
        return f"{s:%a} {s.day} {s:%b %Y}, {s:%H:%M}\u2013{e:%H:%M} UTC"
    return f"{s:%a} {s.day} {s:%b %Y}, {s:%H:%M} \u2013 {e:%a} {e.day} {e:%b %Y}, {e:%H:%M} UTC"


# Headers that differ between any two answers: the time, and the request id every answer
# carries for the logs (server/core/logs.py). Everything else must match.
PER_REQUEST = ("date", "x-request-id")


def without_date(headers: httpx.Headers) -> list[tuple[str, str]]:
    """The headers but those that differ per request: a refusal must otherwise be identical."""
    return sorted((k, v) for k, v in headers.items() if k.lower() not in PER_REQUEST)
