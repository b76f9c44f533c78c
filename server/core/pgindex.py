"""Indexes that FerretDB v1 on PostgreSQL can use: GIN mirrors of the declared equality indexes.

FerretDB v1 turns each top-level scalar equality of a filter into ``_jsonb->$1 @> $2`` (the field
name is a parameter) and does everything else (ranges, ``$in``, ``$or``, sort, limit) itself
after fetching the matching rows. Its own indexes are btrees on ``((_jsonb->'field'))``, which
cannot serve ``@>``: every query scans its table. So for each collection, this module creates a
GIN ``jsonb_path_ops`` index on ``(_jsonb->'_id')`` and on the leading key of each index its
repository declares (repositories shape their hot queries as equality on those keys), on the
table FerretDB keeps the collection in (read from FerretDB's metadata table; an index whose
queries match several leading keys by equality gets one multicolumn GIN index), and sets the
database's ``plan_cache_mode`` to ``force_custom_plan``: only a plan made for the actual field
name can match an index expression, and a cached generic plan would scan for good.

FerretDB does not know these indexes (``listIndexes`` does not show them); PostgreSQL keeps them
up to date and drops them with their table. On MongoDB the declared indexes serve, and this
module is not used.
"""

from __future__ import annotations

import hashlib
import logging
import re

import psycopg
from psycopg import sql

from server.core.mongo import Index

log = logging.getLogger(__name__)

METADATA_TABLE = "_ferretdb_database_metadata"  # FerretDB v1's table of collections per schema
LOCK_KEY = 0x43697263  # one mirroring at a time per cluster (processes start together)


def equality_fields(declared: dict[str, list[Index]]) -> dict[str, list[tuple[str, ...]]]:
    """Per collection, the field groups to index for ``@>``: ``_id``, and the equality keys of
    each declared index (several make one multicolumn GIN index, which intersects them)."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for collection, indexes in declared.items():
        groups: list[tuple[str, ...]] = [("_id",)]
        for index in indexes:
            group = tuple(key for key, _ in index.keys[: index.equality])
            if group not in groups:
                groups.append(group)
        out[collection] = groups
    return out


def index_name(table: str, fields: tuple[str, ...]) -> str:
    """``<table>_<fields>_<hash>_gin``, within PostgreSQL's 63 characters."""
    joined = "_".join(fields)
    digest = hashlib.sha1(f"{table}.{'.'.join(fields)}".encode()).hexdigest()[:8]
    readable = re.sub(r"[^a-z0-9_]", "_", f"{table[:32]}_{joined[:16]}".lower())
    return f"{readable}_{digest}_gin"


async def configure(url: str) -> None:
    """Make every new connection to this database plan each statement for its parameters.
    Connections opened before keep their setting, so run this before FerretDB connects."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cur = await conn.execute("SELECT current_database()")
        row = await cur.fetchone()
        assert row is not None
        await conn.execute(
            sql.SQL("ALTER DATABASE {} SET plan_cache_mode = force_custom_plan").format(
                sql.Identifier(row[0])
            )
        )


async def mirror(url: str, schema: str, declared: dict[str, list[Index]]) -> int:
    """Create the missing GIN indexes for the collections of FerretDB database ``schema`` that
    exist (run it after FerretDB created them). Idempotent; returns how many it created."""
    created = 0
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        tables = await _tables(conn, schema)
        for collection, groups in equality_fields(declared).items():
            table = tables.get(collection)
            if table is None:
                continue
            for fields in groups:
                name = index_name(table, fields)
                cur = await conn.execute(
                    "SELECT 1 FROM pg_indexes WHERE schemaname = %s AND indexname = %s",
                    (schema, name),
                )
                if await cur.fetchone() is not None:
                    continue
                columns = sql.SQL(", ").join(
                    sql.SQL("(_jsonb -> {}) jsonb_path_ops").format(sql.Literal(f)) for f in fields
                )
                await conn.execute(
                    sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gin ({})").format(
                        sql.Identifier(name), sql.Identifier(schema, table), columns
                    )
                )
                created += 1
        await conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    if created:
        log.info("created %d GIN indexes on FerretDB's tables in schema %s", created, schema)
    return created


async def _tables(conn: psycopg.AsyncConnection[tuple[str, ...]], schema: str) -> dict[str, str]:
    """Collection name → table name, from FerretDB's metadata table of ``schema``."""
    cur = await conn.execute("SELECT to_regclass(%s)", (f'"{schema}".{METADATA_TABLE}',))
    row = await cur.fetchone()
    if row is None or row[0] is None:
        return {}
    query = sql.SQL("SELECT _jsonb ->> '_id', _jsonb ->> 'table' FROM {}").format(
        sql.Identifier(schema, METADATA_TABLE)
    )
    cur = await conn.execute(query)
    return {name: table for name, table in await cur.fetchall()}
