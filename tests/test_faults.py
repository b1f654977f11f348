"""Faults: an unreachable database answers 503 quickly (never a hang), a database that
drops its connections mid-run answers 503 and then recovers without a restart."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text

from invoiceflow.app import create_app
from invoiceflow.db import Database
from invoiceflow.ratelimit import RateLimiter
from invoiceflow.resolvers import customers
from invoiceflow.services import Services
from invoiceflow.settings import Settings
from tests.conftest import PG_ADMIN_DSN, Api

KEY = "Bearer ifk_a-well-formed-key-for-an-unreachable-database"


def unreachable_url(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'missing-dir' / 'db.sqlite'}"
    return "postgresql+asyncpg://postgres@127.0.0.1:1/test"  # nothing listens on port 1


async def _sqlite_threads_settled(wait: float = 2.0) -> None:
    """Let aiosqlite's connection threads of the failed connects finish before this test's
    event loop closes: a thread that answers a closed loop raises in the thread, and pytest
    reports that against whichever test runs next."""
    threads = [t for t in threading.enumerate() if "_connection_worker_thread" in t.name]
    deadline = time.monotonic() + wait

    def join() -> None:
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    await asyncio.to_thread(join)


async def test_unreachable_database_is_a_quick_503(backend: str, tmp_path: Path) -> None:
    # given
    url = unreachable_url(backend, tmp_path)
    settings = Settings(database_url=url, db_timeout=2.0)
    services = Services(
        settings=settings, db=Database.from_url(url, timeout=2.0), limiter=RateLimiter("100/minute")
    )
    transport = httpx.ASGITransport(app=create_app(services=services))
    started = time.monotonic()
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            # when
            rest = await http.get("/api/v1/invoices", headers={"Authorization": KEY})
            graphql = await http.post(
                "/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": KEY}
            )
            ready = await http.get("/readyz")
            alive = await http.get("/healthz")
    finally:
        await services.db.dispose()
        await _sqlite_threads_settled()
    # then
    assert time.monotonic() - started < 15
    assert rest.status_code == 503
    assert rest.json() == {
        "success": False,
        "error": "service_unavailable",
        "message": rest.json()["message"],
    }
    assert graphql.status_code == 503
    assert graphql.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert ready.status_code == 503 and ready.json()["error"] == "service_unavailable"
    assert alive.status_code == 200


@pytest.mark.postgres_only
async def test_connections_killed_mid_run_then_recovery(
    alice: Api, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a list request that is busy in the database when its connection is killed
    await alice.create_customer()
    original = customers.paginate

    async def slow(session: Any, *args: Any, **kwargs: Any) -> Any:
        await session.execute(text("SELECT pg_sleep(2)"))
        return await original(session, *args, **kwargs)

    monkeypatch.setattr(customers, "paginate", slow)
    database = services.db.engine.url.database

    async def kill_backends() -> None:
        await asyncio.sleep(0.5)
        admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                database,
            )
        finally:
            await admin.close()

    # when
    during, _ = await asyncio.gather(alice.get("/customers"), kill_backends())
    monkeypatch.setattr(customers, "paginate", original)
    after = await alice.get("/customers")
    # then
    assert during.status_code == 503, during.text
    assert during.json()["error"] == "service_unavailable"
    assert after.status_code == 200
    assert len(after.json()["data"]) == 1
