"""Helpers for circle posts and profiles tests: images made with Pillow, uploads for a post or
an avatar, publishing."""

from __future__ import annotations

import io
from typing import Any

import httpx
from PIL import Image

from tests.support.client import Api


def image(size: tuple[int, int] = (40, 20), color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


async def upload_for(
    api: Api, params: dict[str, str], data: bytes | None = None, name: str = "p.png"
) -> httpx.Response:
    """On a connection of its own: a refused upload is answered before its body is read and
    the server then closes that connection, which a pooled client might pick up again."""
    files = {"file": (name, data if data is not None else image(), "application/octet-stream")}
    async with httpx.AsyncClient(base_url=api.base_url, timeout=60) as http:
        return await http.post(
            "/api/uploads", files=files, params=params, headers=api._headers(None)
        )


async def post_image(api: Api, circle_id: str, data: bytes | None = None) -> str:
    resp = await upload_for(api, {"circle_id": circle_id}, data)
    assert resp.status_code == 201, resp.text
    upload = resp.json()["upload"]
    assert (upload["scope"], upload["circle_id"]) == ("post", circle_id)
    return str(upload["id"])


async def publish(api: Api, circle_id: str, **body: Any) -> dict[str, Any]:
    resp = await api.post(f"/api/circles/{circle_id}/posts", body)
    assert resp.status_code == 201, resp.text
    return dict(resp.json()["post"])


async def feed(api: Api, path: str, cursor: str | None = None) -> dict[str, Any]:
    resp = await api.get(path, params={"cursor": cursor} if cursor else None)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def whole_feed(api: Api, path: str) -> list[dict[str, Any]]:
    """Every page, following the cursor."""
    out: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        page = await feed(api, path, cursor)
        out.extend(page["posts"])
        cursor = page["next_cursor"]
        if cursor is None:
            return out
    raise AssertionError("the cursor never ended")
