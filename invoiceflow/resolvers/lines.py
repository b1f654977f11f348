"""Documents (invoices and estimates): their lines (input, product defaults, totals), and
what a new one is written with."""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from pydantic import Field
from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from invoiceflow.core.errors import ValidationFailed
from invoiceflow.core.money import ZERO
from invoiceflow.core.principal import Principal
from invoiceflow.models import LineItemBase, Product
from invoiceflow.models.sql import (
    columns_of,
    grouped_by,
    in_team,
    inserted,
    is_postgres,
    lean_rows,
    live_in_team,
    one_of_bound,
    pick_columns,
)
from invoiceflow.models.types import utcnow
from invoiceflow.resolvers.money import (
    MAX_LINE_AMOUNT,
    DocumentTotals,
    LineTotals,
    document_totals,
    line_totals,
)
from invoiceflow.resolvers.validation import NOT_BLANK, Input, Int, Price, Quantity, TaxRate

ItemT = TypeVar("ItemT", bound=LineItemBase)

MAX_LINES = 500


class LineItemInput(Input):
    """One line. With a ``product_id``, description, price and tax rate default from it."""

    description: str | None = Field(
        default=None, min_length=1, max_length=2000, json_schema_extra={"pattern": NOT_BLANK}
    )
    quantity: Quantity
    unit_price: Price | None = None
    tax_rate: TaxRate | None = None
    product_id: Int | None = None


@dataclass(frozen=True, slots=True)
class PricedLines:
    """Lines validated and priced, not yet attached to a document."""

    values: list[dict[str, Any]]
    totals: DocumentTotals


async def price_lines(
    session: AsyncSession,
    principal: Principal,
    lines: Sequence[LineItemInput],
    currency: str,
) -> PricedLines:
    """Apply product defaults, check each line and price it; nothing is written."""
    products = await _products(session, principal, [ln.product_id for ln in lines if ln.product_id])
    errors: dict[str, list[str]] = {}
    values: list[dict[str, Any]] = []
    sums = []
    for position, line in enumerate(lines):
        product = products.get(line.product_id) if line.product_id else None
        if line.product_id and product is None:
            errors[f"items.{position}.product_id"] = ["No such product in this team."]
            continue
        description = line.description or (product.name if product else None)
        unit_price = line.unit_price if line.unit_price is not None else _price(product)
        if description is None:
            errors[f"items.{position}.description"] = ["The description field is required."]
        if unit_price is None:
            errors[f"items.{position}.unit_price"] = ["The unit_price field is required."]
        if description is None or unit_price is None:
            continue
        rate = line.tax_rate
        if rate is None:
            rate = product.tax_rate if product and product.tax_rate is not None else ZERO
        totals = line_totals(line.quantity, unit_price, rate, currency)
        if totals.amount >= MAX_LINE_AMOUNT:  # quantity x price: on the later field
            errors[f"items.{position}.unit_price"] = [
                "The line amount (quantity x unit_price) must be below 1,000,000,000,000."
            ]
            continue
        sums.append(totals)
        values.append(
            {
                "position": position,
                "product_id": line.product_id,
                "description": description,
                "quantity": line.quantity,
                "unit_price": unit_price,
                "tax_rate": rate,
                "amount": totals.amount,
                "tax_amount": totals.tax,
            }
        )
    if errors:
        raise ValidationFailed(errors)
    return PricedLines(values=values, totals=document_totals(sums))


def new_draft(
    principal: Principal,
    *,
    customer_id: int,
    number: int,
    currency: str,
    issue_date: date,
    totals: DocumentTotals,
    notes: str | None = None,
) -> dict[str, Any]:
    """The columns a new document of the caller's team starts with: a draft with ``number``
    and the totals of its lines (the caller adds its kind's own columns)."""
    now = utcnow()
    return {
        "team_id": principal.team_id,
        "customer_id": customer_id,
        "number": number,
        "status": "draft",
        "currency": currency,
        "issue_date": issue_date,
        "notes": notes,
        "subtotal": totals.subtotal,
        "tax": totals.tax,
        "total": totals.total,
        "created_at": now,
        "updated_at": now,
    }


async def store_lines(
    session: AsyncSession,
    item_type: type[LineItemBase],
    parent: dict[str, Any],
    priced: PricedLines,
    *,
    replace: bool = True,
) -> list[Any]:
    """Attach priced lines to their document; ``replace`` drops its current lines first
    (a brand-new document has none). Returns them as a read would (read-only rows, amounts
    at their columns' scales)."""
    if replace:
        ((key, value),) = parent.items()
        await session.execute(delete(item_type).where(col(getattr(item_type, key)) == value))
    return await _insert_lines(session, item_type, [{**parent, **v} for v in priced.values])


async def _insert_lines(
    session: AsyncSession, item_type: type[LineItemBase], rows: list[dict[str, Any]]
) -> list[Any]:
    """One INSERT for all ``rows``, answered as a read would (in order of position): lines
    never change through the ORM (reads are lean), and a model per line cost more than its
    statement."""
    stored = await inserted(session, item_type, rows, columns_of(item_type)) if rows else []
    return sorted(stored, key=_position)


_position = operator.attrgetter("position")


async def write_lines(
    session: AsyncSession,
    principal: Principal,
    item_type: type[ItemT],
    parent: dict[str, int],
    lines: Sequence[LineItemInput],
    currency: str,
) -> DocumentTotals:
    """Replace the parent's lines with ``lines`` and return the document's totals."""
    priced = await price_lines(session, principal, lines, currency)
    await store_lines(session, item_type, parent, priced)
    return priced.totals


def _price(product: Product | None) -> Any:
    return product.price if product is not None else None


async def lines_by_document_ids(
    session: AsyncSession,
    principal: Principal,
    document_type: type[SQLModel],
    item_type: type[LineItemBase],
    key: str,
    ids: Sequence[int],
    columns: tuple[str, ...] | None = None,
) -> list[list[Any]]:
    """The lines of each document (invoice or estimate, by ``key``: ``invoice_id`` or
    ``estimate_id``) of the caller's team, in order, as read-only rows.

    Lean read: the lines' columns as rows (attributes named as the model's), not ORM
    objects; on a list of 100 invoices that is 300 objects the session need not track.
    Nothing writes through these: a change to lines goes through ``store_lines``.
    ``columns`` names the only ones the caller reads (``id`` and ``key`` come too); all of
    them when None.
    """
    stmt = _lines_statement(document_type, item_type, key, is_postgres(session), columns)
    params = {"team_id": principal.team_id, "ids": [int(i) for i in ids]}
    return grouped_by(ids, await lean_rows(session, stmt, params), key)


@functools.lru_cache(maxsize=256)
def _lines_statement(
    document_type: Any, item_type: Any, key: str, postgres: bool, columns: tuple[str, ...] | None
) -> Select[Any]:
    """Built once per kind of document, database and columns read; bound with ``team_id``
    and ``ids``."""
    parent = col(getattr(item_type, key))
    return (
        select(*pick_columns(columns_of(item_type), columns, "id", key))
        .join(document_type, col(document_type.id) == parent)
        .where(
            in_team(document_type),
            one_of_bound(parent, "ids", postgres=postgres),
        )
        .order_by(parent, col(item_type.position))
    )


async def _products(
    session: AsyncSession, principal: Principal, ids: list[int]
) -> dict[int | None, Product]:
    if not ids:
        return {}
    stmt = _products_statement(is_postgres(session))
    params = {"team_id": principal.team_id, "ids": [int(i) for i in ids]}
    return {p.id: p for p in (await session.execute(stmt, params)).scalars()}


@functools.cache
def _products_statement(postgres: bool) -> Select[Product]:
    """Built once per database kind; bound with ``team_id`` and ``ids``."""
    return select(Product).where(
        *live_in_team(Product), one_of_bound(col(Product.id), "ids", postgres=postgres)
    )


# Everything of a line but its id and document, amounts as priced then (copied, not repriced).
_COPIED = (
    "position",
    "product_id",
    "description",
    "quantity",
    "unit_price",
    "tax_rate",
    "amount",
    "tax_amount",
)


def copied_totals(source: Sequence[LineItemBase]) -> DocumentTotals:
    """The totals of a document whose lines are ``source``, copied as priced."""
    return document_totals([LineTotals(amount=i.amount, tax=i.tax_amount) for i in source])


async def copy_lines(
    session: AsyncSession,
    source: Sequence[LineItemBase],
    item_type: type[ItemT],
    parent: dict[str, Any],
) -> None:
    """Copy existing lines verbatim onto a new document (estimate -> invoice); its totals
    are ``copied_totals(source)``."""
    rows = [{**parent, **{f: getattr(line, f) for f in _COPIED}} for line in source]
    await _insert_lines(session, item_type, rows)


async def reprice_lines(
    session: AsyncSession,
    principal: Principal,
    item_type: type[ItemT],
    parent: dict[str, int],
    currency: str,
) -> DocumentTotals:
    """Round the existing lines again for another currency (its minor unit may differ)."""
    ((key, value),) = parent.items()
    items = (
        await session.execute(select(item_type).where(col(getattr(item_type, key)) == value))
    ).scalars()
    sums = []
    for item in items:
        totals = line_totals(item.quantity, item.unit_price, item.tax_rate, currency)
        item.amount, item.tax_amount = totals.amount, totals.tax
        sums.append(totals)
    await session.flush()
    return document_totals(sums)
