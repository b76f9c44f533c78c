"""Store a notification, then deliver it live."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from typing import Any

from server.core import clock
from server.core.ids import new_id
from server.notifications.models import Notification
from server.notifications.repository import NotificationRepository
from server.notifications.schemas import NotificationOut
from server.realtime.broadcaster import Broadcaster


def keyed_id(key: str) -> str:
    """The notification id for an idempotency key of any length: a digest, so no two keys share
    an id (cutting a long key short once dropped its user id), shaped like any id on the wire
    (``[A-Za-z0-9_-]``, at most 64 characters) so clients can mark it read."""
    return "k" + hashlib.blake2b(key.encode(), digest_size=24).hexdigest()


log = logging.getLogger(__name__)
# A digest's text from its count and its first happenings: (title, body, data).
Render = Callable[[int, list[dict[str, Any]]], tuple[str, str, dict[str, Any]]]
DIGEST_NAMES = 20  # happenings read to name people; the rest are only counted


class NotificationService:
    def __init__(
        self, repo: NotificationRepository, broadcaster: Broadcaster, digest_seconds: float = 60
    ) -> None:
        self._repo = repo
        self._bus = broadcaster
        self._digest_seconds = digest_seconds
        self._dirty: dict[str, tuple[str, str, Render]] = {}  # digests to rewrite, by id
        self._rewriting: dict[str, asyncio.Task[None]] = {}

    async def notify(
        self,
        user_id: str,
        kind: str,
        title: str,
        body: str,
        data: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> bool:
        """Store (once per ``key``), then emit ``notification`` to the user's sockets.
        Returns False when the keyed notification had already been stored. ``key`` names the
        step being notified and must include everything that makes it unique (e.g. the user)."""
        n = Notification(
            id=keyed_id(key) if key is not None else new_id(),
            user_id=user_id,
            kind=kind,
            title=title,
            body=body,
            data=data or {},
            read=False,
            created_at=clock.now(),
        )
        if not await self._repo.insert(n):
            return False
        await self._bus.to_user(
            user_id, "notification", {"notification": NotificationOut.of(n).model_dump(mode="json")}
        )
        return True

    async def digest(
        self,
        user_id: str,
        kind: str,
        group: str,
        events: list[tuple[str, dict[str, Any]]],
        render: Render,
    ) -> bool:
        """Count ``events`` (``(unique id, fields)``) into ``user_id``'s ``kind`` digest for
        ``group`` in the current window (``NOTIFY_DIGEST_SECONDS``, fixed windows of the
        clock). The happenings are stored before this returns; the digest notification itself
        (created by the first, rewritten in place by later ones) is written and emitted in the
        background, one rewrite at a time per digest in a process, so a burst of sign-ups costs
        a few rewrites rather than one each. Returns False for a retried step."""
        now = clock.now()
        bucket = int(now.timestamp() // self._digest_seconds)
        digest_id = keyed_id(f"digest:{user_id}:{kind}:{group}:{bucket}")
        stamped = [(f"{digest_id}:{i}", {**e, "at": now}) for i, e in events]
        if not await self._repo.add_events(digest_id, stamped):
            return False  # already counted
        self._dirty[digest_id] = (user_id, kind, render)
        if digest_id not in self._rewriting:
            self._rewriting[digest_id] = asyncio.create_task(self._rewrite_while_dirty(digest_id))
        return True

    async def _rewrite_while_dirty(self, digest_id: str) -> None:
        try:
            while digest_id in self._dirty:
                user_id, kind, render = self._dirty.pop(digest_id)
                await self._rewrite(digest_id, user_id, kind, render)
        except Exception:
            log.exception("digest %s could not be written", digest_id)
        finally:
            self._rewriting.pop(digest_id, None)

    async def _rewrite(self, digest_id: str, user_id: str, kind: str, render: Render) -> None:
        """Write the digest from what is recorded, then emit it. Correct across processes
        without transactions: the text is recomputed from the recorded happenings, and each
        writer re-counts after its write and writes again if a slower writer left a smaller
        count, so the last one to write leaves the full count (as the activity card is
        refreshed)."""
        stored: Notification | None = None
        for _ in range(5):
            count = await self._repo.count_events(digest_id)
            first = await self._repo.first_events(digest_id, DIGEST_NAMES)
            title, body, data = render(count, first)
            await self._repo.put(
                Notification(
                    id=digest_id,
                    user_id=user_id,
                    kind=kind,
                    title=title,
                    body=body,
                    data={**data, "count": count},
                    read=False,
                    created_at=clock.now(),
                )
            )
            stored = await self._repo.get(digest_id)
            shown = int(stored.data.get("count", 0)) if stored else 0
            if shown >= await self._repo.count_events(digest_id):
                break
        if stored is not None:
            payload = NotificationOut.of(stored).model_dump(mode="json")
            await self._bus.to_user(user_id, "notification", {"notification": payload})

    async def drain(self) -> None:
        """Finish the digests being written (at shutdown)."""
        while self._rewriting:
            await asyncio.wait(list(self._rewriting.values()))

    async def recent(self, user_id: str, unread_only: bool) -> tuple[list[Notification], int]:
        return await self._repo.recent(user_id, unread_only), await self._repo.unread_count(user_id)

    async def mark_read(self, user_id: str, ids: list[str] | None) -> int:
        await self._repo.mark_read(user_id, ids)
        return await self._repo.unread_count(user_id)
