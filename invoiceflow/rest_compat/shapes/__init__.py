"""Response shapes for /api/v1: the reference's fields, as a superset.

Each shape is an async function (it may await the request's dataloaders) whose return
annotation is a TypedDict: the OpenAPI document reads its schema from there.
"""

from __future__ import annotations

from invoiceflow.rest_compat.shapes.catalog import (
    conversion,
    estimate_detail,
    estimate_summary,
    product,
    stock_adjusted,
)
from invoiceflow.rest_compat.shapes.invoices import (
    customer_detail,
    customer_summary,
    delivered,
    invoice_detail,
    invoice_summary,
    payment_link,
    payment_with_invoice,
)
from invoiceflow.rest_compat.shapes.teams import team

__all__ = [
    "conversion",
    "customer_detail",
    "customer_summary",
    "delivered",
    "estimate_detail",
    "estimate_summary",
    "invoice_detail",
    "invoice_summary",
    "payment_link",
    "payment_with_invoice",
    "product",
    "stock_adjusted",
    "team",
]
