"""Searching the messages a user can see."""

from __future__ import annotations

import asyncio
import base64
import binascii
from datetime import UTC, datetime

from server.accounts.models import Principal
from server.core.errors import Invalid
from server.messages.service import MessageService
from server.realtime import channels
from server.search.indexer import SearchIndexer
from server.search.repository import Doc, Match, SearchRepository
from server.search.tokens import query_terms

MAX_QUERY_TERMS = 8
CONCURRENT_LOOKUPS = 16
Key = tuple[datetime, str]  # (created_at, message_id): the order of results, newest first


def encode_cursor(key: Key) -> str:
    raw = f"{int(key[0].timestamp() * 1000)}:{key[1]}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Key:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        ms, message_id = raw.split(":", 1)
        return datetime.fromtimestamp(int(ms) / 1000, UTC), message_id
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError, OSError):
        raise Invalid(
            "the input failed validation", {"fields": {"cursor": "not a cursor this server gave"}}
        ) from None


class SearchService:
    def __init__(
        self, repo: SearchRepository, indexer: SearchIndexer, messages: MessageService
    ) -> None:
        self._repo = repo
        self._indexer = indexer
        self._messages = messages

    async def search(
        self,
        who: Principal,
        q: str,
        conversation_id: str | None,
        sender_id: str | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[Doc], str | None]:
        """Messages containing every term of ``q``, newest first, in the conversations the user
        takes part in now (or in the one named, which must be one of them: else ``not_found``).
        A member who left a circle finds nothing of it any more, old messages included."""
        terms = query_terms(q)[:MAX_QUERY_TERMS]
        if not terms:
            raise Invalid("the input failed validation", {"fields": {"q": "has no words"}})
        after = decode_cursor(cursor) if cursor else None
        if conversation_id is not None:
            await self._messages.require_participant(conversation_id, who.user.id)
            await self._indexer.catch_up_now(conversation_id, who)
            conversations = [conversation_id]
        else:
            conversations = [
                c
                for c in (
                    channels.conversation_of(ch)
                    for ch in await self._messages.channels_of(who.user.id)
                )
                if c is not None
            ]
            await self._indexer.flush(conversations)
        gate = asyncio.Semaphore(CONCURRENT_LOOKUPS)

        # A copy holds all its terms: one lookup per conversation, by the longest term (the
        # likeliest to be rare), and the others checked on what it found.
        lookup = max(terms, key=len)

        async def matches(conv: str) -> list[Match]:
            async with gate:
                found = await self._repo.matches(lookup, conv, sender_id)
            return [m for m in found if m.terms.issuperset(terms)]

        candidates = [p for ps in await asyncio.gather(*map(matches, conversations)) for p in ps]
        ordered = sorted(
            (m for m in candidates if after is None or (m.created_at, m.message_id) < after),
            key=lambda m: (m.created_at, m.message_id),
            reverse=True,
        )
        return await self._page(ordered, set(conversations), terms, limit)

    async def _page(
        self, ordered: list[Match], allowed: set[str], terms: list[str], limit: int
    ) -> tuple[list[Doc], str | None]:
        """The first ``limit`` candidates whose indexed copy still has every term (it may have
        changed since it was found), and the cursor after the last one if more may follow."""
        out: list[Doc] = []
        i = 0
        while i < len(ordered) and len(out) < limit:
            batch = ordered[i : i + limit - len(out)]
            i += len(batch)
            docs = await self._repo.docs([p.message_id for p in batch])
            for p in batch:
                d = docs.get(p.message_id)
                if (
                    d is not None
                    and not d.deleted
                    and d.conversation_id in allowed
                    and set(terms) <= set(d.terms)
                ):
                    out.append(d)
        more = i < len(ordered)
        cursor = encode_cursor((out[-1].created_at, out[-1].id)) if out and more else None
        return out, cursor
