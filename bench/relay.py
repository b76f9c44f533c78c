"""A bare python-socketio relay: the reference the benchmark compares Circles against.

No auth, no database, no Redis: a client emits ``join {conversation_id}`` to enter a room, and
``message:send {conversation_id, client_id, text}`` is acknowledged and re-emitted to the whole
room (the sender included, as Circles does) as ``message:new {message}`` with the same message
shape as Circles. Same event names as Circles, so one load generator drives both.

    python -m bench.relay --port 8100 [--ws websockets-sansio] [--deflate] [--no-uvloop]
"""

from __future__ import annotations

import argparse
import itertools
from datetime import UTC, datetime
from typing import Any

import socketio
import uvicorn


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _error(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}


def build_app() -> socketio.ASGIApp:
    sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*")
    seqs: dict[str, int] = {}
    ids = itertools.count(1)

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        await sio.save_session(sid, {"user_id": f"u{sid}"})

    @sio.on("join")
    async def join(sid: str, data: Any = None) -> dict[str, Any]:
        if not isinstance(data, dict) or not isinstance(data.get("conversation_id"), str):
            return _error("invalid", "conversation_id required")
        await sio.enter_room(sid, data["conversation_id"])
        return {"ok": True, "data": {}}

    @sio.on("message:send")
    async def message_send(sid: str, data: Any = None) -> dict[str, Any]:
        if not isinstance(data, dict):
            return _error("invalid", "object required")
        cid, client_id, text = data.get("conversation_id"), data.get("client_id"), data.get("text")
        if not isinstance(cid, str) or not isinstance(client_id, str) or not isinstance(text, str):
            return _error("invalid", "conversation_id, client_id and text required")
        text = text.strip()
        if not text or len(text) > 4000:
            return _error("invalid", "text must be 1-4000 characters")
        seq = seqs.get(cid, 0) + 1
        seqs[cid] = seq
        message = {
            "id": f"m{next(ids)}",
            "conversation_id": cid,
            "seq": seq,
            "rev": seq,
            "sender_id": f"u{sid}",
            "sender_name": "relay",
            "kind": "text",
            "text": text,
            "client_id": client_id,
            "created_at": _now_iso(),
            "edited_at": None,
            "deleted": False,
        }
        await sio.emit("message:new", {"message": message}, room=cid)
        return {"ok": True, "data": {"message": message}}

    return socketio.ASGIApp(sio)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8100)
    p.add_argument(
        "--ws",
        default="websockets-sansio",
        help="uvicorn websocket implementation (websockets, websockets-sansio, wsproto)",
    )
    p.add_argument(
        "--deflate",
        action="store_true",
        help="negotiate permessage-deflate (off by default, as in Circles)",
    )
    p.add_argument("--no-uvloop", action="store_true", help="plain asyncio loop and h11")
    args = p.parse_args(argv)
    uvicorn.run(
        build_app(),
        host=args.host,
        port=args.port,
        loop="asyncio" if args.no_uvloop else "uvloop",
        http="h11" if args.no_uvloop else "httptools",
        ws=args.ws,
        ws_per_message_deflate=args.deflate,
        log_level="warning",
        access_log=False,
        lifespan="off",
        backlog=4096,
    )


if __name__ == "__main__":
    main()
