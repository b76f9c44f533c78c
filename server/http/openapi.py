"""The OpenAPI 3 document, generated from the route table's models and the Socket.IO event
table's: the wire contract the web client's types are generated from (web/openapi.json, written
by scripts/openapi; tests/test_openapi_snapshot.py keeps it current)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema

from server.activities.schemas import SignupEnvelope
from server.http.routing import Route
from server.messages import schemas as messages
from server.moderation.holds_schemas import HoldDecidedOut
from server.moderation.joins_schemas import JoinDecidedOut, JoinRequestedOut
from server.moderation.newcomers_schemas import LinkHeldOut
from server.realtime.events import EventTable
from server.rooms.schemas import CircleRemovedOut, MemberCountOut, RoleChangedOut

# What each Socket.IO event's ack carries in `data` (`{ok: true, data}`). The event table names
# each event's input model but not its output, so the outputs are listed here; an event missing
# from this list is documented with an unknown ack, and tests/test_openapi_snapshot.py names it.
EVENT_ACKS: dict[str, type[BaseModel]] = {
    "conversations": messages.ConversationsOut,
    "message:send": messages.MessageEnvelope,
    "message:edit": messages.MessageEnvelope,
    "message:delete": messages.MessageEnvelope,
    "reaction:add": messages.MessageEnvelope,
    "reaction:remove": messages.MessageEnvelope,
    "message:pin": messages.MessageEnvelope,
    "message:unpin": messages.MessageEnvelope,
    "pins": messages.PinsOut,
    "history": messages.HistoryOut,
    "sync": messages.SyncOut,
    "read": messages.ReadOut,
    "typing": messages.EmptyOut,
    "dm:open": messages.ConversationEnvelope,
    "activity:signup": SignupEnvelope,
    "activity:cancel": SignupEnvelope,
    "activity:accept_offer": SignupEnvelope,
    "activity:decline_offer": SignupEnvelope,
    "activity:reconfirm": SignupEnvelope,
}

# Events the server pushes whose payload is a model (docs/protocol.md lists all of them).
SERVER_EVENTS: dict[str, type[BaseModel]] = {
    "message:new": messages.MessageEnvelope,
    "message:updated": messages.MessageEnvelope,
    "conversation:new": messages.ConversationEnvelope,
    "circle:members": MemberCountOut,
    "circle:removed": CircleRemovedOut,
    "circle:role": RoleChangedOut,
    "circle:join_decided": JoinDecidedOut,
    "circle:link_held": LinkHeldOut,
    "circle:hold_decided": HoldDecidedOut,
    "circle:join_requested": JoinRequestedOut,
}


class _WireJsonSchema(GenerateJsonSchema):
    """Outputs are sent whole (``model_dump(mode="json")``, nothing excluded), so a field with a
    default is still always present: in serialization mode it is required, which the client's
    generated types rely on."""

    def field_is_required(
        self,
        field: core_schema.ModelField | core_schema.DataclassField | core_schema.TypedDictField,
        total: bool,
    ) -> bool:
        if self.mode == "serialization" and field["type"] != "typed-dict-field":
            return field.get("serialization_exclude_if") is None
        return super().field_is_required(field, total)


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "object", "additionalProperties": True},
            },
        }
    },
}


def _schema(model: type[BaseModel], components: dict[str, Any], mode: str) -> dict[str, Any]:
    schema = model.model_json_schema(
        ref_template="#/components/schemas/{model}",
        mode=mode,  # type: ignore[arg-type]
        schema_generator=_WireJsonSchema,
    )
    for name, definition in [*schema.pop("$defs", {}).items(), (model.__name__, schema)]:
        held = components.setdefault(name, definition)
        if held != definition:  # two models of one name would be documented as one
            raise ValueError(f"two different schemas named {name} in the OpenAPI document")
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def build_openapi(
    routes: list[Route], version: str, events: EventTable | None = None
) -> dict[str, Any]:
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, Any] = {}
    seen: dict[str, str] = {}
    for route in routes:
        # Clients generated from this document name their calls by operationId: two routes
        # with one id would be one call (openapi-typescript emits a duplicate declaration).
        where = f"{route.method} {route.path}"
        if (other := seen.setdefault(_op_id(route), where)) != where:
            raise ValueError(f"operationId {_op_id(route)!r} names {other} and {where}")
        op: dict[str, Any] = {
            "summary": route.summary,
            "operationId": _op_id(route),
            "responses": {},
        }
        if route.tags:
            op["tags"] = route.tags
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{(\w+)}", route.path)
        ]
        if route.query is not None:
            q_schema = route.query.model_json_schema()
            for name, prop in q_schema.get("properties", {}).items():
                prop = {k: v for k, v in prop.items() if k != "title"}
                if "anyOf" in prop:
                    prop = next((p for p in prop["anyOf"] if p.get("type") != "null"), prop)
                # The server reads an empty parameter (?tag=) as absent (http/routing.py).
                params.append(
                    {
                        "name": name,
                        "in": "query",
                        "required": False,
                        "allowEmptyValue": True,
                        "schema": prop,
                    }
                )
        if params:
            op["parameters"] = params
        if route.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {"schema": _schema(route.body, components, "validation")}
                },
            }
        if route.response is not None:
            op["responses"][str(route.status)] = {
                "description": "OK",
                "content": {
                    "application/json": {
                        "schema": _schema(route.response, components, "serialization")
                    }
                },
            }
        else:
            op["responses"][str(route.status if route.status != 200 else 204)] = {
                "description": "OK"
            }
        # 401 on every route: open ones answer it too (a wrong password, a bad calendar key).
        for status in ("400", "401", "403", "404", "409", "422", "429", "503"):
            op["responses"][status] = {
                "description": "error",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        if route.auth:
            op["security"] = [{"bearer": []}]
        paths.setdefault(route.path, {})[route.method.lower()] = op
    socket = _socket_events(events or {}, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Circles", "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        # Socket.IO is not HTTP, so its events are an extension: each client event's payload
        # and ack data, and the payloads of server events; their schemas are components too.
        "x-socketio": socket,
    }


def _socket_events(events: EventTable, components: dict[str, Any]) -> dict[str, Any]:
    client: dict[str, Any] = {}
    for name in sorted(events):
        ack = EVENT_ACKS.get(name)
        client[name] = {
            "payload": _schema(events[name].model, components, "validation"),
            "ack": _schema(ack, components, "serialization") if ack is not None else {},
        }
    server = {
        name: _schema(model, components, "serialization")
        for name, model in sorted(SERVER_EVENTS.items())
    }
    return {"client": client, "server": server}


def _op_id(route: Route) -> str:
    return route.handler.__name__
