"""python -m server.trust.admin grant|revoke HANDLE: make a user a platform administrator (who
reviews organiser verifications), or no longer one. Only this command line grants the role.

It uses the server's settings: MONGODB_URL (and MONGODB_DB) when set; otherwise the embedded
database under DATA_DIR, which it starts itself, so the server must be stopped first.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from server import container as wiring
from server.core.embedded import EmbeddedDatabase, EmbeddedDatabaseError
from server.core.errors import NotFound
from server.core.postgres import ClusterError
from server.settings import Settings


async def run(action: str, handle: str, settings: Settings) -> int:
    embedded = (
        EmbeddedDatabase(
            settings.data_dir, settings.ferretdb_bin, settings.postgres_bin, {settings.port}
        )
        if settings.embedded_db
        else None
    )
    if embedded is not None:
        await embedded.start()
    try:
        c = wiring.build(settings, settings.mongodb_url or (embedded.url if embedded else ""))
        try:
            await c.init_storage(
                embedded.postgres_url if embedded else settings.ferretdb_postgresql_url
            )
            assert c.trust is not None
            try:
                user = await c.trust.grant_admin(handle, grant=action == "grant")
            except NotFound:
                print(f"no user with the handle {handle!r}", file=sys.stderr)
                return 1
        finally:
            await c.close()
    finally:
        if embedded is not None:
            await embedded.stop()
    done = "is now" if action == "grant" else "is no longer"
    print(f"{user.handle} ({user.id}) {done} a platform administrator")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.trust.admin", description=__doc__)
    parser.add_argument("action", choices=["grant", "revoke"])
    parser.add_argument("handle")
    args = parser.parse_args(argv)
    try:
        return asyncio.run(run(args.action, args.handle, Settings()))
    except (EmbeddedDatabaseError, ClusterError) as exc:  # said plainly, as the server does
        print(str(exc), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
