"""Products, stock and estimates as REST shows them."""

from __future__ import annotations

import asyncio
from typing import Any

from invoiceflow.context import Context
from invoiceflow.models import Estimate, Invoice, Product, StockMovement
from invoiceflow.rest_compat.shapes.common import (
    CUSTOMER_FULL_REF,
    CUSTOMER_REF,
    LINE_ITEM,
    customer_ref,
)
from invoiceflow.rest_compat.shapes.fields import (
    Many,
    Maybe,
    Shape,
    answers,
    columns,
    given,
    rest_of,
)

Object = dict[str, Any]

PRODUCT = Shape("ProductOut", rest_of(Product))
STOCK_MOVEMENT = Shape(
    "StockMovementOut",
    columns(StockMovement, "id", "adjustment", "reason", "quantity_after", "user_id", "created_at"),
)
PRODUCT_WITH_MOVEMENTS = Shape(
    "ProductWithMovements", PRODUCT.keys, given("stock_movements", Many(STOCK_MOVEMENT))
)


@answers(PRODUCT)
async def products(ctx: Context, rows: list[Product]) -> list[Object]:
    build = PRODUCT.build
    return [build(row) for row in rows]


@answers(PRODUCT)
async def product(ctx: Context, row: Product) -> Object:
    return PRODUCT.build(row)


@answers(PRODUCT_WITH_MOVEMENTS)
async def stock_adjusted(ctx: Context, row: Product) -> Object:
    assert row.id is not None
    movements = await ctx.loaders.stock_movements.load(row.id)
    return PRODUCT_WITH_MOVEMENTS.build(
        row, stock_movements=[STOCK_MOVEMENT.build(m) for m in movements[:10]]
    )


ESTIMATE_SUMMARY = Shape(
    "EstimateSummary",
    columns(Estimate, "id", "estimate_number", "status", "customer_id"),
    given("customer", Maybe(CUSTOMER_FULL_REF)),
    columns(
        Estimate,
        "subtotal",
        "tax",
        "total",
        "currency",
        "issue_date",
        "expiry_date",
        "converted_invoice_id",
        "created_at",
    ),
)
# The summary, its lines, then every other column the estimate shows.
ESTIMATE_DETAIL = Shape(
    "EstimateDetail",
    ESTIMATE_SUMMARY.keys,
    given("items", Many(LINE_ITEM)),
    rest_of(Estimate, ESTIMATE_SUMMARY.keys),
)


@answers(ESTIMATE_SUMMARY, ESTIMATE_SUMMARY.reading("estimates", {"customer": CUSTOMER_REF}))
async def estimate_summaries(ctx: Context, rows: list[Estimate]) -> list[Object]:
    customers = await ctx.loaders.customer.load_all({row.customer_id for row in rows})
    build = ESTIMATE_SUMMARY.build
    return [build(row, customer=customer_ref(customers[row.customer_id])) for row in rows]


@answers(ESTIMATE_DETAIL)
async def estimate_detail(ctx: Context, row: Estimate) -> Object:
    assert row.id is not None
    customer, lines = await asyncio.gather(
        ctx.loaders.customer.load(row.customer_id), ctx.loaders.estimate_items.load(row.id)
    )
    return ESTIMATE_DETAIL.build(
        row,
        customer=customer_ref(customer, full=True),
        items=[LINE_ITEM.build(line) for line in lines],
    )


CONVERSION = Shape(
    "Conversion", columns(Invoice, invoice_id="id"), columns(Invoice, "invoice_number")
)


@answers(CONVERSION)
async def conversion(ctx: Context, invoice: Invoice) -> Object:
    return CONVERSION.build(invoice)
