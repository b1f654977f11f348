"""Products, stock and estimates as REST shows them."""

from __future__ import annotations

import asyncio
import datetime as dt

from typing_extensions import TypedDict

from invoiceflow.context import Context
from invoiceflow.models import Estimate, Invoice, Product
from invoiceflow.rest_compat.shapes.common import (
    CustomerRef,
    LineItemOut,
    customer_ref,
    line_item,
)


class ProductOut(TypedDict):
    id: int
    type: str
    name: str
    description: str | None
    sku: str | None
    price: float
    unit: str | None
    active: bool
    tax_rate: float | None
    stock_quantity: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


async def products(ctx: Context, rows: list[Product]) -> list[ProductOut]:
    return [_product(row) for row in rows]


async def product(ctx: Context, row: Product) -> ProductOut:
    return _product(row)


def _product(row: Product) -> ProductOut:
    assert row.id is not None
    return ProductOut(
        id=row.id,
        type=row.type,
        name=row.name,
        description=row.description,
        sku=row.sku,
        price=float(row.price),
        unit=row.unit,
        active=row.active,
        tax_rate=float(row.tax_rate) if row.tax_rate is not None else None,
        stock_quantity=row.stock_quantity,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class StockMovementOut(TypedDict):
    id: int
    adjustment: int
    reason: str | None
    quantity_after: int
    user_id: int | None
    created_at: dt.datetime


class ProductWithMovements(ProductOut):
    stock_movements: list[StockMovementOut]


async def stock_adjusted(ctx: Context, row: Product) -> ProductWithMovements:
    assert row.id is not None
    movements = await ctx.loaders.stock_movements.load(row.id)
    return ProductWithMovements(
        **_product(row),
        stock_movements=[
            StockMovementOut(
                id=m.id or 0,
                adjustment=m.adjustment,
                reason=m.reason,
                quantity_after=m.quantity_after,
                user_id=m.user_id,
                created_at=m.created_at,
            )
            for m in movements[:10]
        ],
    )


class EstimateSummary(TypedDict):
    id: int
    estimate_number: str
    status: str
    customer_id: int
    customer: CustomerRef | None
    subtotal: float
    tax: float
    total: float
    currency: str
    issue_date: dt.date
    expiry_date: dt.date | None
    converted_invoice_id: int | None
    created_at: dt.datetime


class EstimateDetail(EstimateSummary):
    items: list[LineItemOut]
    notes: str | None
    converted_at: dt.datetime | None
    updated_at: dt.datetime


def _summary(row: Estimate, customer: CustomerRef | None) -> EstimateSummary:
    assert row.id is not None
    return EstimateSummary(
        id=row.id,
        estimate_number=row.estimate_number,
        status=row.status,
        customer_id=row.customer_id,
        customer=customer,
        subtotal=float(row.subtotal),
        tax=float(row.tax),
        total=float(row.total),
        currency=row.currency,
        issue_date=row.issue_date,
        expiry_date=row.expiry_date,
        converted_invoice_id=row.converted_invoice_id,
        created_at=row.created_at,
    )


async def estimate_summaries(ctx: Context, rows: list[Estimate]) -> list[EstimateSummary]:
    customers = await ctx.loaders.customer.load_all({row.customer_id for row in rows})
    return [_summary(row, customer_ref(customers[row.customer_id])) for row in rows]


async def estimate_detail(ctx: Context, row: Estimate) -> EstimateDetail:
    assert row.id is not None
    customer, lines = await asyncio.gather(
        ctx.loaders.customer.load(row.customer_id), ctx.loaders.estimate_items.load(row.id)
    )
    return EstimateDetail(
        **_summary(row, customer_ref(customer, full=True)),
        items=[line_item(line, line.id) for line in lines],
        notes=row.notes,
        converted_at=row.converted_at,
        updated_at=row.updated_at,
    )


class Conversion(TypedDict):
    invoice_id: int
    invoice_number: str


async def conversion(ctx: Context, invoice: Invoice) -> Conversion:
    assert invoice.id is not None
    return Conversion(invoice_id=invoice.id, invoice_number=invoice.invoice_number)
