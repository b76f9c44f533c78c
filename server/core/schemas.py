"""Strict wire-model bases, shared field types and the validation-error mapping."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    StringConstraints,
    ValidationError,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

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
# why a moderator or an organiser did something (the audit log, notices)
Reason = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=500)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,32}$")]

# Characters that draw nothing although they are not whitespace: a name made only of these (a
# zero-width space, a byte-order mark, bidi marks, Hangul fillers, the blank Braille pattern)
# is as blank as one made of spaces.
_INVISIBLE = frozenset("\u115f\u1160\u2800\u3164\uffa0")


def is_blank(value: str) -> bool:
    """True when ``value`` shows nothing: only whitespace and invisible characters."""
    return all(ch.isspace() or ch in _INVISIBLE or unicodedata.category(ch) == "Cf" for ch in value)


@dataclass(frozen=True)
class Trimmed:
    """Human-entered text (a message, a name, a title), stored without surrounding whitespace.
    ``min_length`` counts what is left after trimming, and text that shows nothing counts as
    empty; ``max_length`` bounds the text as sent, as the JSON Schema says. Use as
    ``Annotated[str, Trimmed(1, 80)]``. NUL and lone surrogates are refused, as for ``Text``.
    """

    min_length: int
    max_length: int

    def _check(self, value: str) -> str:
        _no_control(value)
        if len(value) > self.max_length:
            raise PydanticCustomError(
                "too_long", "must be at most {n} characters", {"n": self.max_length}
            )
        value = value.strip()
        if is_blank(value):
            value = ""
        if len(value) < self.min_length:
            if not value:
                raise PydanticCustomError("blank", "must not be blank")
            raise PydanticCustomError(
                "too_short", "must be at least {n} characters", {"n": self.min_length}
            )
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        found = handler(schema)
        found.update(minLength=self.min_length, maxLength=self.max_length)
        return found


def utc_iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


UtcDatetime = Annotated[datetime, PlainSerializer(utc_iso, return_type=str)]

_LOC_SAFE = re.compile(r"[^A-Za-z0-9_.\[\]-]")


def invalid_from(exc: ValidationError) -> Invalid:
    """Map a pydantic error to ``invalid`` with the offending fields named in ``details``."""
    fields: dict[str, str] = {}
    for err in exc.errors(include_url=False, include_input=False)[:20]:
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        fields[_LOC_SAFE.sub("_", loc)[:100]] = err["msg"][:200]
    return Invalid("the input failed validation", {"fields": fields})


def parse(model: type[StrictIn], data: Any) -> Any:
    """Validate ``data`` (already decoded JSON) into ``model`` or raise ``invalid``. A JSON
    ``null`` is refused like any other non-object: an empty body (or an event sent without a
    payload) reaches here as ``{}``, so ``null`` can only be a client saying something else."""
    if not isinstance(data, dict):
        raise Invalid("expected a JSON object", {"fields": {"body": "must be an object"}})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_from(exc) from None
    except (RecursionError, ValueError) as exc:
        raise Invalid("the input failed validation", {"fields": {"body": str(exc)[:200]}}) from None
