"""The OpenAPI 3 document, generated from the route table's models."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from server.http.routing import Route

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
                "details": {"type": "object"},
            },
        }
    },
}


def _schema(model: type[BaseModel], components: dict[str, Any], mode: str) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)  # type: ignore[arg-type]
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault(model.__name__, schema)
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def build_openapi(routes: list[Route], version: str) -> dict[str, Any]:
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, Any] = {}
    for route in routes:
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
    return {
        "openapi": "3.1.0",
        "info": {"title": "Circles", "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _op_id(route: Route) -> str:
    return route.handler.__name__
