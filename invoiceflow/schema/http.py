"""GraphQL over HTTP: one transaction per request, errors in the contract's form, orjson out."""

from __future__ import annotations

import asyncio
import json
from functools import lru_cache
from typing import Any

import orjson
import strawberry
from graphql import GraphQLError, OperationType, parse
from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from invoiceflow import graphiql, idempotency, pipeline
from invoiceflow.auth import bearer_token, rate_key
from invoiceflow.context import Context
from invoiceflow.core.errors import BadRequest, DomainError
from invoiceflow.failures import as_domain_error
from invoiceflow.http import MethodNotAllowed, parse_json, read_body, require_json
from invoiceflow.ratelimit import rate_headers
from invoiceflow.schema.checks import DocumentCheck
from invoiceflow.schema.errors import domain_error_json, format_error
from invoiceflow.services import Services


@lru_cache(maxsize=512)
def describe(query: str, operation_name: str | None) -> tuple[str, bool, int]:
    """The operation to run: its name (for the request log), whether it writes (it then
    takes a write transaction), and how many requests it counts for against the rate limit
    (a mutation one per root field it runs: 15 aliased creates are 15, API.md §6).

    Raises BadRequest when ``operation_name`` names no operation of the document, or when
    none is named and the document has several.
    """
    try:
        document = parse(query)
    except GraphQLError:
        return "invalid", False, 1  # execution reports the syntax error
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None and len(operations) > 1:  # the spec's GetOperation: an error
        raise BadRequest("The document has several operations: name one in 'operationName'.")
    for definition in operations:
        name = definition.name.value if definition.name else None
        if operation_name is None or name == operation_name:
            writes = definition.operation == OperationType.MUTATION
            cost = _root_fields(definition, document) if writes else 1
            return name or f"anonymous {definition.operation.value}", writes, cost
    if operation_name is not None:
        raise BadRequest(f"The document has no operation named {operation_name!r}.")
    return "none", False, 1


def _root_fields(operation: OperationDefinitionNode, document: DocumentNode) -> int:
    """The root fields an operation runs: its distinct response names, through fragments
    (fields of one name merge into one execution; a fragment spread twice runs once)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    names: set[str] = set()
    spread: set[str] = set()
    pending = list(operation.selection_set.selections)
    while pending:
        node = pending.pop()
        if isinstance(node, FieldNode):
            names.add((node.alias or node.name).value)
        elif isinstance(node, InlineFragmentNode):
            pending.extend(node.selection_set.selections)
        elif isinstance(node, FragmentSpreadNode) and node.name.value not in spread:
            spread.add(node.name.value)
            fragment = fragments.get(node.name.value)
            if fragment is not None:
                pending.extend(fragment.selection_set.selections)
    return max(1, len(names))


def _error_response(request: Request, exc: BaseException) -> Response:
    """An error before or around execution: the HTTP status of its code, GraphQL's shape."""
    error = as_domain_error(exc)
    headers = rate_headers(request, exc)
    if isinstance(error, MethodNotAllowed):
        headers["Allow"] = "POST"
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return Response(
        orjson.dumps({"data": None, "errors": [domain_error_json(error)]}),
        status_code=error.status,
        headers=headers,
        media_type="application/json",
    )


class GraphQLEndpoint:
    """``POST /graphql`` runs a document; ``GET /graphql`` in a browser opens GraphiQL."""

    def __init__(
        self,
        services: Services,
        schema: strawberry.Schema,
        *,
        ide: bool = True,
        introspection: bool = True,
    ) -> None:
        self.services = services
        self.schema = schema
        self.ide = ide
        self.check = DocumentCheck(schema, introspection=introspection)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await self.services.admission.answer(
            request, self.handle, lambda busy: _error_response(request, busy)
        )
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
            authorization = request.headers.get("authorization")
            bearer_token(authorization)  # 401 before any work
            problems = self.check.errors(query)
            if problems:  # refused before any SQL, the key lookup included; still counted
                return await self._refused(request, [format_error(e) for e in problems])
            request.state.operation, write, cost = describe(query, operation_name)
            too_complex = self.check.too_complex(query, operation_name, variables)
            if too_complex is not None:
                return await self._refused(request, [too_complex])
            if write and request.method == "GET":
                raise MethodNotAllowed("Mutations must be sent with POST.")
            keyed = None
            if write:
                sent = {"query": query, "variables": variables, "operationName": operation_name}
                keyed = idempotency.requested(
                    request, "POST /graphql", json.dumps(sent, sort_keys=True)
                )
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                raise
            return _error_response(request, exc)
        return await pipeline.answer(
            self.services,
            request,
            write=write,
            keyed=keyed,
            cost=cost,
            work=lambda ctx: self.respond(request, ctx, query, variables, operation_name),
            render_error=lambda exc: _error_response(request, exc),
        )

    async def _refused(self, request: Request, errors: list[dict[str, Any]]) -> Response:
        """A document refused before any SQL (the key lookup included), still counted."""
        authorization = request.headers.get("authorization")
        request.state.rate = await self.services.limiter.hit(rate_key(authorization))
        return Response(
            orjson.dumps({"errors": errors}),
            headers=rate_headers(request),
            media_type="application/json",
        )

    async def respond(
        self,
        request: Request,
        ctx: Context,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> Response:
        """Run the document in the request's transaction; a result with errors asks for a
        rollback (it commits nothing)."""
        result = await self.schema.execute(
            query,
            variable_values=variables,
            context_value=ctx,
            operation_name=operation_name,
        )
        ctx.rollback_only = bool(result.errors)
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [format_error(error) for error in result.errors]
            _drop_tracebacks(result.errors)
        return Response(
            orjson.dumps(payload), headers=rate_headers(request), media_type="application/json"
        )

    async def _operation(self, request: Request) -> tuple[str, dict[str, Any] | None, str | None]:
        if request.method == "GET":
            params: Any = dict(request.query_params)
            if "variables" in params:
                params["variables"] = parse_json(params["variables"])
        elif request.method == "POST":
            require_json(request)
            params = parse_json(await read_body(request))
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


def _drop_tracebacks(errors: list[GraphQLError]) -> None:
    """Formatted (and logged where unexpected), an error's traceback only keeps the frames of
    the execution, and through them the whole request, in a reference cycle until a garbage
    collection: let them go now."""
    for error in errors:
        seen: set[int] = set()
        pending: list[BaseException | None] = [error]
        while pending:
            exc = pending.pop()
            if exc is None or id(exc) in seen:
                continue
            seen.add(id(exc))
            exc.__traceback__ = None
            pending += [exc.__cause__, exc.__context__, getattr(exc, "original_error", None)]


__all__ = ["DomainError", "GraphQLEndpoint", "describe"]
