"""Per-request dataloaders, shared by GraphQL fields and REST shapes.

Each batch function calls a resolver's batch read, so the tenant filter stays in resolvers/.
A list of N rows costs one statement per relation, never N.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncSession

from invoiceflow.models import (
    Customer,
    EmailDelivery,
    EstimateItem,
    Invoice,
    InvoiceItem,
    Payment,
    Product,
    StockMovement,
)
from invoiceflow.resolvers import customers, delivery, estimates, invoices, payments, products
from invoiceflow.resolvers.principal import Principal
from invoiceflow.resolvers.written import written

BatchRead = Callable[..., Awaitable[list[Any]]]


def _loader(
    session: AsyncSession, principal: Principal, read: BatchRead, **extra: Any
) -> DataLoader:
    async def batch(keys: Sequence[int]) -> list[Any]:
        return await read(session=session, principal=principal, ids=list(keys), **extra)

    return DataLoader(batch_load_fn=batch)


def _knowing(name: str, session: AsyncSession, principal: Principal, read: BatchRead) -> DataLoader:
    """A loader that first answers what this request's resolvers wrote (``remember``)."""

    async def batch(keys: Sequence[int]) -> list[Any]:
        known = written(session, name)
        missing = [key for key in keys if key not in known]
        found = {}
        if missing:
            values = await read(session=session, principal=principal, ids=missing)
            found = dict(zip(missing, values, strict=True))
        return [known[key] if key in known else found[key] for key in keys]

    return DataLoader(batch_load_fn=batch)


class Loaders:
    """The loaders of one request (cheap to make: nothing runs until a key is loaded)."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.customer: DataLoader[int, Customer | None] = _knowing(
            "customer", session, principal, customers.customers_by_ids
        )
        self.invoice_items: DataLoader[int, list[InvoiceItem]] = _knowing(
            "invoice_items", session, principal, invoices.items_by_invoice_ids
        )
        self.customer_invoices: DataLoader[int, list[Invoice]] = _loader(
            session, principal, customers.invoices_by_customer_ids
        )
        self.customer_recent_invoices: DataLoader[int, list[Invoice]] = _loader(
            session, principal, customers.invoices_by_customer_ids, limit=customers.RECENT_INVOICES
        )
        self.customer_total_invoiced: DataLoader[int, Decimal] = _loader(
            session, principal, customers.total_invoiced_by_customer_ids
        )
        self.invoice: DataLoader[int, Invoice | None] = _loader(
            session, principal, invoices.invoices_by_ids
        )
        self.invoice_payments: DataLoader[int, list[Payment]] = _knowing(
            "invoice_payments", session, principal, payments.payments_by_invoice_ids
        )
        self.customer_payments: DataLoader[int, list[Payment]] = _loader(
            session, principal, payments.payments_by_customer_ids
        )
        self.product: DataLoader[int, Product | None] = _loader(
            session, principal, products.products_by_ids
        )
        self.stock_movements: DataLoader[int, list[StockMovement]] = _loader(
            session, principal, products.movements_by_product_ids
        )
        self.estimate_items: DataLoader[int, list[EstimateItem]] = _loader(
            session, principal, estimates.items_by_estimate_ids
        )
        self.invoice_emails: DataLoader[int, list[EmailDelivery]] = _loader(
            session, principal, delivery.emails_by_invoice_ids
        )
