"""What a resolver already holds, kept for the same request's loaders.

A create answers with what it wrote: the new invoice's lines, its customer, its (no)
payments. Reading them back costs statements while the team's numbering row is locked;
instead the resolver says what they are, and the loader of that name (see
``invoiceflow.loaders.Loaders``) answers those keys without SQL. A list of invoices that
reads its customers in its own statement hands them over the same way. Only for values
nothing later in the request changes: the session (one per request) keeps them in
``session.info``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from invoiceflow.models import Customer, EstimateItem, InvoiceItem, Payment

_KEY = "invoiceflow.written"
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Kept(Generic[V]):
    """A loader of the request's ``Loaders`` that can be handed what a resolver wrote, with
    the type of what it answers. ``remember`` takes one of these, never a name: a misspelt
    name would have answered nothing, silently. Each is a field of ``Loaders`` by its
    ``name`` (invoiceflow/loaders.py declares them with it, and checks)."""

    name: str


# A customer: the model, or the read-only row of one that a page read with its invoices
# (customers.join_customers), named as the model's attributes.
CUSTOMER: Kept[Customer | Any] = Kept("customer")
INVOICE_ITEMS: Kept[list[InvoiceItem]] = Kept("invoice_items")
INVOICE_PAYMENTS: Kept[list[Payment]] = Kept("invoice_payments")
ESTIMATE_ITEMS: Kept[list[EstimateItem]] = Kept("estimate_items")


def remember(session: AsyncSession, loader: Kept[V], key: int, value: V) -> None:
    """``loader`` is to answer ``value`` for ``key`` in this request."""
    remembered(session, loader)[key] = value


def remembered(session: AsyncSession, loader: Kept[V]) -> dict[int, V]:
    """What ``loader`` is to answer, by key, to add to: for a caller remembering many."""
    known: dict[int, V] = session.info.setdefault(_KEY, {}).setdefault(loader.name, {})
    return known


def written(session: AsyncSession, loader: str) -> dict[int, Any]:
    """What this request's resolvers said ``loader`` should answer, by key."""
    known: dict[str, dict[int, Any]] = session.info.get(_KEY, {})
    return known.get(loader, {})


def forget_written(session: AsyncSession) -> None:
    """Drop everything remembered (the next mutation of a document starts afresh)."""
    session.info.pop(_KEY, None)
