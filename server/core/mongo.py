"""The MongoDB client factory, index creation, and driver errors mapped to ``unavailable``."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import (
    AutoReconnect,
    BulkWriteError,
    CollectionInvalid,
    ConnectionFailure,
    ExecutionTimeout,
    NetworkTimeout,
    OperationFailure,
    ServerSelectionTimeoutError,
    WTimeoutError,
)

from server.core.errors import DomainError, Unavailable, register_translator
from server.core.metrics import DB_ERRORS

log = logging.getLogger(__name__)

Doc = dict[str, Any]
T = TypeVar("T")
NAMESPACE_EXISTS = 48  # a create_collection that lost a race with another process
INDEX_NOT_FOUND = 27  # a drop_index that lost one
DUPLICATE_KEY = 11000  # an insert under a unique key already taken
Db = AsyncDatabase[Doc]


@dataclass(frozen=True)
class Index:
    """An index a repository declares beside its collection. ``equality`` says how many leading
    keys its queries match by equality: on FerretDB over PostgreSQL, those are what
    ``core/pgindex.py`` indexes for FerretDB's ``@>`` filters."""

    keys: list[tuple[str, int]]
    name: str
    unique: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    equality: int = 1


def make_client(
    url: str, timeout_ms: int, event_listeners: Iterable[Any] = (), pool_size: int = 20
) -> AsyncMongoClient[Doc]:
    """A client whose every failure surfaces within about ``timeout_ms`` instead of hanging."""
    return AsyncMongoClient(
        url,
        tz_aware=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=timeout_ms,
        retryReads=False,
        retryWrites=False,
        maxPoolSize=pool_size,
        event_listeners=list(event_listeners),
        appname="circles",
    )


async def ensure_indexes(
    db: AsyncDatabase[Any], declared: dict[str, list[Index]], unique_only: bool = False
) -> None:
    """Create every declared index (idempotent). With ``unique_only`` (FerretDB v1 over
    PostgreSQL, where core/pgindex.py's GIN mirrors serve the equality filters) only the unique
    ones: FerretDB's own indexes there are btrees its pushed-down ``@>`` filters cannot use, and
    one on an array field refuses every write of a document whose array passes 2,704 bytes (an
    activity of about 75 participants). Each collection is created, so that its table exists to
    be mirrored, and declared non-unique indexes made before are dropped."""
    existing = set(await db.list_collection_names()) if unique_only else set()
    for collection, indexes in declared.items():
        if unique_only and collection not in existing:
            try:
                await db.create_collection(collection)
            except (CollectionInvalid, OperationFailure) as exc:
                # another process made it meanwhile (NamespaceExists); anything else is real
                if isinstance(exc, OperationFailure) and exc.code != NAMESPACE_EXISTS:
                    raise
        names = (
            {i["name"] async for i in await db[collection].list_indexes()} if unique_only else set()
        )
        for index in indexes:
            if unique_only and not index.unique:
                if index.name in names:
                    try:
                        await db[collection].drop_index(index.name)
                    except OperationFailure as exc:  # dropped by another process meanwhile
                        if exc.code != INDEX_NOT_FOUND:
                            raise
                continue
            await db[collection].create_index(
                index.keys, name=index.name, unique=index.unique, **index.options
            )


async def find_by_ids(collection: AsyncCollection[Doc], ids: Iterable[str]) -> list[Doc]:
    """The documents with these ``_id``s (each id once), by one exact lookup per id, run
    concurrently. FerretDB v1 on PostgreSQL serves an exact ``_id`` from an index, but answers
    an ``$in`` by reading and decoding the whole collection."""
    found = await asyncio.gather(*(collection.find_one({"_id": i}) for i in dict.fromkeys(ids)))
    return [d for d in found if d is not None]


async def ping(db: Db) -> None:
    await db.command("ping")


def is_busy(exc: BaseException) -> bool:
    """FerretDB's SQLite backend refuses a write it could not lock (SQLITE_BUSY); the statement
    did not run, so running it again is safe."""
    return isinstance(exc, OperationFailure) and "SQLITE_BUSY" in str(exc)


async def retry_busy(op: Callable[[], Awaitable[T]], attempts: int = 8) -> T:
    """Run ``op``, again after a short backoff while the database reports it is busy."""
    for attempt in range(attempts):
        try:
            return await op()
        except OperationFailure as exc:
            if not is_busy(exc) or attempt == attempts - 1:
                raise
            await asyncio.sleep(0.02 * (2**attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable")


async def insert_new(collection: AsyncCollection[Doc], docs: list[Doc]) -> set[int]:
    """Insert ``docs`` in one unordered batch; answers the positions of those whose unique key
    was taken already (not inserted: the idempotent step had run before). Any other failure
    raises."""
    if not docs:
        return set()
    try:
        await retry_busy(lambda: collection.insert_many(docs, ordered=False))
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        return {int(e["index"]) for e in errors}
    return set()


def _translate(exc: BaseException) -> DomainError | None:
    if is_busy(exc):
        DB_ERRORS.labels("busy").inc()
        return Unavailable("the database is busy; nothing was changed")
    if isinstance(
        exc,
        ServerSelectionTimeoutError
        | AutoReconnect
        | ConnectionFailure
        | NetworkTimeout
        | ExecutionTimeout
        | WTimeoutError,
    ):
        DB_ERRORS.labels("unavailable").inc()  # once per refused request or event
        return Unavailable("the database is unavailable; nothing was changed")
    return None


register_translator(_translate)
