"""Strict wire-model bases, shared field types and the validation-error mapping."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    PlainSerializer,
    StringConstraints,
    ValidationError,
)

from server.core.errors import Invalid


def _no_control(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode (no lone surrogates)") from exc
    return value


class StrictIn(BaseModel):
    """Inbound model: unknown fields are refused, types are never coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Out(BaseModel):
    """Outbound model."""

    model_config = ConfigDict(extra="forbid")


Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Text = Annotated[str, AfterValidator(_no_control)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,32}$")]


def _utc_iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


UtcDatetime = Annotated[datetime, PlainSerializer(_utc_iso, return_type=str)]

_LOC_SAFE = re.compile(r"[^A-Za-z0-9_.\[\]-]")


def invalid_from(exc: ValidationError) -> Invalid:
    """Map a pydantic error to ``invalid`` with the offending fields named in ``details``."""
    fields: dict[str, str] = {}
    for err in exc.errors(include_url=False, include_input=False)[:20]:
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        fields[_LOC_SAFE.sub("_", loc)[:100]] = err["msg"][:200]
    return Invalid("the input failed validation", {"fields": fields})


def parse(model: type[StrictIn], data: Any) -> Any:
    """Validate ``data`` (already decoded JSON) into ``model`` or raise ``invalid``."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise Invalid("expected a JSON object", {"fields": {"body": "must be an object"}})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_from(exc) from None
    except (RecursionError, ValueError) as exc:
        raise Invalid("the input failed validation", {"fields": {"body": str(exc)[:200]}}) from None
