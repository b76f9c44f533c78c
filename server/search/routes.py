"""Search endpoint."""

from __future__ import annotations

from server.core.ratelimit import Budget
from server.http.routing import Ctx, Route
from server.search.schemas import SearchHitOut, SearchOut, SearchQuery
from server.search.service import SearchService

SEARCH = Budget("search", per_minute=120, burst=30)
DEFAULT_LIMIT = 20


def routes(search: SearchService) -> list[Route]:
    async def search_messages(ctx: Ctx) -> SearchOut:
        q: SearchQuery = ctx.query
        docs, cursor = await search.search(
            ctx.who,
            q.q,
            q.conversation_id,
            q.sender,
            q.cursor,
            int(q.limit) if q.limit else DEFAULT_LIMIT,
        )
        return SearchOut(results=[SearchHitOut.of(d) for d in docs], next_cursor=cursor)

    return [
        Route(
            "GET",
            "/api/search",
            search_messages,
            "Search the messages of your conversations (all words must match), newest first",
            query=SearchQuery,
            response=SearchOut,
            budget=SEARCH,
            tags=["search"],
        )
    ]
