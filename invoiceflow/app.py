"""The Starlette app: /graphql, /api/v1, health; one Services object per process."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlmodel import SQLModel
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from invoiceflow import graphiql
from invoiceflow.admission import Admission
from invoiceflow.db import Database
from invoiceflow.http import RequestLogMiddleware, json_response
from invoiceflow.mailer import SmtpMailer
from invoiceflow.ratelimit import RateLimiter
from invoiceflow.resolvers.effects import Effects
from invoiceflow.resolvers.errors import MethodNotAllowed, NotFound, ServiceUnavailable
from invoiceflow.rest_compat.dispatch import RestApp, error_response
from invoiceflow.rest_compat.routes import ROUTES
from invoiceflow.schema import build_schema
from invoiceflow.schema.http import GraphQLEndpoint
from invoiceflow.settings import Settings, get_settings
from invoiceflow.stripe_gateway import StripeGateway
from invoiceflow.stripe_webhook import StripeWebhook

log = logging.getLogger("invoiceflow")


class DatabaseJournal:
    """Keeps a row in a transaction of its own (a failed delivery outlives its request)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, row: SQLModel) -> None:
        async with self.db.write_sessions.begin() as session:
            session.add(row)


@dataclass
class Services:
    """What requests share within one process."""

    settings: Settings
    db: Database
    limiter: RateLimiter
    effects: Effects = field(init=False)
    admission: Admission = field(init=False)

    def __post_init__(self) -> None:
        settings = self.settings
        self.admission = Admission(settings.concurrent_requests, settings.db_timeout)
        self.effects = Effects(
            mailer=SmtpMailer(settings.smtp_url, settings.mail_from),
            payments=StripeGateway(settings.stripe_api_key, settings.stripe_api_base),
            journal=DatabaseJournal(self.db),
            public_url=settings.public_url.rstrip("/"),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        return cls(
            settings=settings,
            db=Database.from_url(
                settings.database_url,
                timeout=settings.db_timeout,
                pool_size=settings.db_pool_size,
            ),
            limiter=RateLimiter(settings.rate_limit, settings.redis_url),
        )


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
        yield
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
