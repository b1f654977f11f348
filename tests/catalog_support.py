"""Helpers for the catalog test files (products, estimates, payments): GraphQL envelopes,
seeding through the REST API, and direct reads of what the database holds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from invoiceflow.models import Invoice, Payment, Product, StockMovement
from invoiceflow.services import Services
from tests.conftest import Api
from tests.rest_support import data

WIDGET = {"name": "Widget", "sku": "W-1", "price": "9.99", "tax_rate": 20, "stock_quantity": 10}
CONSULTING = {"type": "service", "name": "Consulting", "price": 120, "unit": "hour"}
ESTIMATE_LINES = [
    {"description": "Design", "quantity": 2, "unit_price": 100, "tax_rate": 10},
    {"description": "Hosting", "quantity": 1, "unit_price": "9.99"},
]


def gql_data(body: dict[str, Any]) -> dict[str, Any]:
    """The ``data`` of a GraphQL answer that must carry no error."""
    assert "errors" not in body, body
    return dict(body["data"])


def gql_error(body: dict[str, Any], code: str) -> dict[str, Any]:
    """The single error of a failed one-field mutation document (whose data is then null)."""
    assert body["data"] is None, body
    assert len(body["errors"]) == 1, body
    error: dict[str, Any] = body["errors"][0]
    assert error["extensions"]["code"] == code, error
    assert isinstance(error["message"], str) and error["message"], error
    return error


def gql_fields(body: dict[str, Any]) -> dict[str, list[str]]:
    """``extensions.fields`` of a single VALIDATION_ERROR, each field with messages."""
    fields: dict[str, list[str]] = gql_error(body, "VALIDATION_ERROR")["extensions"]["fields"]
    for messages in fields.values():
        assert messages and all(isinstance(m, str) and m for m in messages), fields
    return fields


async def new_product(api: Api, **fields: Any) -> dict[str, Any]:
    """A product (the widget, stock 10, unless told otherwise) created over REST."""
    return dict(data(await api.post("/products", {**WIDGET, **fields}), 201))


async def catalog(api: Api) -> dict[str, int]:
    """Four products, created oldest first: two goods (one inactive) and two services."""
    rows = [
        {"name": "Widget", "sku": "W-1", "stock_quantity": 10, "price": 5},
        {"name": "Gadget", "sku": "G-7", "price": 12, "active": False},
        {**CONSULTING, "description": "Senior widget advice"},
        {"type": "service", "name": "Hosting", "price": 30, "unit": "month"},
    ]
    return {row["name"]: data(await api.post("/products", row), 201)["id"] for row in rows}


async def new_estimate(api: Api, customer_id: int | None = None, **fields: Any) -> dict[str, Any]:
    """A draft estimate of two lines (total 229.99) for a new or the given customer."""
    if customer_id is None:
        customer_id = (await api.create_customer())["id"]
    body = {"customer_id": customer_id, "issue_date": "2025-01-15", "items": ESTIMATE_LINES}
    return dict(data(await api.post("/estimates", {**body, **fields}), 201))


async def sent_invoice(api: Api, customer_id: int | None = None, **fields: Any) -> dict[str, Any]:
    """An invoice of 6000.00 (40 x 150), moved from draft to sent through an update."""
    if customer_id is None:
        customer_id = (await api.create_customer())["id"]
    invoice = await api.create_invoice(customer_id, **fields)
    return dict(data(await api.patch(f"/invoices/{invoice['id']}", {"status": "sent"})))


async def stock_of(services: Services, product_id: int) -> int | None:
    async with services.db.read_sessions() as session:
        stmt = select(col(Product.stock_quantity)).where(col(Product.id) == product_id)
        return (await session.execute(stmt)).scalar_one()


async def movements_of(services: Services, product_id: int) -> list[tuple[int, int]]:
    """(adjustment, quantity after) of a product's stock movements, oldest first."""
    async with services.db.read_sessions() as session:
        stmt = (
            select(col(StockMovement.adjustment), col(StockMovement.quantity_after))
            .where(col(StockMovement.product_id) == product_id)
            .order_by(col(StockMovement.id))
        )
        return [(a, q) for a, q in (await session.execute(stmt)).all()]


async def count_rows(services: Services, model: type[Invoice] | type[Payment]) -> int:
    async with services.db.read_sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)
