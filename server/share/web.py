"""Share pages and posters over HTTP: plain Starlette routes (they answer HTML and images, not
the JSON of the API table, so they are not in /openapi.json; docs/protocol.md documents them).

No bearer token comes with a page request, so every view is the anonymous public's. A refusal
(private, missing, forged, malformed id) is one page, one status and one set of headers.
Bad query parameters are the API's structured ``invalid`` error.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from server.core.errors import translate
from server.core.ratelimit import Budget, Limits
from server.core.schemas import parse
from server.http.routing import error_response, internal_error
from server.share import pages, poster
from server.share.access import NotShared
from server.share.layout import PosterText, Size
from server.share.schemas import Channel, PageQuery, PosterQuery
from server.share.service import ShareService

log = logging.getLogger(__name__)
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
STYLESHEET = Path(__file__).with_name("share.css")
PAGE_CACHE = "public, max-age=60"  # seats left change; a minute is fresh enough for a preview
POSTER_CACHE = "public, max-age=300"
REFUSED_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
# Drawing a poster that is not cached costs CPU: limited per client address, and one at a time
# per process (the cached FreeType fonts are shared, and a FreeType face is not thread-safe).
POSTER_RENDER = Budget("poster_render", per_minute=30, burst=20)
RENDERS_AT_ONCE = 1

Endpoint = Callable[[Request], Awaitable[Response]]


def routes(share: ShareService, limits: Limits | None) -> list[BaseRoute]:
    links = share.links
    cache = poster.PosterCache()
    drawing = asyncio.Semaphore(RENDERS_AT_ONCE)

    def guarded(fn: Callable[[Request], Awaitable[Response]]) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            try:
                if any(not _ID.fullmatch(v) for v in request.path_params.values()):
                    raise NotShared
                return await fn(request)
            except NotShared:
                return HTMLResponse(pages.private_page(links), 404, REFUSED_HEADERS)
            except Exception as exc:
                err = translate(exc)
                if err is None:
                    log.exception("unhandled error in %s", request.url.path)
                    return internal_error()
                return error_response(err)

        return endpoint

    def page_query(request: Request) -> PageQuery:
        q: PageQuery = parse(PageQuery, _params(request))
        return q

    async def activity_page(request: Request) -> Response:
        q = page_query(request)
        view = await share.activity(request.path_params["id"])
        await share.visited("activity", view.id, q.ref, q.ch, _visitor(request))
        return _html(pages.activity_page(links, view, q.ref, q.ch))

    async def circle_page(request: Request) -> Response:
        q = page_query(request)
        view = await share.circle(request.path_params["id"])
        await share.visited("circle", view.id, q.ref, q.ch, _visitor(request))
        return _html(pages.circle_page(links, view, q.ref, q.ch))

    async def going_page(request: Request) -> Response:
        q = page_query(request)
        p = request.path_params
        g = await share.going(p["id"], p["user"], p["sig"])
        url = links.going(p["id"], p["user"])
        # The sharer of a going link is its owner, by the "going" channel, unless the URL
        # names another sharer (someone passing the page on).
        ref = q.ref or p["user"]
        ch: Channel | None = q.ch if q.ref else "going"
        await share.visited("activity", g.activity.id, ref, ch, _visitor(request))
        return _html(pages.going_page(links, g, url, ref, ch))

    async def draw(request: Request, text: PosterText, size: Size, ext: str) -> Response:
        key = (ext, size, text)
        etag = '"' + hashlib.sha256(repr(key).encode()).hexdigest()[:32] + '"'
        headers = {"Cache-Control": POSTER_CACHE, "ETag": etag}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        body = cache.get(key)
        if body is None:
            if limits is not None:
                client = request.client.host if request.client else "unknown"
                await limits.charge(POSTER_RENDER, client)
            render = poster.png if ext == "png" else poster.svg
            async with drawing:
                body = await run_in_threadpool(render, text, size)
            cache.put(key, body)
        media = "image/png" if ext == "png" else "image/svg+xml"
        return Response(body, media_type=media, headers=headers)

    def activity_poster(ext: str) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            q: PosterQuery = parse(PosterQuery, _params(request))
            v = await share.activity(request.path_params["id"])
            f = v.facts
            url = links.activity(v.id, q.ref, "poster")  # whoever scans came by the poster
            text = PosterText(f.circle_name, f.title, f.when, f.place, "Scan to sign up", url)
            return await draw(request, text, q.size, ext)

        return endpoint

    def circle_poster(ext: str) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            q: PosterQuery = parse(PosterQuery, _params(request))
            v = await share.circle(request.path_params["id"])
            f = v.facts
            url = links.circle(v.id, q.ref, "poster")
            nxt = v.upcoming[0].facts if v.upcoming else None
            when = f"Next: {nxt.title}, {nxt.when}" if nxt else f.members
            text = PosterText(f.category, f.name, when, f.description, "Scan to join", url)
            return await draw(request, text, q.size, ext)

        return endpoint

    async def stylesheet(request: Request) -> Response:
        return FileResponse(STYLESHEET, headers={"Cache-Control": "public, max-age=86400"})

    return [
        Route("/s/share.css", stylesheet),
        Route("/s/a/{id}", guarded(activity_page)),
        Route("/s/a/{id}/poster.png", guarded(activity_poster("png"))),
        Route("/s/a/{id}/poster.svg", guarded(activity_poster("svg"))),
        Route("/s/c/{id}", guarded(circle_page)),
        Route("/s/c/{id}/poster.png", guarded(circle_poster("png"))),
        Route("/s/c/{id}/poster.svg", guarded(circle_poster("svg"))),
        Route("/s/g/{id}/{user}/{sig}", guarded(going_page)),
    ]


def _params(request: Request) -> dict[str, str]:
    # An empty parameter (?ref=) means "not given", as for the API (http/routing.py).
    return {k: v for k, v in request.query_params.items() if v != ""}


def _visitor(request: Request) -> str:
    """What tells one visitor from another for the visit count (hashed, never stored)."""
    client = request.client.host if request.client else ""
    return f"{client}\x00{request.headers.get('user-agent', '')}"


def _html(body: str) -> Response:
    return HTMLResponse(body, headers={"Cache-Control": PAGE_CACHE})
