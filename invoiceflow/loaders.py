"""Per-request dataloaders, shared by GraphQL fields and REST shapes.

Each batch function calls a resolver's batch read, so the tenant filter stays in resolvers/.
A list of N rows costs one statement per relation, never N.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from decimal import Decimal
from typing import Any, Generic, TypeVar, overload

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncSession

from invoiceflow.core.principal import Principal
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
from invoiceflow.resolvers import (
    customers,
    delivery,
    estimates,
    invoices,
    payments,
    products,
    written,
)
from invoiceflow.resolvers.written import Kept

BatchRead = Callable[..., Awaitable[list[Any]]]


K = TypeVar("K")
V = TypeVar("V")


class Loader(DataLoader[K, V]):
    """aiodataloader's DataLoader, and ``load_all`` for a list's keys."""

    def __init__(self, batch: Callable[[list[K]], Coroutine[Any, Any, list[V]]]) -> None:
        self.cached: dict[K, asyncio.Future[V]] = {}
        super().__init__(batch_load_fn=batch, cache_map=self.cached)

    def load(self, key: K) -> asyncio.Future[V]:
        # A key already read (a page's relations, by load_all) is its cached future at once:
        # DataLoader.load's checks, for each of a page's 200 relation fields, add nothing.
        future = self.cached.get(key)
        return future if future is not None else super().load(key)

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

    limit = extra.get("limit")

    async def batch(keys: Sequence[int]) -> list[Any]:
        known = written.written(session, name)
        if limit is not None and known:
            known = {key: value[:limit] for key, value in known.items()}
        missing = [key for key in keys if key not in known]
        found: dict[int, Any] = {}
        if missing:
            values = await read(session=session, principal=principal, ids=missing, **extra)
            found = dict(zip(missing, values, strict=True))
        return [known[key] if key in known else found[key] for key in keys]

    return Loader(batch)


class LoaderField(Generic[K, V]):
    """A loader of ``Loaders``, named as its attribute and made on first use: a request
    makes only the loaders it uses (a REST page uses one of the twelve)."""

    def __init__(self, read: BatchRead, kept: Kept[V] | None = None, **extra: Any) -> None:
        self.read = read
        self.extra = extra
        self.kept = kept
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        # What resolvers hand this loader (resolvers/written.py) is named for it: the same.
        if self.kept is not None and self.kept.name != name:
            raise TypeError(f"Loaders.{name} is declared with written.{self.kept.name}")
        self.name = name

    @overload
    def __get__(self, loaders: None, owner: type) -> LoaderField[K, V]: ...

    @overload
    def __get__(self, loaders: Loaders, owner: type | None = None) -> Loader[K, V]: ...

    def __get__(
        self, loaders: Loaders | None, owner: type | None = None
    ) -> Loader[K, V] | LoaderField[K, V]:
        if loaders is None:  # on the class: the field itself
            return self
        made = _loader(self.name, loaders.session, loaders.principal, self.read, **self.extra)
        loaders.__dict__[self.name] = made  # found there from now on, before this descriptor
        return made


class Loaders:
    """The loaders of one request (cheap to make: nothing runs until a key is loaded)."""

    customer = LoaderField[int, Customer | None](customers.customers_by_ids, written.CUSTOMER)
    invoice_items = LoaderField[int, list[InvoiceItem]](
        invoices.items_by_invoice_ids, written.INVOICE_ITEMS
    )
    customer_invoices = LoaderField[int, list[Invoice]](customers.invoices_by_customer_ids)
    customer_recent_invoices = LoaderField[int, list[Invoice]](
        customers.invoices_by_customer_ids, limit=customers.RECENT_INVOICES
    )
    customer_total_invoiced = LoaderField[int, Decimal](customers.total_invoiced_by_customer_ids)
    invoice = LoaderField[int, Invoice | None](invoices.invoices_by_ids)
    invoice_payments = LoaderField[int, list[Payment]](
        payments.payments_by_invoice_ids, written.INVOICE_PAYMENTS
    )
    customer_payments = LoaderField[int, list[Payment]](payments.payments_by_customer_ids)
    product = LoaderField[int, Product | None](products.products_by_ids)
    stock_movements = LoaderField[int, list[StockMovement]](products.movements_by_product_ids)
    estimate_items = LoaderField[int, list[EstimateItem]](
        estimates.items_by_estimate_ids, written.ESTIMATE_ITEMS
    )
    invoice_emails = LoaderField[int, list[EmailDelivery]](delivery.emails_by_invoice_ids)

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self._newest: dict[tuple[str, int], Loader[Any, Any]] = {}

    def newest(self, name: str, limit: int) -> Loader[int, list[Any]]:
        """The list loader ``name`` with each key's list cut, in its own statement, to its
        ``limit`` newest rows (a GraphQL list's ``first``)."""
        made = self._newest.get((name, limit))
        if made is None:
            field: LoaderField[int, list[Any]] = getattr(type(self), name)
            extra = {**field.extra, "limit": limit}
            made = _loader(name, self.session, self.principal, field.read, **extra)
            self._newest[(name, limit)] = made
        return made
