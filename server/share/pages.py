"""Share pages as HTML: no script, one stylesheet, Open Graph and Twitter card tags.

Templates (templates/*.html) are ``string.Template`` files; every value is HTML-escaped on the
way in unless it is ``Safe`` (a fragment this module built from escaped parts), so a title such
as ``<script>`` is shown as text and cannot end an attribute.
"""

from __future__ import annotations

import functools
from html import escape
from pathlib import Path
from string import Template

from server.share.facts import ActivityFacts
from server.share.links import Links
from server.share.service import ActivityView, CircleView, GoingView

TEMPLATES = Path(__file__).with_name("templates")
SITE = "Circles"


class Safe(str):
    """Markup built here from escaped parts: inserted as it is."""


@functools.cache
def _template(name: str) -> Template:
    return Template((TEMPLATES / f"{name}.html").read_text(encoding="utf-8"))


def _fill(template: str, **values: str) -> Safe:
    return Safe(
        _template(template).substitute(
            {k: v if isinstance(v, Safe) else escape(v, quote=True) for k, v in values.items()}
        )
    )


def _meta(title: str, description: str, url: str, image: str, alt: str) -> Safe:
    tags = [
        ("name", "description", description),
        ("property", "og:site_name", SITE),
        ("property", "og:type", "website"),
        ("property", "og:title", title),
        ("property", "og:description", description),
        ("property", "og:url", url),
        ("property", "og:image", image),
        ("property", "og:image:type", "image/png"),
        ("property", "og:image:width", "1200"),
        ("property", "og:image:height", "630"),
        ("property", "og:image:alt", alt),
        ("name", "twitter:card", "summary_large_image"),
        ("name", "twitter:title", title),
        ("name", "twitter:description", description),
        ("name", "twitter:image", image),
        ("name", "twitter:image:alt", alt),
    ]
    lines = [f'<link rel="canonical" href="{escape(url)}">']
    lines += [
        f'<meta {kind}="{escape(key)}" content="{escape(value)}">' for kind, key, value in tags
    ]
    return Safe("\n".join(lines))


def _page(title: str, meta: Safe, body: Safe) -> str:
    return _fill("base", page_title=f"{title} · {SITE}", meta=meta, body=body)


def _posters(links: Links, page: str) -> dict[str, str]:
    return {
        "poster_phone": links.poster(page, "png", "phone"),
        "poster_a4": links.poster(page, "png", "a4"),
        "poster_svg": links.poster(page, "svg", "phone"),
    }


def _badge(verified: bool, label: str) -> Safe:
    return Safe(f'<p class="verified">✓ {escape(label)}</p>' if verified else "")


def _activity_body(
    links: Links, v: ActivityView, f: ActivityFacts, ref: str | None, going: Safe, ch: str | None
) -> Safe:
    closed = f.status in ("cancelled", "closed")
    return _fill(
        "activity",
        circle_href=links.circle(v.circle_id, ref, ch),
        circle_name=f.circle_name,
        title=f.title,
        badge=_badge(v.organiser_verified, "Verified organiser"),
        going=going,
        starts_iso=f.starts_iso,
        when=f.when,
        place=f.place,
        seats=f.seats,
        price=f.price,
        description=f.description,
        action_href=links.signup(v.id, ref, ch),
        action="See the activity" if closed else "Sign up",
        **_posters(links, links.activity(v.id, ref)),
    )


def activity_page(links: Links, v: ActivityView, ref: str | None, ch: str | None = None) -> str:
    f = v.facts
    url = links.activity(v.id)
    image = links.poster(url, "png", "og")
    meta = _meta(f.title, f.summary, url, image, f"Poster: {f.title}")
    return _page(f.title, meta, _activity_body(links, v, f, ref, Safe(""), ch))


def going_page(links: Links, g: GoingView, url: str, ref: str | None, ch: str | None) -> str:
    """ "<who> is going to <title>", while the sharer's seat is theirs; else the activity."""
    v, f = g.activity, g.activity.facts
    title = f"{g.who} is going to {f.title}" if g.who else f.title
    image = links.poster(links.activity(v.id), "png", "og")
    meta = _meta(title, f.summary, url, image, f"Poster: {f.title}")
    # Shared in chats, not for search engines: a person's plans are not for an index.
    meta = Safe('<meta name="robots" content="noindex">\n' + meta)
    going = _fill("going", who=g.who) if g.who else Safe("")
    return _page(title, meta, _activity_body(links, v, f, ref, going, ch))


def circle_page(links: Links, v: CircleView, ref: str | None, ch: str | None = None) -> str:
    f = v.facts
    url = links.circle(v.id)
    image = links.poster(url, "png", "og")
    items = [
        f'<li><a href="{escape(links.activity(a.id, ref, ch))}">{escape(a.facts.title)}</a> · '
        f'<time datetime="{escape(a.facts.starts_iso)}">{escape(a.facts.when)}</time></li>'
        for a in v.upcoming
    ]
    upcoming = (
        Safe('<ul class="upcoming">\n' + "\n".join(items) + "\n</ul>")
        if items
        else Safe("<p>Nothing planned yet.</p>")
    )
    body = _fill(
        "circle",
        category=f.category,
        name=f.name,
        badge=_badge(v.owner_verified, "Verified organiser"),
        members=f.members,
        description=f.description,
        join_href=links.join(v.id, ref, ch),
        about_href=links.circle_app(v.id, ref, ch),
        upcoming=upcoming,
        **_posters(links, links.circle(v.id, ref)),
    )
    return _page(f.name, _meta(f.name, f.summary, url, image, f"Poster: {f.name}"), body)


def private_page(links: Links) -> str:
    """The one refusal: the same bytes for a private circle, its activities, an unknown id and
    a forged link (nothing from the URL is echoed, so nothing can differ)."""
    meta = Safe('<meta name="robots" content="noindex">')
    body = _fill("private", open_href=f"{links.base}/")
    return _page("Private circle", meta, body)
