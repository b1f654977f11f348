"""Response shapes for /api/v1: the reference's fields, as a superset.

Each shape is an async function (it may await the request's dataloaders) whose return
annotation is a TypedDict: the OpenAPI document reads its schema from there.
"""

from __future__ import annotations

from invoiceflow.rest_compat.shapes.catalog import (
    conversion,
    estimate_detail,
    estimate_summaries,
    product,
    products,
    stock_adjusted,
)
from invoiceflow.rest_compat.shapes.common import CUSTOMER_FULL_REF_COLUMNS, CUSTOMER_REF_COLUMNS
from invoiceflow.rest_compat.shapes.invoices import (
    SUMMARY_COLUMNS,
    customer_detail,
    customer_summaries,
    delivered,
    invoice_detail,
    invoice_summaries,
    payment_link,
    payment_with_invoice,
)
from invoiceflow.rest_compat.shapes.teams import team, teams

__all__ = [
    "CUSTOMER_FULL_REF_COLUMNS",
    "CUSTOMER_REF_COLUMNS",
    "SUMMARY_COLUMNS",
    "conversion",
    "customer_detail",
    "customer_summaries",
    "delivered",
    "estimate_detail",
    "estimate_summaries",
    "invoice_detail",
    "invoice_summaries",
    "payment_link",
    "payment_with_invoice",
    "product",
    "products",
    "stock_adjusted",
    "team",
    "teams",
]
