"""Response shapes for /api/v1: the reference's fields, as a superset.

Each object is a ``Shape``, a list of its keys (fields.py): its OpenAPI schema, the columns
it reads and the function that builds it follow from that list, and a detail shows every
column its model shows. Each route's shape is an async function (it may await the
request's dataloaders) declared with ``@answers``: the shape it answers in and what it
reads of its rows.
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
from invoiceflow.rest_compat.shapes.events import event, events
from invoiceflow.rest_compat.shapes.invoices import (
    customer_detail,
    customer_summaries,
    delivered,
    invoice_detail,
    invoice_summaries,
    payment_link,
    payment_with_invoice,
)
from invoiceflow.rest_compat.shapes.teams import team, teams
from invoiceflow.rest_compat.shapes.webhooks import (
    new_webhook_endpoint,
    redelivered,
    webhook_deliveries,
    webhook_endpoint,
    webhook_endpoints,
)

__all__ = [
    "conversion",
    "customer_detail",
    "customer_summaries",
    "delivered",
    "estimate_detail",
    "estimate_summaries",
    "event",
    "events",
    "invoice_detail",
    "invoice_summaries",
    "new_webhook_endpoint",
    "payment_link",
    "payment_with_invoice",
    "product",
    "products",
    "redelivered",
    "stock_adjusted",
    "team",
    "teams",
    "webhook_deliveries",
    "webhook_endpoint",
    "webhook_endpoints",
]
