"""Per-request dataloaders, shared by GraphQL fields and REST shapes.

Each batch function calls a resolver's batch read, so the tenant filter stays in resolvers/.
A list of N rows costs one statement per relation, never N.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

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


K = TypeVar("K")
V = TypeVar("V")


class Loader(DataLoader[K, V]):
    """aiodataloader's DataLoader, and ``load_all`` for a list's keys."""

    def __init__(self, batch: Callable[[list[K]], Coroutine[Any, Any, list[V]]]) -> None:
        self.cached: dict[K, asyncio.Future[V]] = {}
        super().__init__(batch_load_fn=batch, cache_map=self.cached)

    async def load_all(self, keys: Iterable[K]) -> dict[K, V]:
        """The values of ``keys``, by key: those not cached yet read in one batch and cached.
        ``load_many`` would make and gather a future per key (100 per relation of a page)."""
        unique = list(dict.fromkeys(keys))
        missing = [key for key in unique if key not in self.cached]
        if missing:
            values = await self.batch_load_fn(missing)
            for key, value in zip(missing, values, strict=True):
                self.prime(key, value)
        return {key: await self.cached[key] for key in unique}


def _loader(
    name: str, session: AsyncSession, principal: Principal, read: BatchRead, **extra: Any
) -> Loader[Any, Any]:
    """A batching loader over ``read``. Keys that a resolver of this request remembered for
    ``name`` (resolvers/written.py: what it has just written) are answered without SQL."""

    async def batch(keys: Sequence[int]) -> list[Any]:
        known = written(session, name)
        missing = [key for key in keys if key not in known]
        found: dict[int, Any] = {}
        if missing:
            values = await read(session=session, principal=principal, ids=missing, **extra)
            found = dict(zip(missing, values, strict=True))
        return [known[key] if key in known else found[key] for key in keys]

    return Loader(batch)


class Loaders:
    """The loaders of one request (cheap to make: nothing runs until a key is loaded)."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.customer: Loader[int, Customer | None] = _loader(
            "customer", session, principal, customers.customers_by_ids
        )
        self.invoice_items: Loader[int, list[InvoiceItem]] = _loader(
            "invoice_items", session, principal, invoices.items_by_invoice_ids
        )
        self.customer_invoices: Loader[int, list[Invoice]] = _loader(
            "customer_invoices", session, principal, customers.invoices_by_customer_ids
        )
        self.customer_recent_invoices: Loader[int, list[Invoice]] = _loader(
            "customer_recent_invoices",
            session,
            principal,
            customers.invoices_by_customer_ids,
            limit=customers.RECENT_INVOICES,
        )
        self.customer_total_invoiced: Loader[int, Decimal] = _loader(
            "customer_total_invoiced", session, principal, customers.total_invoiced_by_customer_ids
        )
        self.invoice: Loader[int, Invoice | None] = _loader(
            "invoice", session, principal, invoices.invoices_by_ids
        )
        self.invoice_payments: Loader[int, list[Payment]] = _loader(
            "invoice_payments", session, principal, payments.payments_by_invoice_ids
        )
        self.customer_payments: Loader[int, list[Payment]] = _loader(
            "customer_payments", session, principal, payments.payments_by_customer_ids
        )
        self.product: Loader[int, Product | None] = _loader(
            "product", session, principal, products.products_by_ids
        )
        self.stock_movements: Loader[int, list[StockMovement]] = _loader(
            "stock_movements", session, principal, products.movements_by_product_ids
        )
        self.estimate_items: Loader[int, list[EstimateItem]] = _loader(
            "estimate_items", session, principal, estimates.items_by_estimate_ids
        )
        self.invoice_emails: Loader[int, list[EmailDelivery]] = _loader(
            "invoice_emails", session, principal, delivery.emails_by_invoice_ids
        )
