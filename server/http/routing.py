"""A typed route table: each route names its input and output models, so one declaration both
validates requests and generates the OpenAPI document."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route as StarletteRoute

from server.accounts.models import Principal
from server.core.errors import DomainError, Invalid, NotFound, Unauthorized, translate
from server.core.ratelimit import Budget, Limits, http_default
from server.core.schemas import StrictIn, parse

log = logging.getLogger(__name__)
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_BODY_BYTES = 64 * 1024


@dataclass
class Ctx:
    request: Request
    principal: Principal | None
    body: Any
    query: Any
    path: dict[str, str]

    @property
    def who(self) -> Principal:
        assert self.principal is not None
        return self.principal


Handler = Callable[[Ctx], Awaitable[BaseModel | Response | None]]
Authenticator = Callable[[object], Awaitable[Principal]]


@dataclass
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    body: type[StrictIn] | None = None
    query: type[StrictIn] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    auth: bool = True
    tags: list[str] = field(default_factory=list)
    raw_body: bool = False  # the handler reads the raw bytes itself (webhooks)
    # Per-user budget of an authenticated route; None: http_default(method).
    budget: Budget | None = None
    # An open route that still needs some credential (a calendar key): without one the answer
    # is 401 before anything else, whatever the path holds.
    credential: Callable[[Request], bool] | None = None


def error_response(err: DomainError) -> JSONResponse:
    headers = {}
    if err.code == "rate_limited" and err.details:
        headers["Retry-After"] = str(err.details.get("retry_after", 1))
    if err.code == "unauthorized":
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse({"error": err.to_wire()}, status_code=err.status, headers=headers)


def internal_error() -> JSONResponse:
    return JSONResponse(
        {"error": {"code": "internal", "message": "internal error"}}, status_code=500
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


async def read_json(request: Request) -> Any:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise Invalid("the body is too large", {"fields": {"body": f"over {MAX_BODY_BYTES} bytes"}})
    if not raw.strip():
        return {}
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError, UnicodeDecodeError):
        raise Invalid("malformed JSON", {"fields": {"body": "malformed JSON"}}) from None


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def to_starlette(
    route: Route, authenticate: Authenticator, limits: Limits | None = None
) -> StarletteRoute:
    async def endpoint(request: Request) -> Response:
        try:
            principal = None
            if route.auth:
                token = bearer(request)
                if token is None:
                    raise Unauthorized("missing bearer token")
                principal = await authenticate(token)
                if limits is not None:  # before the body is read: a refusal changes nothing
                    budget = route.budget or http_default(route.method)
                    await limits.charge(budget, principal.user.id)
            elif route.credential is not None and not route.credential(request):
                raise Unauthorized("a bearer token or a key is needed")
            if any(not _ID.fullmatch(v) for v in request.path_params.values()):
                raise NotFound("no such thing")
            body = None
            if route.body is not None:
                body = parse(route.body, await read_json(request))
            # An empty parameter (?q=&tag=) means "not given", as in a plain HTML form.
            params = {k: v for k, v in request.query_params.items() if v != ""}
            query = parse(route.query, params) if route.query else None
            result = await route.handler(
                Ctx(request, principal, body, query, dict(request.path_params))
            )
        except Exception as exc:
            err = translate(exc)
            if err is None:
                log.exception("unhandled error in %s %s", route.method, route.path)
                return internal_error()
            return error_response(err)
        if isinstance(result, Response):
            return result
        if result is None:
            return Response(status_code=204)
        return JSONResponse(result.model_dump(mode="json"), status_code=route.status)

    return StarletteRoute(route.path, endpoint, methods=[route.method])
