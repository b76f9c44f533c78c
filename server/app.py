"""create_app(settings): Starlette + python-socketio; the lifespan opens and closes clients."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import socketio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from server import container as wiring
from server.core import metrics
from server.core.embedded import EmbeddedDatabase
from server.core.logs import RequestLog
from server.core.mongo import ping
from server.http.bodies import BodyLimit, Streamed
from server.http.headers import SecurityHeaders
from server.http.health import DRAIN, Check, Readiness, metrics_route
from server.http.openapi import build_openapi
from server.http.routing import MAX_BODY_BYTES, to_starlette
from server.settings import Settings
from server.share import web as share_web
from server.uploads.models import TooLarge
from server.uploads.routes import FORM_OVERHEAD

log = logging.getLogger(__name__)
GC_YOUNG = 20_000
VERSION = "0.1.0"
ROOT = Path(__file__).resolve().parents[1]


def create_app(settings: Settings, mongo_listeners: list[Any] | None = None) -> Any:
    embedded = (
        EmbeddedDatabase(
            settings.data_dir, settings.ferretdb_bin, settings.postgres_bin, {settings.port}
        )
        if settings.embedded_db
        else None
    )
    url = settings.mongodb_url or (embedded.url if embedded else "")
    c = wiring.build(settings, url, mongo_listeners)
    openapi = build_openapi(c.routes, VERSION, c.events)
    checks: dict[str, Check] = {"database": lambda: ping(c.db)}
    if c.redis is not None:
        checks["redis"] = c.redis.ping
    readiness = Readiness(checks, settings.db_timeout_ms / 1000)
    c.gateway.refusal = DRAIN.refusal  # a draining process refuses new sockets

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if embedded is not None:
            await embedded.start()
        try:
            await c.init_storage(
                embedded.postgres_url if embedded else settings.ferretdb_postgresql_url
            )
            readiness.storage_ready = True
            if embedded is not None and settings.seed_demo:
                from server.seed import seed_demo

                await seed_demo(c)
            # Control ops from the other processes (moves between channels, revoked sessions,
            # ``forget``) arrive through the manager's Redis listener, which python-socketio
            # starts only with the first socket: a process serving HTTP alone missed them all.
            if not c.sio.manager_initialized:
                c.sio.manager_initialized = True
                c.sio.manager.initialize()
            metrics.observe_gc()
            c.sweeper.start()
            if c.rollups is not None:
                c.rollups.start()
            if c.uploads is not None:
                c.uploads.start()
            if c.search_guard is not None:
                c.search_guard.start()
            # What start-up made (modules, schemas, routes: most of the heap) lives as long as
            # the process; frozen, a full collection no longer walks it. Unfrozen, each full
            # collection held the process for 80-175 ms under load (docs/performance.md).
            gc.collect()
            gc.freeze()
            # A young collection every GC_YOUNG allocations, not CPython's 700: a message's
            # short-lived objects (its frames, futures, dicts) are then mostly gone before one,
            # instead of promoted to the old generations that full collections walk.
            gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])
            log.info("Circles listening on %s", settings.base_url)
            yield
        finally:
            await c.close()
            if embedded is not None:
                await embedded.stop()

    async def healthz(request: Request) -> Response:
        try:
            await ping(c.db)
            if c.redis is not None:
                await c.redis.ping()
        except Exception as exc:
            return JSONResponse(
                {"status": "unavailable", "reason": type(exc).__name__}, status_code=503
            )
        return JSONResponse({"status": "ok"})

    async def openapi_json(request: Request) -> Response:
        return JSONResponse(openapi)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readiness.endpoint),  # for load balancers (server/http/health.py)
        metrics_route(settings),
        Route("/openapi.json", openapi_json),
        *[to_starlette(r, c.accounts.authenticate, c.limits) for r in c.routes],
    ]
    routes.extend(share_web.routes(c.share, c.limits))  # share pages and posters (HTML, images)
    routes.extend(_web_routes(settings))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.container = c
    # one log line per HTTP request, with its request id (core/logs.py)
    asgi = socketio.ASGIApp(c.sio, other_asgi_app=RequestLog(app), socketio_path="socket.io")
    guarded = BodyLimit(
        asgi,
        limit=MAX_BODY_BYTES,
        engineio_path="/socket.io/",
        engineio_limit=settings.max_frame_bytes,
        timeout=settings.handshake_timeout_seconds,
        # uploads read their own (multipart) body, up to the file limit plus the form's framing
        streamed={
            "/api/uploads": Streamed(
                settings.upload_max_bytes + FORM_OVERHEAD,
                lambda _: TooLarge(settings.upload_max_bytes),
            )
        },
    )
    # Outermost: it needs uvicorn's own send (websockets only; HTTP passes straight through).
    return c.sio.eio.connections.wrap(SecurityHeaders(guarded))


def _web_routes(settings: Settings) -> list[BaseRoute]:
    dist = settings.web_dist or ROOT / "web" / "dist"
    index = dist / "index.html"

    async def spa(request: Request) -> Response:
        if index.exists():
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return JSONResponse(
            {
                "error": {
                    "code": "not_found",
                    "message": "the web client is not built: run `npm ci && npm run build` in web/",
                }
            },
            status_code=404,
        )

    out: list[BaseRoute] = [Route("/", spa)]
    if (dist / "assets").is_dir():
        out.append(Mount("/assets", StaticFiles(directory=dist / "assets"), name="assets"))
    return out
