"""Batch reads for lists come back as read-only rows: the model's attribute names and values,
the tenant filter applied, nothing tracked by the session."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg
from sqlalchemy.dialects.sqlite import aiosqlite as sqlite_aiosqlite

from invoiceflow.app import Services
from invoiceflow.auth import authenticate
from invoiceflow.models import InvoiceItem
from invoiceflow.models.sql import columns_of
from invoiceflow.models.types import Money, StoredMoney
from invoiceflow.resolvers.customers import customers_by_ids
from invoiceflow.resolvers.invoices import INVOICE_COLUMNS, items_by_invoice_ids
from tests.conftest import Api


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
