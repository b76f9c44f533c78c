"""python -m server: run Circles on uvicorn with the settings from the environment.

``python -m server migrate --from-sqlite OLD_DATA_DIR`` copies an old embedded SQLite store into
the configured database instead (server/core/migrate.py).

``python -m server openapi`` prints the OpenAPI document the server serves at /openapi.json, with
no database or network (scripts/openapi writes it to web/openapi.json).
"""

from __future__ import annotations

import sys

import uvicorn

from server.core import logs
from server.core.embedded import EmbeddedDatabaseError, find_ferretdb
from server.core.postgres import ClusterError, find_pg_bin
from server.settings import Settings


def main() -> None:
    if sys.argv[1:2] == ["migrate"]:
        from server.core.migrate import main as migrate

        migrate(sys.argv[2:])
        return
    if sys.argv[1:2] == ["openapi"]:
        print_openapi()
        return
    settings = Settings()
    logs.configure(settings.log_level, settings.log_format)  # LOG_LEVEL, LOG_FORMAT
    if settings.embedded_db:
        try:
            find_ferretdb(settings.ferretdb_bin)
            find_pg_bin(settings.postgres_bin)
        except (EmbeddedDatabaseError, ClusterError) as exc:
            print(str(exc), file=sys.stderr)
            sys.exit(1)
    from server.app import create_app
    from server.http.admission import guarded_http_protocol
    from server.http.health import DrainingServer

    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        # httptools, with a header timeout and a per-address connection cap (admission.py)
        http=guarded_http_protocol(settings),
        timeout_keep_alive=settings.keep_alive_timeout_seconds,
        ws=settings.ws_impl,
        ws_per_message_deflate=False,
        ws_max_size=settings.max_frame_bytes,
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
        log_level=settings.log_level.lower(),
        log_config=None,  # uvicorn's lines go through our handler (core/logs.py)
        access_log=False,
        lifespan="on",
        # X-Forwarded-For is believed only from the proxies named in TRUSTED_PROXIES (uvicorn
        # would otherwise trust it from 127.0.0.1); client addresses key the login limits.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
    )
    # SIGTERM drains for DRAIN_SECONDS first (server/http/health.py)
    DrainingServer(config, settings.drain_seconds).run()


def print_openapi() -> None:
    """The document is built exactly as create_app builds it, from the wired route and event
    tables; the database and Redis clients are made but never connect."""
    import json

    from server import container as wiring
    from server.app import VERSION
    from server.http.openapi import build_openapi

    c = wiring.build(Settings(), "mongodb://127.0.0.1:9/unused")
    doc = build_openapi(c.routes, VERSION, c.events)
    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
