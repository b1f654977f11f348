"""The Starlette app, assembled: /graphql, /api/v1, the Stripe webhook, health, middleware.

Nothing in the package imports this module; what requests share is invoiceflow/services.py."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from invoiceflow import graphiql
from invoiceflow.core.errors import NotFound, ServiceUnavailable
from invoiceflow.http import MethodNotAllowed, RequestLogMiddleware, json_response
from invoiceflow.rest_compat.dispatch import RestApp, error_response
from invoiceflow.rest_compat.routes import ROUTES
from invoiceflow.schema import build_schema
from invoiceflow.schema.http import GraphQLEndpoint
from invoiceflow.services import Services
from invoiceflow.settings import Settings, get_settings
from invoiceflow.stripe_webhook import StripeWebhook
from invoiceflow.work import embedded_worker

log = logging.getLogger("invoiceflow")


def configure_logging(level: str) -> None:
    """Plain lines on stderr, unless the host (a test runner, say) configured logging."""
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("invoiceflow").setLevel(level.upper())


def middleware(settings: Settings) -> list[Middleware]:
    """Request ids, logs and security headers; CORS only for configured origins."""
    stack = [Middleware(RequestLogMiddleware)]
    origins = [origin.strip() for origin in settings.cors_origins.split(",") if origin.strip()]
    if origins:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"],
                expose_headers=[
                    "X-Request-ID",
                    "X-RateLimit-Limit",
                    "X-RateLimit-Remaining",
                    "X-RateLimit-Reset",
                    "Retry-After",
                ],
                max_age=600,
            )
        )
    return stack


def create_app(settings: Settings | None = None, services: Services | None = None) -> Starlette:
    services = services or Services.from_settings(settings or get_settings())
    configure_logging(services.settings.log_level)

    async def healthz(_: Request) -> Response:
        return json_response({"status": "ok"})

    async def readyz(_: Request) -> Response:
        try:
            async with asyncio.timeout(services.settings.db_timeout):
                async with services.db.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except Exception:
            return error_response(ServiceUnavailable())
        return json_response({"status": "ok", "database": "ok"})

    async def not_found(request: Request, _exc: Exception) -> Response:
        return error_response(NotFound(f"No route for {request.method} {request.url.path}."))

    async def not_allowed(request: Request, exc: Exception) -> Response:
        # Starlette names the allowed methods on the exception; a 405 must carry them (API.md §2).
        allow = (getattr(exc, "headers", None) or {}).get("Allow")
        return error_response(
            MethodNotAllowed(f"{request.method} is not allowed here."),
            {"Allow": allow} if allow else None,
        )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # Everything imported and built so far lives as long as the process: move it out of
        # the garbage collector's sight, so collections scan only per-request objects.
        gc.collect()
        gc.freeze()
        # A list request makes thousands of short-lived objects: collect the young
        # generation every 10,000 allocations rather than 700 (measured: REST list p50
        # 8.9 -> 7.5 ms in-process, p99 14 -> 9.4 ms).
        gc.set_threshold(10_000, 10, 10)
        async with embedded_worker(services):  # background work, unless said otherwise
            yield
        await services.jobs.close()
        await services.limiter.close()
        await services.db.dispose()

    schema = build_schema()
    graphql = GraphQLEndpoint(
        services,
        schema,
        ide=services.settings.graphiql,
        introspection=services.settings.introspection,
    )
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/graphiql/assets/{name}", graphiql.asset),
            Mount("/api/v1", app=RestApp(services, ROUTES)),
            Route("/webhooks/stripe", StripeWebhook(services), methods=["POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        middleware=middleware(services.settings),
        exception_handlers={404: not_found, 405: not_allowed},
        lifespan=lifespan,
    )
    app.state.services = services
    return app
