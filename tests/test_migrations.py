"""Migrations: empty -> head -> base -> head on SQLite and PostgreSQL, matching the models."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from invoiceflow import migrate
from invoiceflow.db import make_engine
from invoiceflow.migrate import include_object
from invoiceflow.models import metadata

MODEL_TABLES = {table.name for table in metadata.sorted_tables}


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"


def _head() -> str:
    head = ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def _schema(url: str) -> tuple[set[str], list[str], list[object]]:
    """(tables, alembic versions, differences between the database and the models)."""

    def read(conn: Connection) -> tuple[set[str], list[str], list[object]]:
        tables = set(inspect(conn).get_table_names())
        versions: list[str] = []
        if "alembic_version" in tables:
            versions = [
                row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")
            ]
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_object}
        )
        diff = compare_metadata(context, metadata) if tables - {"alembic_version"} else []
        return tables, versions, diff

    async def run() -> tuple[set[str], list[str], list[object]]:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(read)
        finally:
            await engine.dispose()

    return asyncio.run(run())


# The job queue's tables on PostgreSQL: Procrastinate's (migration 0012), not models.
QUEUE_TABLES = {
    "procrastinate_events",
    "procrastinate_jobs",
    "procrastinate_periodic_defers",
    "procrastinate_workers",
}


def _round_trip(url: str) -> None:
    queue = set() if url.startswith("sqlite") else QUEUE_TABLES
    # given: an empty database
    tables, versions, _ = _schema(url)
    assert tables == set()
    # when
    migrate.upgrade(url)
    # then: every model table exists, exactly as the models describe it
    tables, versions, diff = _schema(url)
    assert tables == MODEL_TABLES | queue | {"alembic_version"}
    assert versions == [_head()]
    assert diff == []
    # when
    migrate.downgrade(url)
    # then: nothing is left but alembic's own bookkeeping
    tables, versions, _ = _schema(url)
    assert tables - {"alembic_version"} == set()
    assert versions == []
    # when: up again (leftover types, sequences or indexes would break this)
    migrate.upgrade(url)
    # then
    tables, versions, diff = _schema(url)
    assert tables == MODEL_TABLES | queue | {"alembic_version"}
    assert versions == [_head()]
    assert diff == []


def test_migrations_round_trip_on_sqlite(sqlite_url: str) -> None:
    _round_trip(sqlite_url)


def test_migrations_round_trip_on_postgres(empty_pg_url: str) -> None:
    _round_trip(empty_pg_url)


# Rows as they stood before 0007 and 0008: two teams, a customer of team 1 and its documents.
TEAMS_AND_A_CUSTOMER = (
    "INSERT INTO teams (id, name, plan_name, currency, payment_terms_days, invoice_seq, "
    "estimate_seq, created_at, updated_at) VALUES "
    "(1, 'A', 'Free', 'USD', 30, 3, 0, '2025-01-01 00:00:00', '2025-01-01 00:00:00'), "
    "(2, 'B', 'Free', 'USD', 30, 0, 0, '2025-01-01 00:00:00', '2025-01-01 00:00:00')",
    "INSERT INTO customers (id, team_id, company_name, currency, created_at, updated_at) "
    "VALUES (1, 1, 'Acme', 'USD', '2025-01-01 00:00:00', '2025-01-01 00:00:00')",
)
DELETED = "'2025-01-02 00:00:00'"
# Team 1's invoices: three, one of them deleted.
INVOICES = tuple(
    "INSERT INTO invoices (team_id, customer_id, number, invoice_number, status, currency, "
    "issue_date, due_date, subtotal, tax, total, amount_paid, created_at, updated_at, "
    f"deleted_at) VALUES (1, 1, {n}, 'INV-000{n}', 'draft', 'USD', '2025-01-01', "
    f"'2025-01-31', 0, 0, 0, 0, '2025-01-01 00:00:00', '2025-01-01 00:00:00', {deleted})"
    for n, deleted in ((1, "NULL"), (2, DELETED), (3, "NULL"))
)
# Team 1's estimates: four, one of them deleted.
ESTIMATES = tuple(
    "INSERT INTO estimates (team_id, customer_id, number, estimate_number, status, "
    "currency, issue_date, subtotal, tax, total, created_at, updated_at, deleted_at) "
    f"VALUES (1, 1, {n}, 'EST-000{n}', 'draft', 'USD', '2025-01-01', 0, 0, 0, "
    f"'2025-01-01 00:00:00', '2025-01-01 00:00:00', {deleted})"
    for n, deleted in ((1, "NULL"), (2, DELETED), (3, "NULL"), (4, "NULL"))
)


def _kept_counts_after(
    url: str, before: str, rows: tuple[str, ...], count: str
) -> list[tuple[int, int]]:
    """Migrate to ``before``, write ``rows``, migrate to head: each team's ``count``."""

    async def run(statements: tuple[str, ...], read: bool) -> list[tuple[int, int]]:
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:
                for statement in statements:
                    await conn.execute(text(statement))
                if read:
                    found = await conn.execute(text(f"SELECT id, {count} FROM teams"))
                    return sorted((int(team), int(live)) for team, live in found.all())
            return []
        finally:
            await engine.dispose()

    migrate.upgrade(url, before)
    asyncio.run(run(TEAMS_AND_A_CUSTOMER + rows, read=False))
    migrate.upgrade(url)
    return asyncio.run(run((), read=True))


def test_0007_counts_each_teams_live_invoices_on_sqlite(sqlite_url: str) -> None:
    assert _kept_counts_after(sqlite_url, "0006", INVOICES, "live_invoices") == [(1, 2), (2, 0)]


def test_0007_counts_each_teams_live_invoices_on_postgres(empty_pg_url: str) -> None:
    found = _kept_counts_after(empty_pg_url, "0006", INVOICES, "live_invoices")
    assert found == [(1, 2), (2, 0)]


def test_0008_counts_each_teams_live_estimates_on_sqlite(sqlite_url: str) -> None:
    found = _kept_counts_after(sqlite_url, "0007", ESTIMATES, "live_estimates")
    assert found == [(1, 3), (2, 0)]


def test_0008_counts_each_teams_live_estimates_on_postgres(empty_pg_url: str) -> None:
    found = _kept_counts_after(empty_pg_url, "0007", ESTIMATES, "live_estimates")
    assert found == [(1, 3), (2, 0)]


def _read_after(url: str, before: str, rows: tuple[str, ...], query: str) -> list[tuple[int, ...]]:
    """Migrate to ``before``, write ``rows``, migrate to head, then read ``query``."""

    async def run(statements: tuple[str, ...], read: str | None) -> list[tuple[int, ...]]:
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:
                for statement in statements:
                    await conn.execute(text(statement))
                if read is None:
                    return []
                return [tuple(int(v) for v in row) for row in (await conn.execute(text(read)))]
        finally:
            await engine.dispose()

    migrate.upgrade(url, before)
    asyncio.run(run(TEAMS_AND_A_CUSTOMER + rows, None))
    migrate.upgrade(url)
    return asyncio.run(run((), query))


# Two invoices as they stood before 0009: one paid in part (totals as SQLite stores them, in
# cents; PostgreSQL's NUMERIC is given the same cents and read back times 100).
PAID_IN_PART = tuple(
    "INSERT INTO invoices (team_id, customer_id, number, invoice_number, status, currency, "
    "issue_date, due_date, subtotal, tax, total, amount_paid, created_at, updated_at) VALUES "
    f"(1, 1, {n}, 'INV-000{n}', '{status}', 'USD', '2025-01-01', '2025-01-31', "
    f"{{total}}, 0, {{total}}, {{paid}}, '2025-01-01 00:00:00', '2025-01-01 00:00:00')"
    for n, status in ((1, "partial"), (2, "sent"))
)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_0009_keeps_every_amount_and_overpays_nothing(
    backend: str, request: pytest.FixtureRequest
) -> None:
    # given: 600000 cents with 100000 paid, and 1234 cents with nothing paid
    sqlite = backend == "sqlite"
    url = request.getfixturevalue("sqlite_url" if sqlite else "empty_pg_url")
    scale = 1 if sqlite else 100  # SQLite keeps cents; PostgreSQL the amount itself
    rows = (
        PAID_IN_PART[0].format(total=600000 / scale, paid=100000 / scale),
        PAID_IN_PART[1].format(total=1234 / scale, paid=0),
    )
    read = "SELECT number, total * {s}, amount_paid * {s}, amount_overpaid * {s} FROM invoices"
    # when
    found = _read_after(url, "0008", rows, read.format(s=scale) + " ORDER BY number")
    # then
    assert found == [(1, 600000, 100000, 0), (2, 1234, 0, 0)]
