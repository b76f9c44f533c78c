"""The MongoDB client factory, index creation, and driver errors mapped to ``unavailable``."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    ExecutionTimeout,
    NetworkTimeout,
    ServerSelectionTimeoutError,
    WTimeoutError,
)

from server.core.errors import DomainError, Unavailable, register_translator

log = logging.getLogger(__name__)

Doc = dict[str, Any]
Db = AsyncDatabase[Doc]


@dataclass(frozen=True)
class Index:
    """An index a repository declares beside its collection."""

    keys: list[tuple[str, int]]
    name: str
    unique: bool = False
    options: dict[str, Any] = field(default_factory=dict)


def make_client(
    url: str, timeout_ms: int, event_listeners: Iterable[Any] = ()
) -> AsyncMongoClient[Doc]:
    """A client whose every failure surfaces within about ``timeout_ms`` instead of hanging."""
    return AsyncMongoClient(
        url,
        tz_aware=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=max(timeout_ms * 3, 10_000),
        retryWrites=False,
        maxPoolSize=50,
        event_listeners=list(event_listeners),
        appname="circles",
    )


async def ensure_indexes(db: Db, declared: dict[str, list[Index]]) -> None:
    """Create every declared index (idempotent)."""
    for collection, indexes in declared.items():
        for index in indexes:
            await db[collection].create_index(
                index.keys, name=index.name, unique=index.unique, **index.options
            )


async def ping(db: Db) -> None:
    await db.command("ping")


def _translate(exc: BaseException) -> DomainError | None:
    if isinstance(
        exc,
        ServerSelectionTimeoutError
        | AutoReconnect
        | ConnectionFailure
        | NetworkTimeout
        | ExecutionTimeout
        | WTimeoutError,
    ):
        return Unavailable("the database is unavailable; nothing was changed")
    return None


register_translator(_translate)
