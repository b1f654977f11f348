"""The OpenAPI 3.1 document of /api/v1, generated from the route table (never hand-kept).

Request bodies come from each row's input model, responses from its shape's return
annotation (a TypedDict), errors from the statuses the row declares.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, get_args, get_origin, get_type_hints

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from invoiceflow import __version__, http
from invoiceflow.core import errors as domain_errors
from invoiceflow.resolvers.validation import MAX_INT, NO_NUL, InputJsonSchema
from invoiceflow.rest_compat.shapes.fields import Answer
from invoiceflow.rest_compat.table import Body, PathId, PathText, Query, QueryList, Route

REF = "#/components/schemas/{model}"
ALWAYS = (401, 429, 500, 503)
# A body that is absent, not a JSON object or nested too deep (400), over 1 MB (413), or sent
# as anything but application/json (415).
BODY_ERRORS = (400, 413, 415)
# Every POST takes an Idempotency-Key (API.md §2): a malformed one is a 400, a request still
# running under it a 409, and the same key with another request a 422.
IDEMPOTENCY_ERRORS = (400, 409, 422)
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Replays the first answer to a repeated request, for 24 hours at least.",
    # 1 to 255 printable characters (of the Latin-1 a header value is read in).
    "schema": {"type": "string", "pattern": r"^[\x20-\x7e\xa1-\xac\xae-\xff]{1,255}$"},
}
_QUERY_TYPES = {str: "string", int: "integer", bool: "boolean"}
_DESCRIPTIONS = {
    cls.status: cls.default_message
    for module in (domain_errors, http)
    for cls in vars(module).values()
    if isinstance(cls, type) and issubclass(cls, domain_errors.DomainError)
}


def _shape_schema(route: Route, schemas: dict[str, Any]) -> dict[str, Any] | None:
    if route.shape is None:
        return None
    if isinstance(route.shape, Answer):  # a shape's list of keys
        returned = get_type_hints(route.shape.build).get("return")
        many = route.many or route.feed or get_origin(returned) is list
        model = route.shape.shape.typed
    else:  # a TypedDict, or a list of them, as the function's return annotation
        returned = get_type_hints(route.shape)["return"]
        many = get_origin(returned) is list
        model = get_args(returned)[0] if many else returned
    schema = TypeAdapter(model).json_schema(ref_template=REF, mode="serialization")
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema
    item = {"$ref": REF.format(model=model.__name__)}
    return {"type": "array", "items": item} if many else item


def _body_schema(models: list[type[BaseModel]], schemas: dict[str, Any]) -> None:
    _keys, defs = models_json_schema(
        [(model, "validation") for model in models],
        ref_template=REF,
        schema_generator=InputJsonSchema,
    )
    schemas.update(defs.get("$defs", {}))


def _parameters(route: Route) -> list[dict[str, Any]]:
    params = []
    for arg in route.args.values():
        if isinstance(arg, PathId):
            params.append(
                {
                    "name": arg.name,
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_INT},
                }
            )
        elif isinstance(arg, PathText):
            params.append(
                {
                    "name": arg.name,
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "maxLength": arg.max_length, "pattern": NO_NUL},
                }
            )
        elif isinstance(arg, Query):
            schema: dict[str, Any] = {"type": _QUERY_TYPES[arg.type]}
            if arg.type is str and not arg.enum:
                schema["pattern"] = NO_NUL
            if arg.enum:
                schema["enum"] = list(arg.enum)
            if arg.max_length is not None:
                schema["maxLength"] = arg.max_length
            if arg.type is int:
                schema["minimum"] = arg.minimum
                if arg.clamp is None:  # a clamped one takes any integer above its minimum
                    schema["maximum"] = arg.maximum
            if isinstance(arg, QueryList):  # ?type=a&type=b
                schema = {"type": "array", "items": schema}
            params.append(
                {
                    "name": arg.name,
                    "in": "query",
                    "required": False,
                    "description": arg.description,
                    "schema": schema,
                    # `?status=` reads as no status at all (Query.read), as browsers send it.
                    "allowEmptyValue": True,
                }
            )
    return params


def _success(route: Route, data: dict[str, Any] | None) -> dict[str, Any]:
    if route.media_type is not None:
        return {
            "description": route.summary,
            "content": {route.media_type: {"schema": {"type": "string", "format": "binary"}}},
        }
    properties: dict[str, Any] = {"success": {"const": True}, "message": {"type": "string"}}
    required = ["success"]
    if data is not None:
        properties["data"] = data
        required.append("data")
    if route.many or route.feed:
        meta = "FeedMeta" if route.feed else "PageMeta"
        properties["meta"] = {"$ref": REF.format(model=meta)}
        required.append("meta")
    return {
        "description": route.summary,
        "content": {
            "application/json": {
                "schema": {"type": "object", "required": required, "properties": properties}
            }
        },
    }


def _error(status: int) -> dict[str, Any]:
    return {
        "description": _DESCRIPTIONS.get(status, "Error"),
        "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}},
    }


def build(routes: Sequence[Route]) -> dict[str, Any]:
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["success", "error", "message"],
            "properties": {
                "success": {"const": False},
                "error": {"type": "string"},
                "message": {"type": "string"},
                "errors": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "PageMeta": {
            "type": "object",
            "required": ["current_page", "per_page", "total", "last_page"],
            "properties": {
                name: {"type": "integer"}
                for name in ("current_page", "per_page", "total", "last_page")
            },
        },
        "FeedMeta": {
            "type": "object",
            "required": ["has_more", "next_after"],
            "properties": {
                "has_more": {"type": "boolean"},
                # the sequence to ask after next (the one asked after, on an empty page)
                "next_after": {"type": ["integer", "null"]},
            },
        },
    }
    bodies = [
        arg.schema
        for r in routes
        for arg in r.args.values()
        if isinstance(arg, Body) and arg.schema is not None
    ]
    _body_schema(list(dict.fromkeys(bodies)), schemas)
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        operation: dict[str, Any] = {
            "operationId": f"{route.method.lower()}_{route.resolver.__name__}",
            "summary": route.summary,
            "tags": [route.tag] if route.tag else [],
            "parameters": _parameters(route),
            "security": [{"bearer": []}],
            "responses": {str(route.status): _success(route, _shape_schema(route, schemas))},
        }
        for arg in route.args.values():
            if isinstance(arg, Body) and arg.schema is not None:
                operation["requestBody"] = {
                    # an absent or blank body is a 400 (API.md §6): {} for "nothing to change"
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": REF.format(model=arg.schema.__name__)}
                        }
                    },
                }
        errors = {*route.errors, *ALWAYS}
        if "requestBody" in operation:
            errors.update(BODY_ERRORS)
        if route.method == "POST":
            operation["parameters"].append(IDEMPOTENCY_KEY)
            errors.update(IDEMPOTENCY_ERRORS)
        for status in sorted(errors):
            operation["responses"][str(status)] = _error(status)
        paths.setdefault(f"/api/v1{route.path}", {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "InvoiceFlow REST API",
            "version": __version__,
            "description": "The InvoiceFlow REST reference, over the same domain as GraphQL.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
