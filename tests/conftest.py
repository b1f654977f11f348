"""Test fixtures: a real database per test (SQLite always, PostgreSQL when reachable),
the ASGI app over httpx, and helpers that read like the API's own examples.

PostgreSQL: one fresh database per run (migrated once, truncated between tests, dropped at
the end). Under CI=true an unreachable PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import Integer, event

from invoiceflow import fast, migrate
from invoiceflow.app import create_app
from invoiceflow.db import Database
from invoiceflow.models import metadata
from invoiceflow.ratelimit import RateLimiter
from invoiceflow.resolvers.api_keys import provision
from invoiceflow.services import Services
from invoiceflow.settings import Settings

PG_ADMIN_DSN = os.environ.get("INVOICEFLOW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
# Both, unless INVOICEFLOW_TEST_BACKENDS names fewer (`make test`'s run without the fast paths
# is SQLite's alone).
BACKENDS = [
    b for b in os.environ.get("INVOICEFLOW_TEST_BACKENDS", "sqlite,postgres").split(",") if b
]


def _async_url(dsn: str) -> str:
    return dsn.replace("postgresql://", "postgresql+asyncpg://", 1)


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to head once; every test gets its own copy."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@contextmanager
def fresh_pg_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database (its async URL), dropped on the way out. Skips the
    test when PostgreSQL is unreachable; under CI=true that fails it instead."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    try:
        yield _async_url(f"{base}/{name}")
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, migrated to head, dropped afterwards."""
    with fresh_pg_database("invoiceflow_test") as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture
def empty_pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database of the test's own, dropped afterwards."""
    with fresh_pg_database("invoiceflow_empty") as url:
        yield url


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """With the fast paths off, the tests of a fast path itself have nothing to test."""
    if fast.ON:
        return
    skip = pytest.mark.skip(reason="INVOICEFLOW_FAST_PATHS=off: a test of a fast path itself")
    for item in items:
        if item.get_closest_marker("fast_paths") is not None:
            item.add_marker(skip)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    marker = request.node.get_closest_marker("postgres_only")
    if marker is not None and request.param != "postgres":
        pytest.skip("PostgreSQL only")
    return str(request.param)


@pytest.fixture
def database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> str:
    if backend == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    return str(request.getfixturevalue("pg_url"))


def _empty_postgres() -> str:
    """Every table emptied, children first, and its ids restarted at 1, in one round trip:
    about 2 ms, where TRUNCATE ... RESTART IDENTITY CASCADE took 80-120 ms per test."""
    # the job queue's rows (Procrastinate's tables, migration 0012) first, then ours
    queue = [
        f"DELETE FROM {t};"
        for t in ("procrastinate_events", "procrastinate_periodic_defers",
                  "procrastinate_jobs", "procrastinate_workers")
    ]  # fmt: skip
    deletes = queue + [f'DELETE FROM "{t.name}";' for t in reversed(metadata.sorted_tables)]
    restarts = [
        f"PERFORM setval(pg_get_serial_sequence('\"{t.name}\"', '{c.name}'), 1, false);"
        for t in metadata.sorted_tables
        for c in t.primary_key.columns
        if isinstance(c.type, Integer)
    ]
    return "DO $$ BEGIN " + " ".join(deletes + restarts) + " END $$"


_EMPTY_POSTGRES = _empty_postgres()


async def empty_postgres(db: Database) -> None:
    """The run's PostgreSQL database as new: other tests leave their rows behind."""
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql(_EMPTY_POSTGRES)


@asynccontextmanager
async def services_on(database_url: str, **settings: Any) -> AsyncIterator[Services]:
    """Services on a fresh copy of the run's database, with ``settings`` over the tests'."""
    configured = Settings(database_url=database_url, rate_limit="10000/minute", **settings)
    db = Database.from_url(database_url)
    if not database_url.startswith("sqlite"):
        await empty_postgres(db)
    services = Services(settings=configured, db=db, limiter=RateLimiter(configured.rate_limit))
    try:
        yield services
    finally:
        await services.jobs.close()
        await db.dispose()


@pytest.fixture
async def services(database_url: str) -> AsyncIterator[Services]:
    async with services_on(database_url) as made:
        yield made


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(services=services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


class Statements:
    """Counts the SQL statements a block runs (BEGIN/COMMIT/ROLLBACK/SAVEPOINT excluded)."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        head = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        if head not in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"):
            self.sql.append(statement)

    @property
    def count(self) -> int:
        return len(self.sql)


@pytest.fixture
def statements(services: Services) -> Iterator[Statements]:
    counter = Statements()
    sync_engine = services.db.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", counter)
    yield counter
    event.remove(sync_engine, "before_cursor_execute", counter)


class Api:
    """One caller (an API key) speaking REST and GraphQL."""

    def __init__(self, http: httpx.AsyncClient, key: str) -> None:
        self.http = http
        self.key = key
        self.headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.http.request(method, f"/api/v1{path}", headers=headers, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, json=json, **kwargs)

    async def put(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", path, json=json, **kwargs)

    async def patch(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", path, json=json, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", path, **kwargs)

    async def graphql_response(
        self, query: str, variables: dict[str, Any] | None = None
    ) -> httpx.Response:
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=self.headers
        )

    async def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The JSON body of a GraphQL call (``data`` and maybe ``errors``)."""
        response = await self.graphql_response(query, variables)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def create_customer(self, **fields: Any) -> dict[str, Any]:
        body = {"company_name": "Acme Corp", **fields}
        response = await self.post("/customers", body)
        assert response.status_code == 201, response.text
        return dict(response.json()["data"])

    async def create_invoice(self, customer_id: int, **fields: Any) -> dict[str, Any]:
        body = {
            "customer_id": customer_id,
            "issue_date": "2025-01-15",
            "due_date": "2025-02-15",
            "items": [{"description": "Web Development", "quantity": 40, "unit_price": 150}],
            **fields,
        }
        response = await self.post("/invoices", body)
        assert response.status_code == 201, response.text
        return dict(response.json()["data"])


class KeyFactory:
    """Creates users, teams and keys the way ``invoiceflow create-api-key`` does."""

    def __init__(self, services: Services, http: httpx.AsyncClient) -> None:
        self.services = services
        self.http = http

    async def key(self, email: str, team: str, role: str = "admin") -> str:
        async with self.services.db.write_sessions.begin() as session:
            _user, _team, plain = await provision(
                session=session, email=email, team_name=team, role=role
            )
        return plain

    async def api(self, email: str, team: str, role: str = "admin") -> Api:
        return Api(self.http, await self.key(email, team, role))


@pytest.fixture
def keys(services: Services, client: httpx.AsyncClient) -> KeyFactory:
    return KeyFactory(services, client)


@pytest.fixture
async def alice(keys: KeyFactory) -> Api:
    """The owner (admin) of team A."""
    return await keys.api("alice@a.example", "Team A")


@pytest.fixture
async def bob(keys: KeyFactory) -> Api:
    """The owner of team B: never sees anything of team A."""
    return await keys.api("bob@b.example", "Team B")


@pytest.fixture
async def viewer(keys: KeyFactory, alice: Api) -> Api:
    """A viewer in team A (alice's team already exists)."""
    return await keys.api("vera@a.example", "Team A", role="viewer")
