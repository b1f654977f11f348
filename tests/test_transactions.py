"""One request, one transaction: a request that fails half-way leaves nothing behind."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlmodel import col

from invoiceflow.db import Database
from invoiceflow.models import Invoice, InvoiceItem, Team
from invoiceflow.resolvers import invoices
from invoiceflow.services import Services
from tests.conftest import Api

CREATE_INVOICE = """
mutation ($input: InvoiceInput!) { createInvoice(input: $input) { id invoiceNumber } }
"""
SECRET = "half-way-failure-7f3a"


async def counts(services: Services) -> tuple[int, int, int]:
    """(invoice rows, item rows, team A's invoice counter), its count of live invoices
    checked against the rows."""
    async with services.db.read_sessions() as session:
        rows = await session.scalar(select(func.count()).select_from(Invoice))
        items = await session.scalar(select(func.count()).select_from(InvoiceItem))
        seq, live = (
            await session.execute(
                select(col(Team.invoice_seq), col(Team.live_invoices)).where(
                    col(Team.name) == "Team A"
                )
            )
        ).one()
    assert live == rows  # nothing here deletes
    return int(rows or 0), int(items or 0), int(seq or 0)


@pytest.fixture
def fail_after_items(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make create_invoice fail once its number is taken and its rows are flushed."""
    real = invoices.store_lines
    calls: list[int] = []

    async def write_then_fail(*args: Any, **kwargs: Any) -> Any:
        await real(*args, **kwargs)  # the invoice, its lines and the number are in the session
        calls.append(1)
        raise RuntimeError(SECRET)

    monkeypatch.setattr(invoices, "store_lines", write_then_fail)
    return calls


async def test_failed_rest_create_writes_nothing(
    alice: Api, services: Services, fail_after_items: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    customer = await alice.create_customer()
    # when
    failed = await alice.post(
        "/invoices",
        {
            "customer_id": customer["id"],
            "items": [{"description": "Design", "quantity": 3, "unit_price": 100}],
        },
    )
    # then
    assert fail_after_items == [1]  # it really failed after the writes, not before
    assert failed.status_code == 500, failed.text
    assert failed.json() == {
        "success": False,
        "error": "server_error",
        "message": "Something went wrong on our side.",
    }
    assert await counts(services) == (0, 0, 0)
    # and when: the next create succeeds, it takes the number given back
    monkeypatch.undo()
    created = await alice.create_invoice(customer["id"])
    assert created["invoice_number"] == "INV-0001"
    assert await counts(services) == (1, 1, 1)


async def test_failed_graphql_create_writes_nothing(
    alice: Api, services: Services, fail_after_items: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    customer = await alice.create_customer()
    variables = {
        "input": {
            "customerId": str(customer["id"]),
            "items": [{"description": "Design", "quantity": "3", "unitPrice": "100"}],
        }
    }
    # when
    failed = await alice.graphql(CREATE_INVOICE, variables)
    # then
    assert fail_after_items == [1]
    assert failed["data"] is None
    assert failed["errors"][0]["extensions"]["code"] == "SERVER_ERROR"
    assert SECRET not in str(failed)
    assert await counts(services) == (0, 0, 0)
    # and when
    monkeypatch.undo()
    created = await alice.graphql(CREATE_INVOICE, variables)
    assert created["data"]["createInvoice"]["invoiceNumber"] == "INV-0001"
    assert await counts(services) == (1, 1, 1)


async def test_failed_update_keeps_the_invoice_as_it_was(
    alice: Api, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    customer = await alice.create_customer()
    invoice = await alice.create_invoice(customer["id"], notes="before")
    before = (await alice.get(f"/invoices/{invoice['id']}")).json()["data"]
    real = invoices._replace_items

    async def write_then_fail(*args: Any, **kwargs: Any) -> Any:
        await real(*args, **kwargs)
        raise RuntimeError(SECRET)

    monkeypatch.setattr(invoices, "_replace_items", write_then_fail)
    # when
    failed = await alice.patch(
        f"/invoices/{invoice['id']}",
        {"notes": "after", "items": [{"description": "Other", "quantity": 1, "unit_price": 1}]},
    )
    # then
    assert failed.status_code == 500, failed.text
    monkeypatch.undo()
    after = (await alice.get(f"/invoices/{invoice['id']}")).json()["data"]
    assert after == before
    assert await counts(services) == (1, 1, 1)


async def _in_transaction(session: Any) -> bool:
    await session.execute(select(1))
    driver = (await (await session.connection()).get_raw_connection()).driver_connection
    if hasattr(driver, "is_in_transaction"):  # asyncpg
        return bool(driver.is_in_transaction())
    return bool(driver._conn.in_transaction)  # aiosqlite's sqlite3 connection


async def test_writes_run_in_a_transaction_and_reads_where_it_gives_a_snapshot(
    services: Services, backend: str
) -> None:
    async with services.db.write_sessions() as session:
        assert await _in_transaction(session)
        await session.rollback()
    async with services.db.read_sessions() as session:
        # SQLite: one snapshot for the request's statements. PostgreSQL at READ COMMITTED
        # takes a snapshot per statement either way: reads run in autocommit, no BEGIN/COMMIT.
        assert await _in_transaction(session) is (backend == "sqlite")
        await session.rollback()


async def test_one_connection_serves_reads_and_writes_each_as_it_should(
    database_url: str, backend: str
) -> None:
    """A pooled connection goes from a write to a read and back: each checkout runs as its
    session's kind says (on PostgreSQL a read sets its connection to autocommit for the
    checkout, and the pool sets it back when the connection returns)."""
    db = Database.from_url(database_url, pool_size=1)  # one connection for all of them
    try:
        for _ in range(2):
            async with db.write_sessions() as session:
                assert await _in_transaction(session)
                await session.rollback()
            async with db.read_sessions() as session:
                assert await _in_transaction(session) is (backend == "sqlite")
                await session.rollback()
    finally:
        await db.dispose()


async def test_a_read_ends_without_a_commit_where_reads_autocommit(
    services: Services, alice: Api
) -> None:
    """PostgreSQL reads run in autocommit: a read request's session has nothing to commit
    (its end spares the commit's bookkeeping); a write request still commits its work."""
    customer = await alice.create_customer()  # (and the key's first use recorded)
    commits: list[object] = []
    engine = services.db.engine.sync_engine

    def commit(connection: object) -> None:
        commits.append(connection)

    event.listen(engine, "commit", commit)
    try:
        assert (await alice.get(f"/customers/{customer['id']}")).status_code == 200
        listed = await alice.graphql("{ invoices { items { id } } }")
        assert listed["data"]["invoices"]["items"] == []
        read = len(commits)
        changed = await alice.patch(f"/customers/{customer['id']}", {"company_name": "New"})
        assert changed.status_code == 200
        written = len(commits) - read
    finally:
        event.remove(engine, "commit", commit)
    assert (read, written) == ((0, 1) if services.db.reads_autocommit else (2, 1))
    assert services.db.reads_autocommit == (services.db.engine.dialect.name == "postgresql")
