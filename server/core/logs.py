"""Process logging: one line per record, JSON (``LOG_FORMAT=json``) or text, with the context of
the HTTP request (``request_id``) or Socket.IO event (``sid``, ``user_id``) it was written in.

What may be logged: names, ids, codes, counts and timings. Never a request or event body (it
carries passwords and message text), a header (bearer tokens) or a query string (calendar keys):
the request line logs the route's template, not the path it was called with.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

Scope = dict[str, Any]
ASGIApp = Any

_CONTEXT: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "circles_log_context", default=None
)
FIELDS = "fields"  # logging ``extra`` key: a dict of structured fields for this one line
# LogRecord attributes a formatter must not copy as fields.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}

access = logging.getLogger("circles.access")


def bind(**values: str | None) -> None:
    """Add fields to every line logged from this task on (and from tasks it starts)."""
    current = dict(_CONTEXT.get() or {})
    current.update({k: v for k, v in values.items() if v})
    _CONTEXT.set(current)


def context() -> dict[str, str]:
    return dict(_CONTEXT.get() or {})


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    out: dict[str, Any] = context()
    extra = record.__dict__.get(FIELDS)
    if isinstance(extra, dict):
        out.update(extra)
    for key, value in record.__dict__.items():  # other ``extra=`` keys, if any
        if key not in _STANDARD and key != FIELDS:
            out[key] = value
    return out


# One encoder for every line (``json.dumps`` with options builds a new one per call).
_encode = json.JSONEncoder(default=str, ensure_ascii=False).encode


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return _encode(line)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = _fields(record)
        if not fields:
            return text
        head, sep, tail = text.partition("\n")  # fields on the first line, before a traceback
        pairs = " ".join(f"{k}={v}" for k, v in fields.items())
        return f"{head} [{pairs}]{sep}{tail}"


class DropQueries(logging.Filter):
    """uvicorn logs each websocket's path with its query string, where a client may have put a
    token or a calendar key: keep the path only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and '"WebSocket %s"' in str(record.msg):
            record.args = tuple(
                a.split("?", 1)[0] if isinstance(a, str) and "?" in a else a for a in record.args
            )
        return True


def configure(level: str, fmt: str) -> None:
    """Root logging for the process; uvicorn's loggers propagate to it (run with
    ``log_config=None``), so their lines have the same shape. No line shows the thread, the
    process or the source line it was logged from, so a record does not look them up (the
    logging HOWTO's "Optimization"): a line per event is about a quarter cheaper."""
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None  # findCaller() walks the stack
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(DropQueries())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())


class RequestLog:
    """ASGI middleware for the HTTP routes: a request id (echoed as ``X-Request-ID``) bound to
    every line the request logs, and one ``http`` line when it is answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        bind(request_id=request_id)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            access.info(
                "http",
                extra={
                    FIELDS: {
                        "method": scope.get("method", ""),
                        # the template (/api/circles/{circle_id}), never ids or a query string
                        "route": getattr(route, "path", None) or "(no route)",
                        "status": status or 500,
                        "ms": round((time.perf_counter() - started) * 1000, 1),
                    }
                },
            )
