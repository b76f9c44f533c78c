"""Posts, comments, likes and their slot heads in MongoDB (``posts``, ``post_comments``,
``post_likes``, ``post_heads``). Every read is an equality on ``_id`` or on one declared key."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from server.core.errors import Unavailable
from server.core.mongo import Db, Index, find_by_ids, retry_busy
from server.posts.models import PAGE, Comment, Post, PostImage

CLAIM_ATTEMPTS = 64
RECOUNT_ROUNDS = 8

INDEXES = {
    "posts": [
        # the slots: unique, so two concurrent posts can never take the same number
        Index([("cslot", 1)], "cslot", unique=True),
        Index([("aslot", 1)], "aslot", unique=True),
        # the feeds: one page of a circle's / an author's posts by equality
        Index([("cpage", 1)], "cpage"),
        Index([("apage", 1)], "apage"),
    ],
    "post_comments": [
        Index([("kslot", 1)], "kslot", unique=True),
        Index([("kpage", 1)], "kpage"),
        Index([("post_id", 1)], "post"),  # the recount of a post's comments
    ],
    "post_likes": [Index([("post_id", 1)], "post")],  # the recount of a post's likes
    # Heads are read by ``_id`` only; this index is declared so the collection (and with it
    # the ``_id`` mirror of core/pgindex.py) exists from start-up.
    "post_heads": [Index([("kind", 1)], "kind")],
}


def _post(d: dict[str, Any]) -> Post:
    return Post(
        id=d["_id"],
        circle_id=d["circle_id"],
        author_id=d["author_id"],
        text=d["text"],
        tags=tuple(d.get("tags", [])),
        images=tuple(
            PostImage(i["id"], i["content_type"], i.get("width"), i.get("height"), i["thumb"])
            for i in d.get("images", [])
        ),
        activity_id=d.get("activity_id"),
        activity_title=d.get("activity_title"),
        created_at=d["created_at"],
        n=int(d["n"]),
        m=int(d["m"]),
        like_count=int(d.get("like_count", 0)),
        comment_count=int(d.get("comment_count", 0)),
        deleted=bool(d.get("deleted", False)),
    )


def _comment(d: dict[str, Any]) -> Comment:
    return Comment(
        id=d["_id"],
        post_id=d["post_id"],
        author_id=d["author_id"],
        text=d["text"],
        created_at=d["created_at"],
        k=int(d["k"]),
        deleted=bool(d.get("deleted", False)),
    )


def _image(i: PostImage) -> dict[str, Any]:
    return {
        "id": i.id,
        "content_type": i.content_type,
        "width": i.width,
        "height": i.height,
        "thumb": i.has_thumbnail,
    }


class PostRepository:
    def __init__(self, db: Db) -> None:
        self._posts = db["posts"]
        self._comments = db["post_comments"]
        self._likes = db["post_likes"]
        self._heads = db["post_heads"]

    # slots -------------------------------------------------------------------------------

    async def head(self, kind: str, key: str, slot_field: str, coll: str) -> int:
        """The highest slot taken under ``key`` (-1: none). The stored head may lag behind a
        concurrent insert (its ``$max`` is not atomic with the insert), so it is walked forward
        by exact slot lookups until a free one."""
        doc = await self._heads.find_one({"_id": f"{kind}:{key}"})
        n = int(doc["n"]) if doc else -1
        collection = self._posts if coll == "posts" else self._comments
        while await collection.find_one({slot_field: f"{key}:{n + 1}"}, {"_id": 1}):
            n += 1
        return n

    async def _raise_head(self, kind: str, key: str, n: int) -> None:
        try:
            await self._heads.update_one(
                {"_id": f"{kind}:{key}"}, {"$max": {"n": n}, "$set": {"kind": kind}}, upsert=True
            )
        except DuplicateKeyError:  # two first upserts at once: the other one created it
            await self._heads.update_one({"_id": f"{kind}:{key}"}, {"$max": {"n": n}})

    async def _claim(self, insert: Callable[[], Awaitable[None]]) -> None:
        for _ in range(CLAIM_ATTEMPTS):
            try:
                await retry_busy(insert)
                return
            except DuplicateKeyError:
                await asyncio.sleep(0)  # someone took the slot: look again
        raise Unavailable("too many concurrent posts; nothing was stored")

    # posts -------------------------------------------------------------------------------

    async def insert_post(
        self,
        post_id: str,
        circle_id: str,
        author_id: str,
        fields: dict[str, Any],
        images: list[PostImage],
        created_at: datetime,
    ) -> Post:
        """Insert under the next free circle and author slots (unique keys; a taken slot is
        retried with the next). Returns the stored post."""
        doc: dict[str, Any] = {}

        async def insert() -> None:
            n = await self.head("c", circle_id, "cslot", "posts") + 1
            m = await self.head("a", author_id, "aslot", "posts") + 1
            doc.clear()
            doc.update(
                _id=post_id,
                circle_id=circle_id,
                author_id=author_id,
                **fields,
                images=[_image(i) for i in images],
                created_at=created_at,
                n=n,
                m=m,
                cslot=f"{circle_id}:{n}",
                aslot=f"{author_id}:{m}",
                cpage=f"{circle_id}:{n // PAGE}",
                apage=f"{author_id}:{m // PAGE}",
                like_count=0,
                comment_count=0,
                deleted=False,
            )
            await self._posts.insert_one(doc)

        await self._claim(insert)
        await self._raise_head("c", circle_id, int(doc["n"]))
        await self._raise_head("a", author_id, int(doc["m"]))
        return _post(doc)

    async def get_post(self, post_id: str) -> Post | None:
        doc = await self._posts.find_one({"_id": post_id})
        return _post(doc) if doc else None

    async def get_posts(self, post_ids: list[str]) -> list[Post]:
        return [_post(d) for d in await find_by_ids(self._posts, post_ids)]

    async def circle_page(self, circle_id: str, page: int) -> list[Post]:
        """One stored page of a circle's posts, newest first (tombstones included)."""
        found = [_post(d) async for d in self._posts.find({"cpage": f"{circle_id}:{page}"})]
        return sorted(found, key=lambda p: p.n, reverse=True)

    async def author_page(self, author_id: str, page: int) -> list[Post]:
        found = [_post(d) async for d in self._posts.find({"apage": f"{author_id}:{page}"})]
        return sorted(found, key=lambda p: p.m, reverse=True)

    async def tombstone(self, post_id: str) -> None:
        """Deleted: the slots stay taken, the content goes."""
        await self._posts.update_one(
            {"_id": post_id},
            {"$set": {"deleted": True, "text": "", "images": [], "tags": [], "activity_id": None}},
        )

    # likes -------------------------------------------------------------------------------

    async def add_like(self, post_id: str, user_id: str, at: datetime) -> None:
        """Idempotent: the like's ``_id`` is ``<post>:<user>``."""
        try:
            await retry_busy(
                lambda: self._likes.insert_one(
                    {
                        "_id": f"{post_id}:{user_id}",
                        "post_id": post_id,
                        "user_id": user_id,
                        "created_at": at,
                    }
                )
            )
        except DuplicateKeyError:
            pass

    async def remove_like(self, post_id: str, user_id: str) -> None:
        await self._likes.delete_one({"_id": f"{post_id}:{user_id}"})

    async def liked(self, post_ids: list[str], user_id: str) -> set[str]:
        found = await find_by_ids(self._likes, [f"{p}:{user_id}" for p in post_ids])
        return {d["post_id"] for d in found}

    async def recount(self, post_id: str) -> tuple[int, int]:
        """Store the like and comment counts as counted from their documents, until a count
        taken after the write agrees with it: the last writer always leaves the true counts."""
        for _ in range(RECOUNT_ROUNDS):
            likes = await self._likes.count_documents({"post_id": post_id})
            comments = await self._comments.count_documents({"post_id": post_id, "deleted": False})
            await self._posts.update_one(
                {"_id": post_id}, {"$set": {"like_count": likes, "comment_count": comments}}
            )
            again = (
                await self._likes.count_documents({"post_id": post_id}),
                await self._comments.count_documents({"post_id": post_id, "deleted": False}),
            )
            if again == (likes, comments):
                break
        # Under a storm of likes the rounds may run out: the last writer's recount still follows.
        return likes, comments

    # comments ----------------------------------------------------------------------------

    async def insert_comment(
        self, comment_id: str, post_id: str, author_id: str, text: str, at: datetime
    ) -> Comment:
        doc: dict[str, Any] = {}

        async def insert() -> None:
            k = await self.head("k", post_id, "kslot", "post_comments") + 1
            doc.clear()
            doc.update(
                _id=comment_id,
                post_id=post_id,
                author_id=author_id,
                text=text,
                created_at=at,
                k=k,
                kslot=f"{post_id}:{k}",
                kpage=f"{post_id}:{k // PAGE}",
                deleted=False,
            )
            await self._comments.insert_one(doc)

        await self._claim(insert)
        await self._raise_head("k", post_id, int(doc["k"]))
        return _comment(doc)

    async def get_comment(self, comment_id: str) -> Comment | None:
        doc = await self._comments.find_one({"_id": comment_id})
        return _comment(doc) if doc else None

    async def comment_page(self, post_id: str, page: int) -> list[Comment]:
        found = [_comment(d) async for d in self._comments.find({"kpage": f"{post_id}:{page}"})]
        return sorted(found, key=lambda c: c.k, reverse=True)

    async def tombstone_comment(self, comment_id: str) -> None:
        await self._comments.update_one(
            {"_id": comment_id}, {"$set": {"deleted": True, "text": ""}}
        )

    # settings ----------------------------------------------------------------------------

    async def members_can_post(self, circle_id: str) -> bool:
        doc = await self._heads.find_one({"_id": f"s:{circle_id}"})
        return bool(doc and doc.get("members_can_post"))

    async def set_members_can_post(self, circle_id: str, allowed: bool) -> None:
        """One field replaced: concurrent changes leave the last one."""
        change = {"$set": {"members_can_post": allowed, "kind": "s"}}
        try:
            await self._heads.update_one({"_id": f"s:{circle_id}"}, change, upsert=True)
        except DuplicateKeyError:  # two first upserts at once: the other one created it
            await self._heads.update_one({"_id": f"s:{circle_id}"}, change)
