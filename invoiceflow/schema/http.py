"""GraphQL over HTTP: one transaction per request, errors in the contract's form, orjson out."""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import orjson
import strawberry
from graphql import GraphQLError, OperationType, parse
from graphql.language import OperationDefinitionNode
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from invoiceflow import graphiql
from invoiceflow.context import request_context
from invoiceflow.failures import as_domain_error
from invoiceflow.http import read_body
from invoiceflow.ratelimit import rate_headers
from invoiceflow.resolvers.errors import BadRequest, DomainError, MethodNotAllowed
from invoiceflow.schema.errors import domain_error_json, format_error

if TYPE_CHECKING:
    from invoiceflow.app import Services


@lru_cache(maxsize=512)
def describe(query: str, operation_name: str | None) -> tuple[str, bool]:
    """The operation to run: its name (for the request log) and whether it writes
    (it then takes a write transaction).

    Raises BadRequest when ``operation_name`` names no operation of the document.
    """
    try:
        document = parse(query)
    except GraphQLError:
        return "invalid", False  # execution reports the syntax error
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        name = definition.name.value if definition.name else None
        if operation_name is None or name == operation_name:
            writes = definition.operation == OperationType.MUTATION
            return name or f"anonymous {definition.operation.value}", writes
    if operation_name is not None:
        raise BadRequest(f"The document has no operation named {operation_name!r}.")
    return "none", False


def _errors_response(
    errors: list[dict[str, Any]], status: int, headers: dict[str, str]
) -> Response:
    return Response(
        orjson.dumps({"data": None, "errors": errors}),
        status_code=status,
        headers=headers,
        media_type="application/json",
    )


class GraphQLEndpoint:
    """``POST /graphql`` runs a document; ``GET /graphql`` in a browser opens GraphiQL."""

    def __init__(self, services: Services, schema: strawberry.Schema, *, ide: bool = True) -> None:
        self.services = services
        self.schema = schema
        self.ide = ide

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        if (
            request.method == "GET"
            and self.ide
            and "text/html" in request.headers.get("accept", "")
        ):
            return graphiql.page()
        try:
            query, variables, operation_name = await self._operation(request)
            request.state.operation, write = describe(query, operation_name)
            if write and request.method == "GET":
                raise MethodNotAllowed("Mutations must be sent with POST.")
            async with request_context(
                self.services, request.headers.get("authorization"), write=write, request=request
            ) as ctx:
                result = await self.schema.execute(
                    query,
                    variable_values=variables,
                    context_value=ctx,
                    operation_name=operation_name,
                )
                # A document that ended in errors commits nothing (one transaction per request).
                ctx.rollback_only = bool(result.errors)
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                raise
            error = as_domain_error(exc)
            headers = rate_headers(request, exc)
            if isinstance(error, MethodNotAllowed):
                headers["Allow"] = "POST"
            retry_after = getattr(error, "retry_after", None)
            if retry_after is not None:
                headers["Retry-After"] = str(retry_after)
            return _errors_response([domain_error_json(error)], error.status, headers)
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [format_error(error) for error in result.errors]
        return Response(
            orjson.dumps(payload), headers=rate_headers(request), media_type="application/json"
        )

    async def _operation(self, request: Request) -> tuple[str, dict[str, Any] | None, str | None]:
        if request.method == "GET":
            params: Any = dict(request.query_params)
            if "variables" in params:
                params["variables"] = _loads(params["variables"])
        elif request.method == "POST":
            params = _loads(await read_body(request))
        else:
            raise MethodNotAllowed("Use POST (or GET for queries).")
        if not isinstance(params, dict):
            raise BadRequest("The request body must be a JSON object.")
        query, variables, name = (
            params.get("query"),
            params.get("variables"),
            params.get("operationName"),
        )
        if not isinstance(query, str) or not query.strip():
            raise BadRequest("The request must carry a GraphQL document in 'query'.")
        if variables is not None and not isinstance(variables, dict):
            raise BadRequest("'variables' must be a JSON object.")
        if name is not None and not isinstance(name, str):
            raise BadRequest("'operationName' must be a string.")
        return query, variables, name


def _loads(raw: bytes | str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadRequest("The request body is not valid JSON.") from None


__all__ = ["DomainError", "GraphQLEndpoint", "describe"]
