"""Batch reads for lists come back as read-only rows: the model's attribute names and values,
the tenant filter applied, nothing tracked by the session."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg
from sqlalchemy.dialects.sqlite import aiosqlite as sqlite_aiosqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import col

from invoiceflow.auth import authenticate
from invoiceflow.models import Customer, Invoice, InvoiceItem, sql
from invoiceflow.models.sql import columns_of
from invoiceflow.models.types import Money, StoredMoney
from invoiceflow.resolvers.customers import customers_by_ids
from invoiceflow.resolvers.invoices import INVOICE_COLUMNS, find_invoice, items_by_invoice_ids
from invoiceflow.resolvers.payments import payments_by_customer_ids, payments_by_invoice_ids
from invoiceflow.services import Services
from tests.conftest import Api, Statements


async def test_customers_by_ids_are_rows_of_the_callers_team(
    services: Services, alice: Api, bob: Api
) -> None:
    acme = await alice.create_customer(company_name="Acme", email="ap@acme.example")
    globex = await alice.create_customer(company_name="Globex", city="Springfield")
    stranger = await bob.create_customer(company_name="Initech")
    ids = [globex["id"], stranger["id"], acme["id"], globex["id"]]
    async with services.db.read_sessions() as session:
        principal = await authenticate(session, f"Bearer {alice.key}")
        found = await customers_by_ids(session=session, principal=principal, ids=ids)
        assert len(session.identity_map) == 0  # read, not loaded into the session
    assert [c and c.company_name for c in found] == ["Globex", None, "Acme", "Globex"]
    assert found[0].city == "Springfield" and found[2].email == "ap@acme.example"
    assert found[2].created_at.tzinfo is not None
    with pytest.raises(AttributeError):
        found[0].company_name = "changed"  # type: ignore[union-attr]


async def test_invoice_lines_are_rows_at_their_scales(services: Services, alice: Api) -> None:
    customer = await alice.create_customer()
    invoice = await alice.create_invoice(
        customer["id"],
        items=[
            {"description": "Hours", "quantity": "2.5", "unit_price": "99.99", "tax_rate": 10},
            {"description": "Licence", "quantity": 1, "unit_price": 1200},
        ],
    )
    async with services.db.read_sessions() as session:
        principal = await authenticate(session, f"Bearer {alice.key}")
        (lines,) = await items_by_invoice_ids(
            session=session, principal=principal, ids=[invoice["id"]]
        )
        assert len(session.identity_map) == 0
    assert [line.description for line in lines] == ["Hours", "Licence"]
    assert lines[0].quantity == Decimal("2.5000") and str(lines[0].amount) == "249.98"
    assert str(lines[0].tax_amount) == "25.00"
    assert str(lines[1].quantity) == "1.0000" and str(lines[1].tax_amount) == "0.00"


async def test_payments_are_rows_of_the_callers_team_by_invoice_and_by_customer(
    services: Services, alice: Api, bob: Api
) -> None:
    customer = await alice.create_customer()
    invoice = await alice.create_invoice(
        customer["id"], items=[{"description": "Work", "quantity": 1, "unit_price": "500"}]
    )
    assert (await alice.patch(f"/invoices/{invoice['id']}", {"status": "sent"})).status_code == 200
    for amount, reference in (("100.5", "first"), ("50", "second")):
        paid = await alice.post(
            f"/invoices/{invoice['id']}/payments",
            {"amount": amount, "paid_at": "2025-01-20", "reference": reference},
        )
        assert paid.status_code == 201, paid.text
    async with services.db.read_sessions() as session:
        mine = await authenticate(session, f"Bearer {alice.key}")
        theirs = await authenticate(session, f"Bearer {bob.key}")
        (by_invoice,) = await payments_by_invoice_ids(
            session=session, principal=mine, ids=[invoice["id"]]
        )
        (by_customer,) = await payments_by_customer_ids(
            session=session, principal=mine, ids=[customer["id"]]
        )
        (none,) = await payments_by_invoice_ids(
            session=session, principal=theirs, ids=[invoice["id"]]
        )
        assert len(session.identity_map) == 0
    assert none == []
    for payments in (by_invoice, by_customer):  # newest first
        assert [p.reference for p in payments] == ["second", "first"]
        assert [str(p.amount) for p in payments] == ["50.00", "100.50"]
        assert payments[0].invoice_id == invoice["id"] and payments[0].method == "other"
        assert payments[0].created_at.tzinfo is not None
        with pytest.raises(AttributeError):
            payments[0].amount = Decimal(0)  # type: ignore[misc]


async def test_an_invoice_read_by_id_is_a_row_with_the_models_values(
    services: Services, alice: Api, bob: Api
) -> None:
    customer = await alice.create_customer()
    invoice = await alice.create_invoice(customer["id"], notes="Thanks")
    async with services.db.read_sessions() as session:
        mine = await authenticate(session, f"Bearer {alice.key}")
        theirs = await authenticate(session, f"Bearer {bob.key}")
        row = await find_invoice(session=session, principal=mine, invoice_id=invoice["id"])
        stranger = await find_invoice(session=session, principal=theirs, invoice_id=invoice["id"])
        assert len(session.identity_map) == 0
        model = await find_invoice(
            session=session, principal=mine, invoice_id=invoice["id"], for_update=True
        )
    assert stranger is None and row is not None and model is not None
    for name in (*Invoice.model_fields, "balance_due"):
        assert getattr(row, name) == getattr(model, name), name


def test_lean_money_columns_skip_the_quantize_only_where_the_column_keeps_its_scale() -> None:
    """A plain NUMERIC(p, s) column comes back from PostgreSQL at scale s: a lean read takes
    asyncpg's Decimal as it is. SQLite's scaled integers are still scaled; an expression
    (``balance_due``) keeps Money's quantize."""
    columns = {column.key: column for column in INVOICE_COLUMNS}
    quantity = {c.key: c for c in columns_of(InvoiceItem)}["quantity"]
    postgres, sqlite = pg_asyncpg.dialect(), sqlite_aiosqlite.dialect()
    numeric = 1700  # PostgreSQL's NUMERIC, as asyncpg describes the column
    assert isinstance(quantity.type, StoredMoney) and quantity.type.scale == 4
    assert quantity.type.result_processor(postgres, numeric) is None
    assert Money(4).result_processor(postgres, numeric)(Decimal("2.5")) == Decimal("2.5000")
    assert str(quantity.type.result_processor(sqlite, None)(25000)) == "2.5000"
    assert isinstance(columns["total"].type, StoredMoney)
    assert type(columns["balance_due"].type) is Money


async def test_a_create_builds_no_statement_of_its_own(alice: Api, statements: Statements) -> None:
    """The INSERTs a create runs are built once (per table and columns answered): building
    one cost about as much as running it."""
    customer = await alice.create_customer()
    await alice.create_invoice(customer["id"])  # the first create builds them
    before = sql._insert_statement.cache_info()
    statements.sql.clear()
    await alice.create_invoice(customer["id"])
    after = sql._insert_statement.cache_info()
    inserts = sum(s.lstrip().startswith("INSERT INTO invoice") for s in statements.sql)
    assert inserts == 2, statements.sql  # the invoice, its lines (and its event, apart)
    assert (after.misses, after.hits) == (before.misses, before.hits + inserts)


@pytest.mark.fast_paths
async def test_a_transaction_is_asked_for_its_connection_once(
    services: Services, alice: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lean reads ask the session for its connection once per transaction (each ask is a
    greenlet hop through the ORM), and a new transaction's reads run on its own."""
    customer = await alice.create_customer(company_name="Acme")
    asked: list[AsyncConnection] = []
    ask = AsyncSession.connection

    async def counted(self: AsyncSession, *args: Any, **kwargs: Any) -> AsyncConnection:
        asked.append(await ask(self, *args, **kwargs))
        return asked[-1]

    monkeypatch.setattr(AsyncSession, "connection", counted)
    async with services.db.write_sessions() as session:
        principal = await authenticate(session, f"Bearer {alice.key}")
        for _ in range(3):
            (found,) = await customers_by_ids(
                session=session, principal=principal, ids=[customer["id"]]
            )
        assert found is not None and found.company_name == "Acme"
        assert len(asked) == 1
        await session.execute(
            update(Customer).where(col(Customer.id) == customer["id"]).values(company_name="Acme 2")
        )
        (found,) = await customers_by_ids(
            session=session, principal=principal, ids=[customer["id"]]
        )
        assert found is not None and found.company_name == "Acme 2"  # the same transaction
        await session.commit()
        # given a new transaction, when it reads, then it asks again (and sees the commit)
        (found,) = await customers_by_ids(
            session=session, principal=principal, ids=[customer["id"]]
        )
        assert found is not None and found.company_name == "Acme 2"
        assert len(asked) == 2 and asked[1] is not asked[0]
