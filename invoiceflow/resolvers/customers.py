"""Customers: list, create, get, update, soft delete, and what they have been invoiced."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pydantic import Field
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from invoiceflow.core.errors import InvalidState, NotFound, ValidationFailed
from invoiceflow.core.money import ZERO
from invoiceflow.core.principal import Principal, require_writer
from invoiceflow.fast import reads
from invoiceflow.models import Customer, Invoice, Team
from invoiceflow.models.sql import (
    columns_of,
    grouped_by,
    in_team,
    is_postgres,
    lean_rows,
    live_in_team,
    newest_of_each,
    one_of_bound,
    pick_columns,
    record_type,
)
from invoiceflow.models.types import utcnow
from invoiceflow.resolvers import events, written
from invoiceflow.resolvers.pagination import Page, like_pattern, matches_search, paginate
from invoiceflow.resolvers.validation import (
    NOT_BLANK,
    Currency,
    Email,
    Input,
    not_null,
    parse,
    sent_fields,
)
from invoiceflow.resolvers.written import remembered

# Statuses that count towards what a customer has been invoiced, and that block deletion.
INVOICED_STATUSES = ("sent", "partial", "paid")
UNPAID_STATUSES = ("sent", "partial")
RECENT_INVOICES = 10


class CustomerFields(Input):
    contact_name: str | None = Field(default=None, max_length=255)
    email: Email = None
    phone: str | None = Field(default=None, max_length=50)
    address_line1: str | None = Field(default=None, max_length=255)
    address_line2: str | None = Field(default=None, max_length=255)
    city: str | None = Field(default=None, max_length=100)
    state: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, max_length=100)
    currency: Currency | None = None
    notes: str | None = Field(default=None, max_length=10_000)


class CustomerCreate(CustomerFields):
    company_name: str = Field(
        min_length=1, max_length=255, json_schema_extra={"pattern": NOT_BLANK}
    )


class CustomerUpdate(CustomerFields):
    company_name: str | None = Field(
        default=None, min_length=1, max_length=255, json_schema_extra=not_null(pattern=NOT_BLANK)
    )


async def list_customers(
    *,
    session: AsyncSession,
    principal: Principal,
    search: str | None = None,
    page: int | None = None,
    per_page: int | None = None,
    count: bool = True,
) -> Page[Customer]:
    """Newest first; ``search`` matches company, contact or email."""
    params: dict[str, Any] = {"team_id": principal.team_id}
    if search:
        params["pattern"] = like_pattern(search)
    stmt = _list_statement(bool(search))
    return await paginate(session, stmt, page=page, per_page=per_page, count=count, params=params)


@functools.cache
def _list_statement(search: bool) -> Select[Any]:
    """Built once (with or without a search); bound with ``team_id`` and ``pattern``."""
    stmt = select(Customer).where(*live_in_team(Customer)).order_by(col(Customer.id).desc())
    if not search:
        return stmt
    return stmt.where(
        matches_search(col(Customer.company_name), col(Customer.contact_name), col(Customer.email))
    )


async def find_customer(
    *, session: AsyncSession, principal: Principal, customer_id: int, for_update: bool = False
) -> Customer | None:
    """The team's live customer with this id, or None (another team's id included).

    ``for_update``: the model, its row locked until commit, for a change to write through.
    Otherwise a read-only row with the model's attribute names (as ``find_invoice``)."""
    params = {"team_id": principal.team_id, "customer_id": customer_id}
    if for_update:
        locked = _find_statement(for_update=True)
        return (await session.execute(locked, params)).scalar_one_or_none()
    found = await lean_rows(session, _find_statement(for_update=False), params)
    return found[0] if found else None


@functools.cache
def _find_statement(*, for_update: bool) -> Select[Any]:
    """Built once: bound with ``team_id`` and ``customer_id``."""
    read = select(Customer).with_for_update() if for_update else select(*CUSTOMER_COLUMNS)
    return read.where(*live_in_team(Customer), col(Customer.id) == bindparam("customer_id"))


async def get_customer(
    *, session: AsyncSession, principal: Principal, customer_id: int, for_update: bool = False
) -> Customer:
    """``find_customer``, or NotFound."""
    customer = await find_customer(
        session=session, principal=principal, customer_id=customer_id, for_update=for_update
    )
    if customer is None:
        raise NotFound("Customer not found.")
    return customer


async def create_customer(*, session: AsyncSession, principal: Principal, data: Any) -> Customer:
    """A new customer; its currency defaults to the team's."""
    require_writer(principal)
    fields = parse(CustomerCreate, data).model_dump()
    if fields["currency"] is None:
        team = await session.get(Team, principal.team_id)
        assert team is not None
        fields["currency"] = team.currency
    customer = Customer(team_id=principal.team_id, **fields)
    session.add(customer)
    await session.flush()
    events.record(session, "customer.created", customer)
    return customer


async def update_customer(
    *, session: AsyncSession, principal: Principal, customer_id: int, data: Any
) -> Customer:
    """Change only the fields sent."""
    require_writer(principal)
    customer = await get_customer(
        session=session, principal=principal, customer_id=customer_id, for_update=True
    )
    changes = sent_fields(parse(CustomerUpdate, data))
    before = events.snapshot(customer)
    if "company_name" in changes and changes["company_name"] is None:
        raise ValidationFailed.on("company_name", "The company_name field is required.")
    if changes.get("currency", "") is None:
        changes.pop("currency")
    for name, value in changes.items():
        setattr(customer, name, value)
    customer.updated_at = utcnow()
    await session.flush()
    events.record(session, "customer.updated", customer, before=before)
    return customer


async def delete_customer(
    *, session: AsyncSession, principal: Principal, customer_id: int
) -> Customer:
    """Soft delete, refused while the customer has an unpaid invoice."""
    require_writer(principal)
    customer = await get_customer(
        session=session, principal=principal, customer_id=customer_id, for_update=True
    )
    unpaid = await session.scalar(
        select(func.count())
        .select_from(Invoice)
        .where(
            col(Invoice.team_id) == principal.team_id,
            col(Invoice.customer_id) == customer_id,
            col(Invoice.status).in_(UNPAID_STATUSES),
            col(Invoice.deleted_at).is_(None),
        )
    )
    if unpaid:
        raise InvalidState(f"This customer has {unpaid} unpaid invoice(s) and cannot be deleted.")
    customer.deleted_at = utcnow()
    await session.flush()
    events.record(session, "customer.deleted", customer)
    return customer


# --- batch reads for the dataloaders (always scoped to the caller's team) -------------------


async def customers_by_ids(
    *,
    session: AsyncSession,
    principal: Principal,
    ids: Sequence[int],
) -> list[Any]:
    """Customers by id, deleted ones included (an old invoice still shows its customer).

    Lean read: read-only rows with the model's attribute names (a page's 100 customers
    are not objects the session need track); a change to a customer loads the model.
    Only the columns the answer reads of them (fast/reads.py, ``customer``).
    """
    stmt = _customers_statement(is_postgres(session), reads.columns("customer"))
    params = {"team_id": principal.team_id, "ids": [int(i) for i in ids]}
    found = {c.id: c for c in await lean_rows(session, stmt, params)}
    return [found.get(i) for i in ids]


CUSTOMER_COLUMNS = columns_of(Customer)

# A list's customers read in the list's own statement: the customers table under its own
# name (a search's subqueries read customers too), its columns labelled with this prefix.
_JOINED = Customer.__table__.alias("joined_customer")  # type: ignore[attr-defined]
_JOINED_PREFIX = "customer__"


def join_customers(stmt: Select[Any], customer_id: Any, columns: tuple[str, ...]) -> Select[Any]:
    """``stmt`` (rows with the foreign key ``customer_id``) with ``columns`` (and the id) of
    each row's customer, of the team bound as ``team_id`` (deleted customers included, as
    ``customers_by_ids`` reads them), added as its last columns."""
    joined = pick_columns(tuple(_JOINED.c), columns, "id")
    on = (_JOINED.c.id == customer_id) & (_JOINED.c.team_id == bindparam("team_id"))
    return stmt.add_columns(
        *(column.label(_JOINED_PREFIX + column.key) for column in joined)
    ).outerjoin(_JOINED, on)


def remember_joined_customers(session: AsyncSession, rows: Sequence[Any]) -> None:
    """Hand the customers that ``join_customers`` read with ``rows`` to the request's
    customer loader (resolvers/written.py), which then answers them without a statement.
    The loader answers them as read: join the columns the whole request reads of them."""
    if not rows:
        return
    fields: tuple[str, ...] = rows[0]._fields
    start = fields.index(_JOINED_PREFIX + "id")
    end = start
    while end < len(fields) and fields[end].startswith(_JOINED_PREFIX):
        end += 1
    make = record_type(tuple(name.removeprefix(_JOINED_PREFIX) for name in fields[start:end]))
    known = remembered(session, written.CUSTOMER)
    for row in rows:
        key = row[start]  # None: no customer of this team (the loader says so itself)
        if key is not None and key not in known:  # a page shows a customer many times
            known[key] = make(row[start:end])


@functools.lru_cache(maxsize=256)
def _customers_statement(postgres: bool, columns: tuple[str, ...] | None) -> Select[Any]:
    """Built once per database kind and columns read; bound with ``team_id`` and ``ids``."""
    return select(*pick_columns(CUSTOMER_COLUMNS, columns, "id")).where(
        in_team(Customer),
        one_of_bound(col(Customer.id), "ids", postgres=postgres),
    )


async def total_invoiced_by_customer_ids(
    *, session: AsyncSession, principal: Principal, ids: Sequence[int]
) -> list[Decimal]:
    """Sum of totals of each customer's non-draft, non-cancelled invoices."""
    stmt = _total_invoiced_statement(is_postgres(session))
    params = {"team_id": principal.team_id, "ids": [int(i) for i in ids]}
    found = (await session.execute(stmt, params)).all()
    sums: dict[int, Decimal] = {cid: total for cid, total in found}
    return [sums.get(i, ZERO) for i in ids]


@functools.cache
def _total_invoiced_statement(postgres: bool) -> Select[int, Decimal]:
    """Built once per database kind; bound with ``team_id`` and ``ids``."""
    return (
        select(col(Invoice.customer_id), func.sum(col(Invoice.total)))
        .where(
            *live_in_team(Invoice),
            one_of_bound(col(Invoice.customer_id), "ids", postgres=postgres),
            col(Invoice.status).in_(INVOICED_STATUSES),
        )
        .group_by(col(Invoice.customer_id))
    )


async def invoices_by_customer_ids(
    *, session: AsyncSession, principal: Principal, ids: Sequence[int], limit: int | None = None
) -> list[list[Invoice]]:
    """Each customer's live invoices, newest first (the ``limit`` newest when given)."""
    stmt = _invoices_statement(is_postgres(session), limit is not None)
    params = {"team_id": principal.team_id, "ids": [int(i) for i in ids]}
    if limit is not None:
        params["first"] = limit
    return grouped_by(ids, (await session.execute(stmt, params)).scalars(), "customer_id")


@functools.cache
def _invoices_statement(postgres: bool, limited: bool) -> Select[Any]:
    """Built once per database kind; bound with ``team_id``, ``ids`` (and ``first``)."""
    stmt = (
        select(Invoice)
        .where(
            *live_in_team(Invoice),
            one_of_bound(col(Invoice.customer_id), "ids", postgres=postgres),
        )
        .order_by(col(Invoice.id).desc())
    )
    if limited:
        stmt = newest_of_each(stmt, col(Invoice.id), col(Invoice.customer_id))
    return stmt
