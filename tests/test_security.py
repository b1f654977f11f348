"""Security hygiene: headers on every response, CORS off unless configured, keys never
stored or compared in plain text."""

from __future__ import annotations

import hashlib

import httpx
from sqlalchemy import select

from invoiceflow.app import create_app
from invoiceflow.db import Database
from invoiceflow.models import ApiKey
from invoiceflow.ratelimit import RateLimiter
from invoiceflow.services import Services
from invoiceflow.settings import Settings
from tests.conftest import Api


async def test_security_headers_on_api_and_graphiql(alice: Api, client: httpx.AsyncClient) -> None:
    # when
    api = await alice.get("/invoices")
    missing = await client.get("/nowhere")
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    # then
    for response in (api, missing, page):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "Content-Security-Policy" not in api.headers


async def test_cors_is_off_by_default(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/graphql",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in response.headers


async def test_cors_allows_configured_origins_only(database_url: str) -> None:
    settings = Settings(database_url=database_url, cors_origins="https://app.example")
    services = Services(
        settings=settings, db=Database.from_url(database_url), limiter=RateLimiter("100/minute")
    )
    transport = httpx.ASGITransport(app=create_app(services=services))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            preflight = {"Access-Control-Request-Method": "POST"}
            allowed = await http.options(
                "/graphql", headers={"Origin": "https://app.example", **preflight}
            )
            refused = await http.options(
                "/graphql", headers={"Origin": "https://evil.example", **preflight}
            )
    finally:
        await services.db.dispose()
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-origin" not in refused.headers


async def test_keys_are_stored_only_as_hashes(alice: Api, services: Services) -> None:
    async with services.db.read_sessions() as session:
        rows = (await session.execute(select(ApiKey))).scalars().all()
    stored = {value for row in rows for value in (row.key_hash, row.prefix, row.name)}
    assert alice.key not in stored
    assert hashlib.sha256(alice.key.encode()).hexdigest() in stored
    assert any(alice.key.startswith(row.prefix) and len(row.prefix) < 16 for row in rows)
