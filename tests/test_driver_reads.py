"""Lean reads that asyncpg runs itself (fast/driver_reads.py) answer what SQLAlchemy's
execution answers: the same rows, names, values and types, in the same transaction, under
the same lock, raising the same errors, counted by the same events."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy import Numeric, bindparam, cast, func, select, text, type_coerce
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from invoiceflow import auth
from invoiceflow.auth import authenticate
from invoiceflow.core.errors import ServiceUnavailable
from invoiceflow.failures import as_domain_error
from invoiceflow.fast import driver_reads
from invoiceflow.models import Invoice, sql
from invoiceflow.models.types import Money
from invoiceflow.resolvers import invoices
from invoiceflow.resolvers.customers import customers_by_ids
from invoiceflow.resolvers.invoices import items_by_invoice_ids
from invoiceflow.resolvers.pagination import _page_statements
from invoiceflow.resolvers.payments import payments_by_invoice_ids
from invoiceflow.rest_compat.shapes.common import CUSTOMER_REF
from invoiceflow.rest_compat.shapes.invoices import INVOICE_SUMMARY
from invoiceflow.services import Services
from tests.catalog_support import sent_invoice
from tests.conftest import PG_ADMIN_DSN, Api, Statements

pytestmark = [pytest.mark.postgres_only, pytest.mark.fast_paths]


async def _by_sqlalchemy(session: AsyncSession, stmt: Any, params: dict[str, Any]) -> list[Any]:
    result = await (await session.connection()).execute(stmt, params)
    make = sql.record_type(tuple(result.keys()))
    return [make(row) for row in result.all()]


async def _planned(session: AsyncSession, stmt: Any, params: dict[str, Any]) -> list[Any]:
    """``stmt``'s rows once it is planned (SQLAlchemy runs it the first two times)."""
    for _ in range(2):
        await sql.lean_rows(session, stmt, params)
    assert isinstance(driver_reads.PLANS.get(stmt), driver_reads.Plan)
    return list(await sql.lean_rows(session, stmt, params))


def _typed(rows: list[Any]) -> list[Any]:
    return [(row._fields, [(type(v), v) for v in row]) for row in rows]


async def _a_paid_invoice(alice: Api) -> dict[str, Any]:
    """A sent invoice of two lines for a customer with a non-ASCII name, partly paid."""
    customer = await alice.create_customer(company_name="Müller & Söhne", email="m@x.example")
    invoice = await sent_invoice(
        alice,
        customer["id"],
        items=[
            {"description": "Hours", "quantity": "2.5", "unit_price": "99.99", "tax_rate": 10},
            {"description": "Licence", "quantity": 1, "unit_price": "1200.10"},
        ],
    )
    paid = await alice.post(
        f"/invoices/{invoice['id']}/payments",
        json={"amount": "100.05", "paid_at": "2026-11-02", "method": "bank_transfer"},
    )
    assert paid.status_code == 201, paid.text
    return invoice


async def test_planned_reads_answer_what_sqlalchemy_answers(services: Services, alice: Api) -> None:
    invoice = await _a_paid_invoice(alice)
    await alice.create_invoice((await alice.create_customer())["id"])  # a draft, no payments
    async with services.db.read_sessions() as session:
        principal = await authenticate(session, f"Bearer {alice.key}")
        page, _, _ = invoices._list_statements(
            None, False, None, False, INVOICE_SUMMARY.reads, CUSTOMER_REF.reads, True
        )
        window, _ = _page_statements(page, None, True, True, None)
        every_column, _, _ = invoices._list_statements(None, False, None, False)
        whole, _ = _page_statements(every_column, None, True, True, None)
        bound = {"team_id": principal.team_id, "today": invoices.today()}
        paged = {**bound, "page_limit": 10, "page_offset": 0}
        for stmt, params in [
            (window, paged),  # floats, dates, timestamps, a joined customer, the total
            (whole, paged),  # every column: exact Decimals at their scales, None values
            (invoices._find_statement(("company_name",)), {**bound, "invoice_id": invoice["id"]}),
            # a money expression, quantized by its result processor, and a money parameter,
            # quantized by its bind processor before the database sees it
            (
                select(
                    type_coerce(col(Invoice.total) / 7, Money()).label("seventh"),
                    cast(bindparam("amount", type_=Money()), Numeric(10, 3)).label("bound"),
                ).where(col(Invoice.id) == bindparam("invoice_id")),
                {"invoice_id": invoice["id"], "amount": Decimal("1.005")},
            ),
        ]:
            expected = await _by_sqlalchemy(session, stmt, params)
            assert expected, stmt
            assert _typed(await _planned(session, stmt, params)) == _typed(expected)
        assert [str(v) for v in expected[0]] == [str(expected[0].seventh), "1.000"]
        assert len(str(expected[0].seventh).split(".")[1]) == 2
        # the loaders' reads, through their resolvers
        ids = [invoice["id"], invoice["id"] + 1000]
        for _ in range(3):
            lines = await items_by_invoice_ids(session=session, principal=principal, ids=ids)
            paid = await payments_by_invoice_ids(session=session, principal=principal, ids=ids)
            found = await customers_by_ids(
                session=session, principal=principal, ids=[invoice["customer_id"], 999]
            )
    assert [str(line.amount) for line in lines[0]] == ["249.98", "1200.10"] and lines[1] == []
    assert lines[0][0].quantity == Decimal("2.5000") and str(lines[0][0].tax_amount) == "25.00"
    assert [str(p.amount) for p in paid[0]] == ["100.05"] and paid[1] == []
    assert paid[0][0].created_at.tzinfo is not None
    assert found[0] is not None and found[0].company_name == "Müller & Söhne"
    assert found[1] is None


async def test_a_planned_read_is_counted_and_sent_by_asyncpg(
    services: Services, alice: Api, statements: Statements, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _a_paid_invoice(alice)
    for _ in range(2):  # SQLAlchemy runs (and so plans) each statement twice
        assert (await alice.get("/invoices?per_page=100")).status_code == 200
    sent: list[str] = []
    original = driver_reads.fetch

    async def spy(plan: driver_reads.Plan, *args: Any) -> list[Any]:
        sent.append(plan.sql)
        return await original(plan, *args)

    monkeypatch.setattr(driver_reads, "fetch", spy)
    before = statements.count
    response = await alice.get("/invoices?per_page=100")
    assert response.status_code == 200
    assert response.json()["data"][0]["customer"]["name"] == "Müller & Söhne"
    # the key's lookup and the page: both by asyncpg, both counted
    assert statements.count - before == 2 == len(sent)
    assert statements.sql[-2:] == sent


async def test_a_planned_read_sees_its_own_transaction(services: Services, alice: Api) -> None:
    customer = await alice.create_customer(company_name="Before")
    ids = [customer["id"]]
    async with services.db.read_sessions() as session:
        principal = await authenticate(session, f"Bearer {alice.key}")
        for _ in range(3):
            await customers_by_ids(session=session, principal=principal, ids=ids)
    async with services.db.write_sessions() as session:
        principal = await authenticate(session, f"Bearer {alice.key}")  # begins it
        await session.execute(
            text("UPDATE customers SET company_name = 'Inside' WHERE id = :id"),
            {"id": customer["id"]},
        )
        (inside,) = await customers_by_ids(session=session, principal=principal, ids=ids)
        await session.rollback()
    async with services.db.read_sessions() as session:
        (after,) = await customers_by_ids(session=session, principal=principal, ids=ids)
    assert inside.company_name == "Inside"  # the uncommitted write, read in its transaction
    assert after.company_name == "Before"


async def test_concurrent_reads_on_one_session_take_turns(services: Services, alice: Api) -> None:
    invoice = await _a_paid_invoice(alice)
    async with services.db.read_sessions() as session:
        principal = await authenticate(session, f"Bearer {alice.key}")
        ids = [invoice["id"]]
        for _ in range(2):
            await items_by_invoice_ids(session=session, principal=principal, ids=ids)
            await payments_by_invoice_ids(session=session, principal=principal, ids=ids)
        # planned reads and SQLAlchemy's own statement, all at once on one connection
        by = {"session": session, "principal": principal, "ids": ids}
        found = await asyncio.gather(
            *(items_by_invoice_ids(**by) for _ in range(5)),
            *(payments_by_invoice_ids(**by) for _ in range(5)),
            session.execute(select(func.pg_sleep(0.01))),
        )
    assert all(len(lines[0]) == 2 for lines in found[:5])
    assert all(len(paid[0]) == 1 for paid in found[5:10])


async def test_errors_are_raised_as_sqlalchemy_raises_them(services: Services, alice: Api) -> None:
    slow = select(func.pg_sleep(text(":seconds")).label("slept"))
    async with services.db.read_sessions() as session:
        for _ in range(2):
            await sql.lean_rows(session, slow, {"seconds": 0})
        assert isinstance(driver_reads.PLANS.get(slow), driver_reads.Plan)
        await (await session.connection()).exec_driver_sql("SET statement_timeout = 50")
        try:
            with pytest.raises(sa_exc.DBAPIError) as planned:
                await sql.lean_rows(session, slow, {"seconds": 1})
            with pytest.raises(sa_exc.DBAPIError) as by_sqlalchemy:
                await (await session.connection()).execute(slow, {"seconds": 1})
        finally:
            await (await session.connection()).exec_driver_sql("RESET statement_timeout")
    assert type(planned.value) is type(by_sqlalchemy.value)
    assert type(planned.value.orig) is type(by_sqlalchemy.value.orig)
    assert isinstance(planned.value.orig.__cause__, asyncpg.QueryCanceledError)


async def test_a_lost_connection_is_invalidated_and_answers_503(
    services: Services, alice: Api
) -> None:
    await _a_paid_invoice(alice)
    for _ in range(2):
        assert (await alice.get("/invoices")).status_code == 200
    async with services.db.read_sessions() as session:
        connection = await session.connection()
        pid = await (await connection.get_raw_connection()).driver_connection.fetchval(
            "SELECT pg_backend_pid()"
        )
        admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        await asyncio.sleep(0.1)
        assert isinstance(driver_reads.PLANS.get(auth._BY_HASH), driver_reads.Plan)
        with pytest.raises(sa_exc.DBAPIError) as lost:
            await authenticate(session, f"Bearer {alice.key}")
        assert lost.value.connection_invalidated
        assert isinstance(as_domain_error(lost.value), ServiceUnavailable)
    assert (await alice.get("/invoices")).status_code == 200  # a new connection serves
