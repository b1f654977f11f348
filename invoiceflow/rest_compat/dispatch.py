"""The /api/v1 ASGI app: match a row of the route table, run it, answer in the envelope."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from invoiceflow import idempotency, pipeline
from invoiceflow.context import Context
from invoiceflow.core.errors import BadRequest, DomainError, NotFound, ValidationFailed
from invoiceflow.failures import as_domain_error
from invoiceflow.fast import reads
from invoiceflow.http import MethodNotAllowed, json_response, parse_json, read_body, require_json
from invoiceflow.ratelimit import rate_headers
from invoiceflow.resolvers.events import EventPage
from invoiceflow.resolvers.pagination import Page
from invoiceflow.rest_compat import openapi
from invoiceflow.rest_compat.table import Body, RequestData, Route
from invoiceflow.services import Services


def error_response(error: DomainError, headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"success": False, "error": error.code, "message": error.message}
    if isinstance(error, ValidationFailed):
        body["errors"] = error.fields
    headers = dict(headers or {})
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return json_response(body, error.status, headers)


@dataclass(frozen=True)
class _Compiled:
    pattern: re.Pattern[str]
    routes: dict[str, Route]


def _compile(routes: Sequence[Route]) -> list[_Compiled]:
    by_path: dict[str, dict[str, Route]] = {}
    for route in routes:
        by_path.setdefault(route.path, {})[route.method] = route
    compiled = []
    for path, methods in by_path.items():
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
        compiled.append(_Compiled(re.compile(f"^{regex}/?$"), methods))
    return compiled


class RestApp:
    """Mounted at /api/v1. No business rules here: rows of the table name the resolvers."""

    def __init__(self, services: Services, routes: Sequence[Route]) -> None:
        self.services = services
        self.routes = list(routes)
        self._compiled = _compile(routes)
        self._openapi: dict[str, Any] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await self.services.admission.answer(request, self.handle, error_response)
        await response(scope, receive, send)

    def match(self, path: str, method: str) -> tuple[Route, dict[str, str]] | Response:
        for entry in self._compiled:
            found = entry.pattern.match(path)
            if found is None:
                continue
            route = entry.routes.get(method)
            if route is None:
                allow = ", ".join(sorted(entry.routes))
                return error_response(
                    MethodNotAllowed(f"{method} is not allowed here; use {allow}."),
                    {"Allow": allow},
                )
            return route, found.groupdict()
        return error_response(NotFound(f"No route for {method} /api/v1{path}."))

    async def handle(self, request: Request) -> Response:
        # Under a Mount, "path" is the full path and "root_path" the mount prefix.
        path = request.scope["path"].removeprefix(request.scope.get("root_path", "")) or "/"
        if path == "/openapi.json" and request.method == "GET":
            if self._openapi is None:
                self._openapi = openapi.build(self.routes)
            return json_response(self._openapi)
        matched = self.match(path, request.method)
        if isinstance(matched, Response):
            return matched
        route, path_params = matched
        render = _renderer(request)
        try:
            body = await _read_json_object(request) if _takes_body(route) else None
            keyed = None
            if route.method == "POST":
                canonical = json.dumps(body, sort_keys=True, default=str)
                keyed = idempotency.requested(request, route.method, request.url.path, canonical)
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                raise
            return render(exc)
        data = RequestData(
            path=path_params, query=request.query_params, body=body, effects=self.services.effects
        )
        return await pipeline.answer(
            self.services,
            request,
            write=route.writes,
            keyed=keyed,
            work=lambda ctx: respond(request, route, ctx, data),
            render_error=lambda exc: error_response(
                as_domain_error(exc), rate_headers(request, exc)
            ),
        )


def _renderer(request: Request) -> pipeline.RenderError:
    """REST's own renderer of errors: the envelope, with the request's rate headers."""
    return lambda exc: error_response(as_domain_error(exc), rate_headers(request, exc))


async def respond(request: Request, route: Route, ctx: Context, data: RequestData) -> Response:
    """Run one route in the request's transaction and answer with its response."""
    if route.method == "GET":
        # what its shape reads of the rows (fast/reads.py); a write reads whole rows, as
        # the events it records show them
        reads.declare(route.reads)
    if route.media_type is not None:
        document = await call(route, ctx, data)
        headers = rate_headers(request)
        headers["Content-Disposition"] = f'inline; filename="{document.filename}"'
        return Response(document.content, route.status, headers, route.media_type)
    payload = await run(route, ctx, data)
    return json_response(payload, route.status, rate_headers(request))


async def call(route: Route, ctx: Context, data: RequestData) -> Any:
    """Call the route's resolver with the arguments its row says where to find."""
    kwargs = {name: arg.read(data) for name, arg in route.args.items()}
    return await route.resolver(session=ctx.session, principal=ctx.principal, **kwargs)


async def run(route: Route, ctx: Context, data: RequestData) -> dict[str, Any]:
    """Call the route's resolver and shape the answer into the success envelope."""
    result = await call(route, ctx, data)
    payload: dict[str, Any] = {"success": True}
    if route.shape is not None:
        # A list route's shape takes the whole list, so relations load once per page.
        items = result.items if isinstance(result, Page | EventPage) else result
        payload["data"] = await route.shape(ctx, items)
    if isinstance(result, EventPage):
        payload["meta"] = {"has_more": result.has_more, "next_after": result.next_after}
    if isinstance(result, Page):
        payload["meta"] = {
            "current_page": result.page,
            "per_page": result.per_page,
            "total": result.total,
            "last_page": result.last_page,
        }
    message = route.message_for(result)
    if message:
        payload["message"] = message
    return payload


def _takes_body(route: Route) -> bool:
    return any(isinstance(arg, Body) for arg in route.args.values())


async def _read_json_object(request: Request) -> Any:
    """The JSON object sent (with ``Content-Type: application/json``); numbers with a
    fraction are read as exact Decimals."""
    require_json(request)
    raw = await read_body(request)
    if not raw.strip():
        raise BadRequest("The request body is empty: send a JSON object.")
    body = parse_json(raw, exact=True)
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    return body
