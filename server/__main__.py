"""python -m server: run Circles on uvicorn with the settings from the environment.

``python -m server migrate --from-sqlite OLD_DATA_DIR`` copies an old embedded SQLite store into
the configured database instead (server/core/migrate.py).
"""

from __future__ import annotations

import logging
import sys

import uvicorn

from server.core.embedded import EmbeddedDatabaseError, find_ferretdb
from server.core.postgres import ClusterError, find_pg_bin
from server.settings import Settings


def main() -> None:
    if sys.argv[1:2] == ["migrate"]:
        from server.core.migrate import main as migrate

        migrate(sys.argv[2:])
        return
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if settings.embedded_db:
        try:
            find_ferretdb(settings.ferretdb_bin)
            find_pg_bin(settings.postgres_bin)
        except (EmbeddedDatabaseError, ClusterError) as exc:
            print(str(exc), file=sys.stderr)
            sys.exit(1)
    from server.app import create_app
    from server.http.admission import guarded_http_protocol

    app = create_app(settings)
    uvicorn.run(
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
        access_log=False,
        lifespan="on",
        # X-Forwarded-For is believed only from the proxies named in TRUSTED_PROXIES (uvicorn
        # would otherwise trust it from 127.0.0.1); client addresses key the login limits.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
    )


if __name__ == "__main__":
    main()
