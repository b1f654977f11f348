"""Invoices: list, create, get, update, cancel, soft delete (API.md §3)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import Date, Select, bindparam, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from invoiceflow.core.errors import InvalidState, NotFound, ValidationFailed
from invoiceflow.core.money import ZERO
from invoiceflow.core.principal import Principal, require_writer
from invoiceflow.fast import reads
from invoiceflow.models import Customer, Invoice, InvoiceItem, sql
from invoiceflow.models.sql import (
    columns_of,
    in_team,
    inserted,
    is_postgres,
    lean_rows,
    live_in_team,
    one_of_bound,
    pick_columns,
)
from invoiceflow.models.types import utcnow
from invoiceflow.resolvers import customers, events, written
from invoiceflow.resolvers.lines import (
    MAX_LINES,
    LineItemInput,
    lines_by_document_ids,
    new_draft,
    price_lines,
    reprice_lines,
    store_lines,
    write_lines,
)
from invoiceflow.resolvers.money import DocumentTotals
from invoiceflow.resolvers.numbering import (
    format_number,
    live_total,
    next_number_and_terms,
)
from invoiceflow.resolvers.pagination import (
    Page,
    like_pattern,
    matches_search,
    page_params,
    paginate,
)
from invoiceflow.resolvers.validation import (
    Currency,
    Input,
    Int,
    IsoDate,
    days_after,
    not_null,
    parse,
    sent_fields,
    stored_as_sent,
)
from invoiceflow.resolvers.written import remember

STATUSES = ("draft", "sent", "partial", "paid", "cancelled", "overdue")
# "overdue" is never stored: it is how a sent or partial invoice past its due date reads.
OPEN_STATUSES = ("sent", "partial")
SORTS = {
    "id": Invoice.id,
    "invoice_number": Invoice.number,
    "issue_date": Invoice.issue_date,
    "due_date": Invoice.due_date,
    "total": Invoice.total,
    "created_at": Invoice.created_at,
}


def today() -> date:
    return datetime.now(UTC).date()


# The columns effective_status reads: a lean read that shows a status selects these.
STATUS_COLUMNS = ("status", "due_date")


def effective_status(invoice: Invoice, on: date | None = None) -> str:
    """The status clients see: sent/partial past the due date (UTC) reads as overdue."""
    if invoice.status in OPEN_STATUSES and invoice.due_date < (on or today()):
        return "overdue"
    return invoice.status


class InvoiceCreate(Input):
    customer_id: Int
    issue_date: IsoDate | None = None
    due_date: IsoDate | None = None
    items: list[LineItemInput] = Field(min_length=1, max_length=MAX_LINES)
    notes: str | None = Field(default=None, max_length=10_000)
    currency: Currency | None = None
    status: Literal["draft"] | None = None

    @field_validator("due_date")
    @classmethod
    def _due_after_issue(cls, value: date | None, info: ValidationInfo) -> date | None:
        issue = info.data.get("issue_date")
        if value is not None and issue is not None and value < issue:
            raise PydanticCustomError(
                "date_order", "The due date must not be before the issue date."
            )
        return value


class InvoiceUpdate(Input):
    customer_id: Int | None = Field(default=None, json_schema_extra=not_null())
    issue_date: IsoDate | None = Field(default=None, json_schema_extra=not_null())
    due_date: IsoDate | None = Field(default=None, json_schema_extra=not_null())
    items: list[LineItemInput] | None = Field(
        default=None, min_length=1, max_length=MAX_LINES, json_schema_extra=not_null()
    )
    notes: str | None = Field(default=None, max_length=10_000)
    currency: Currency | None = Field(default=None, json_schema_extra=not_null())
    status: Literal["draft", "sent", "cancelled"] | None = None


# The fields stored as sent; each of the others has its rule below (the lines are no column).
RULED = ("customer_id", "issue_date", "due_date", "currency", "status")
CREATED_AS_SENT = stored_as_sent(InvoiceCreate, Invoice, *RULED)
UPDATED_AS_SENT = stored_as_sent(InvoiceUpdate, Invoice, *RULED)

# An invoice as a lean row: its columns, and the model's balance_due.
INVOICE_COLUMNS = (*columns_of(Invoice), Invoice.balance_due)


async def list_invoices(
    *,
    session: AsyncSession,
    principal: Principal,
    status: str | None = None,
    search: str | None = None,
    customer_id: int | None = None,
    sort: str | None = None,
    page: int | None = None,
    per_page: int | None = None,
    count: bool = True,
) -> Page[Invoice]:
    """Newest first unless ``sort`` (a field, ``-`` for descending) says otherwise.

    The page holds read-only rows with the model's attribute names (``balance_due``
    included), not ORM objects: a list of 100 is read, shaped and dropped. It reads only
    what the answer reads (fast/reads.py: ``invoices``, and ``invoices.customer``: the page's
    customers, read in the same statement for the request's customer loader).
    """
    if status and status not in STATUSES:
        raise ValidationFailed.on("status", f"Must be one of: {', '.join(STATUSES)}.")
    stmt, matching, total = _list_statements(
        status or None,
        customer_id is not None,
        sort,
        bool(search),
        reads.columns("invoices"),
        reads.columns("invoices.customer"),
        reads.as_floats("invoices"),
    )
    number, size = page_params(page, per_page)
    params: dict[str, Any] = {"team_id": principal.team_id, "today": today()}
    if customer_id is not None:
        params["customer_id"] = customer_id
    if search:
        params["pattern"] = like_pattern(search)
        params["candidates"] = number * size
    found = await paginate(
        session,
        stmt,
        page=page,
        per_page=per_page,
        count=count,
        rows=True,
        count_of=matching,
        total_of=total,
        params=params,
    )
    if reads.columns("invoices.customer") is not None:
        customers.remember_joined_customers(session, found.items)
    return found


@functools.lru_cache(maxsize=256)
def _list_statements(
    status: str | None,
    by_customer: bool,
    sort: str | None,
    search: bool,
    columns: tuple[str, ...] | None = None,
    customer_columns: tuple[str, ...] | None = None,
    money_as_float: bool = False,
) -> tuple[Select[Any], Any, Any]:
    """The statement of a page of invoices, of a search's matches (to count), and of the
    total when the team's count answers it (no filter), built once for each combination of
    filters (and of columns read) and bound per request: ``team_id``, ``today``, and
    ``customer_id``, ``pattern`` and ``candidates`` where they apply. Building it cost a
    list about as much as running it."""
    selected = pick_columns(INVOICE_COLUMNS, columns, "id")
    if money_as_float:
        selected = sql.money_as_float(selected)
    filters = live_in_team(Invoice)
    if status:
        filters.append(_status_filter(status))
    if by_customer:
        filters.append(col(Invoice.customer_id) == bindparam("customer_id"))
    ordering = _ordering(sort)
    if customer_columns is not None:
        read = customers.join_customers(
            select(*selected), col(Invoice.customer_id), customer_columns
        )
    else:
        read = select(*selected)
    if not search:
        # every live invoice of the team: the count its writes keep
        total = None if status or by_customer else live_total("invoice_seq")
        return read.where(*filters).order_by(*ordering), None, total
    matching = _matching(filters)
    candidates: Any = matching
    if not sort:  # newest first: only the page's ids, taken from the matches, are read
        found = matching.subquery()
        candidates = select(found.c.id).order_by(found.c.id.desc()).limit(bindparam("candidates"))
    stmt = read.where(col(Invoice.id).in_(candidates)).order_by(*ordering)
    return stmt, matching, None


def _matching(filters: list[Any]) -> Any:
    """Ids of the team's invoices (within ``filters``) whose number, or whose customer's
    company or contact name, contains the search bound as ``pattern``.

    Written as a union rather than one OR over a join, so that each side can use its own
    index (on PostgreSQL, the trigram indexes of invoices and of customers, then the
    (team_id, customer_id) index), and counted as it stands: a search touches the rows that
    match, not the team's (1,000,000 invoices: 22 ms -> about 12 ms per page on PostgreSQL).
    """
    by_number = select(col(Invoice.id)).where(*filters, matches_search(col(Invoice.invoice_number)))
    customers = select(col(Customer.id)).where(
        in_team(Customer),
        matches_search(col(Customer.company_name), col(Customer.contact_name)),
    )
    by_customer = select(col(Invoice.id)).where(*filters, col(Invoice.customer_id).in_(customers))
    return union(by_number, by_customer)


def _status_filter(status: str) -> Any:
    """Invoices that read as ``status`` on the day bound as ``today``."""
    stored = col(Invoice.status)
    on = bindparam("today", type_=Date())
    if status == "overdue":
        return stored.in_(OPEN_STATUSES) & (col(Invoice.due_date) < on)
    if status in OPEN_STATUSES:
        return (stored == status) & (col(Invoice.due_date) >= on)
    return stored == status


def _ordering(sort: str | None) -> list[Any]:
    if not sort:
        return [col(Invoice.id).desc()]
    name = sort.removeprefix("-")
    if name not in SORTS:
        raise ValidationFailed.on(
            "sort", f"Must be one of: {', '.join(SORTS)} (prefix - to reverse)."
        )
    column = col(SORTS[name])
    tiebreak = col(Invoice.id)
    if sort.startswith("-"):
        return [column.desc(), tiebreak.desc()]
    return [column.asc(), tiebreak.asc()]


async def find_invoice(
    *,
    session: AsyncSession,
    principal: Principal,
    invoice_id: int,
    for_update: bool = False,
) -> Invoice | None:
    """The team's live invoice with this id, or None (another team's id included).

    ``for_update``: the model, its row locked until commit, for a change to write through.
    Otherwise a read-only row with the model's attribute names (the ORM's loading of one
    object cost about as much as the read), and its customer read with it for the
    request's customer loader where the answer reads it (as ``list_invoices`` does)."""
    params = {"team_id": principal.team_id, "invoice_id": invoice_id}
    if for_update:
        return (await session.execute(_locked_statement(), params)).scalar_one_or_none()
    customer_columns = reads.columns("invoices.customer")
    found = await lean_rows(session, _find_statement(customer_columns), params)
    if customer_columns is not None:
        customers.remember_joined_customers(session, found)
    return found[0] if found else None


@functools.cache
def _locked_statement() -> Select[Invoice]:
    return (
        select(Invoice)
        .where(*live_in_team(Invoice), col(Invoice.id) == bindparam("invoice_id"))
        .with_for_update()
    )


@functools.lru_cache(maxsize=64)
def _find_statement(customer_columns: tuple[str, ...] | None) -> Select[Any]:
    read = select(*INVOICE_COLUMNS)
    if customer_columns is not None:
        read = customers.join_customers(read, col(Invoice.customer_id), customer_columns)
    return read.where(*live_in_team(Invoice), col(Invoice.id) == bindparam("invoice_id"))


async def get_invoice(
    *,
    session: AsyncSession,
    principal: Principal,
    invoice_id: int,
    for_update: bool = False,
) -> Invoice:
    """``find_invoice``, or NotFound."""
    invoice = await find_invoice(
        session=session, principal=principal, invoice_id=invoice_id, for_update=for_update
    )
    if invoice is None:
        raise NotFound("Invoice not found.")
    return invoice


async def create_invoice(*, session: AsyncSession, principal: Principal, data: Any) -> Invoice:
    """A draft invoice with its lines, numbered INV-0001, INV-0002, ... per team.

    Everything is checked and priced before the number is taken (the number locks the
    team row until commit), and the invoice is written once, with its totals.
    """
    require_writer(principal)
    payload = parse(InvoiceCreate, data)
    customer = await customer_for(session, principal, payload.customer_id)
    issue_date = payload.issue_date or today()
    if payload.due_date is not None and payload.due_date < issue_date:
        raise ValidationFailed.on("due_date", "The due date must not be before the issue date.")
    currency = payload.currency or customer.currency
    priced = await price_lines(session, principal, payload.items, currency)
    invoice = await open_invoice(
        session,
        principal,
        customer=customer,
        currency=currency,
        issue_date=issue_date,
        due_date=payload.due_date,
        totals=priced.totals,
        as_sent={name: getattr(payload, name) for name in CREATED_AS_SENT},
    )
    assert invoice.id is not None
    lines = await store_lines(
        session, InvoiceItem, {"invoice_id": invoice.id}, priced, replace=False
    )
    # The answer shows what was just written: no reading it back under the numbering lock.
    assert customer.id is not None
    remember(session, written.CUSTOMER, customer.id, customer)
    remember(session, written.INVOICE_ITEMS, invoice.id, lines)
    remember(session, written.INVOICE_PAYMENTS, invoice.id, [])
    events.record(session, "invoice.created", invoice)
    return invoice


async def open_invoice(
    session: AsyncSession,
    principal: Principal,
    *,
    customer: Customer,
    currency: str,
    issue_date: date,
    due_date: date | None,
    totals: DocumentTotals,
    as_sent: dict[str, Any],
    estimate_id: int | None = None,
) -> Invoice:
    """A new numbered draft invoice (due after the team's payment terms unless ``due_date``
    says otherwise) with ``totals`` (its lines' sums, known before it is written) and the
    columns ``as_sent`` (``CREATED_AS_SENT``: notes, ...).

    Written with one ``INSERT ... RETURNING`` and answered as the read-only row a read gives
    (as ``find_invoice`` does): a change goes through a locked read."""
    assert customer.id is not None
    # Taking the number locks the team row until commit (see numbering): keep it late.
    number, terms = await next_number_and_terms(
        session, team_id=principal.team_id, counter="invoice_seq"
    )
    values = new_draft(
        principal,
        customer_id=customer.id,
        number=number,
        currency=currency,
        issue_date=issue_date,
        totals=totals,
    )
    values |= as_sent
    values |= {
        "invoice_number": format_number("INV", number),
        "due_date": due_date or days_after(issue_date, terms, "issue_date"),
        "estimate_id": estimate_id,
        "amount_paid": ZERO,
    }
    (invoice,) = await inserted(session, Invoice, values, INVOICE_COLUMNS)
    return invoice  # a row with the model's attribute names


async def update_invoice(
    *, session: AsyncSession, principal: Principal, invoice_id: int, data: Any
) -> Invoice:
    """Change the fields sent; paid and cancelled invoices are final."""
    require_writer(principal)
    invoice = await get_invoice(
        session=session, principal=principal, invoice_id=invoice_id, for_update=True
    )
    _ensure_editable(invoice)
    changes = sent_fields(parse(InvoiceUpdate, data))
    before = events.snapshot(invoice)
    errors: dict[str, list[str]] = {}
    for name in ("customer_id", "issue_date", "due_date", "items", "currency"):
        if name in changes and changes[name] is None:
            errors[name] = [f"The {name} field cannot be null."]
    if errors:
        raise ValidationFailed(errors)
    issue_date = changes.get("issue_date", invoice.issue_date)
    due_date = changes.get("due_date", invoice.due_date)
    if due_date < issue_date:
        raise ValidationFailed.on("due_date", "The due date must not be before the issue date.")
    if "customer_id" in changes:
        customer = await customer_for(session, principal, changes["customer_id"])
        invoice.customer_id = customer.id  # type: ignore[assignment]
    for name in ("issue_date", "due_date", "currency", *UPDATED_AS_SENT):
        if name in changes:
            setattr(invoice, name, changes[name])
    if "items" in changes or "currency" in changes:
        await _replace_items(session, principal, invoice, changes.get("items"))
        if invoice.total < invoice.amount_paid:
            raise ValidationFailed.on("items", "The new total is below the amount already paid.")
        if invoice.status == "partial" and invoice.balance_due == ZERO:
            # What was paid now covers the new total.
            invoice.status, invoice.paid_at = "paid", utcnow()
    if changes.get("status") is not None:
        _transition(invoice, changes["status"])
    invoice.updated_at = utcnow()
    await session.flush()
    record_change(session, invoice, before)
    return invoice


async def cancel_invoice(
    *, session: AsyncSession, principal: Principal, invoice_id: int
) -> Invoice:
    require_writer(principal)
    invoice = await get_invoice(
        session=session, principal=principal, invoice_id=invoice_id, for_update=True
    )
    _ensure_editable(invoice)
    before = events.snapshot(invoice)
    _transition(invoice, "cancelled")
    invoice.updated_at = utcnow()
    await session.flush()
    record_change(session, invoice, before)
    return invoice


async def delete_invoice(
    *, session: AsyncSession, principal: Principal, invoice_id: int
) -> Invoice:
    """Soft delete; a paid invoice is kept. Its number is never reused."""
    require_writer(principal)
    invoice = await get_invoice(
        session=session, principal=principal, invoice_id=invoice_id, for_update=True
    )
    if invoice.status == "paid":
        raise InvalidState("A paid invoice cannot be deleted.")
    invoice.deleted_at = utcnow()
    await session.flush()
    events.record(session, "invoice.deleted", invoice)
    return invoice


# The event of a move to each status (an update that moves none is invoice.updated).
STATUS_EVENTS = {
    "sent": "invoice.sent",
    "partial": "invoice.partially_paid",
    "paid": "invoice.paid",
    "cancelled": "invoice.cancelled",
}


def record_change(session: AsyncSession, invoice: Invoice, before: dict[str, Any]) -> None:
    """Record the change of ``invoice`` since its ``before`` snapshot: as the move of its
    status when it moved, else as an update."""
    moved = invoice.status != before.get("status")
    type_ = STATUS_EVENTS.get(invoice.status) if moved else None
    events.record(session, type_ or "invoice.updated", invoice, before=before)


def _ensure_editable(invoice: Invoice) -> None:
    if invoice.status in ("paid", "cancelled"):
        raise InvalidState(f"A {invoice.status} invoice cannot be changed.")


def _transition(invoice: Invoice, target: str) -> None:
    """The status moves an update may make: draft -> sent, and to cancelled. Back to draft
    is no move at all (a 422 on status, API.md §2); a move the state forbids is a 409."""
    if target == invoice.status:
        return
    if target == "draft":
        raise ValidationFailed.on(
            "status", "Must be sent or cancelled: an invoice never goes back to draft."
        )
    if target == "sent" and invoice.status == "draft":
        invoice.status = "sent"
        invoice.sent_at = utcnow()
    elif target == "cancelled":
        if invoice.amount_paid > ZERO:
            raise InvalidState("An invoice with payments cannot be cancelled.")
        invoice.status = "cancelled"
    else:
        raise InvalidState(f"An invoice cannot go from {invoice.status} to {target}.")


async def customer_for(session: AsyncSession, principal: Principal, customer_id: int) -> Customer:
    """The team's live customer a document names (read-only: a document only reads it)."""
    customer = await customers.find_customer(
        session=session, principal=principal, customer_id=customer_id
    )
    if customer is None:
        raise ValidationFailed.on("customer_id", "No such customer in this team.")
    return customer


async def _replace_items(
    session: AsyncSession,
    principal: Principal,
    invoice: Invoice,
    lines: Sequence[LineItemInput] | None,
) -> None:
    """Write the lines (or, with None, round the current ones again) and the totals."""
    assert invoice.id is not None
    parent = {"invoice_id": invoice.id}
    if lines is None:
        totals = await reprice_lines(session, principal, InvoiceItem, parent, invoice.currency)
    else:
        totals = await write_lines(session, principal, InvoiceItem, parent, lines, invoice.currency)
    invoice.subtotal, invoice.tax, invoice.total = totals.subtotal, totals.tax, totals.total
    await session.flush()


# --- batch reads for the dataloaders (always scoped to the caller's team) -------------------


async def items_by_invoice_ids(
    *,
    session: AsyncSession,
    principal: Principal,
    ids: Sequence[int],
) -> list[list[Any]]:
    return await lines_by_document_ids(
        session, principal, Invoice, InvoiceItem, "invoice_id", ids, reads.columns("invoice_items")
    )


async def invoices_by_ids(
    *, session: AsyncSession, principal: Principal, ids: Sequence[int]
) -> list[Invoice | None]:
    """Invoices by id, deleted ones included (a payment still names its invoice)."""
    stmt = _by_ids_statement(is_postgres(session))
    params = {"team_id": principal.team_id, "ids": [int(i) for i in ids]}
    found = {invoice.id: invoice for invoice in (await session.execute(stmt, params)).scalars()}
    return [found.get(i) for i in ids]


@functools.cache
def _by_ids_statement(postgres: bool) -> Select[Invoice]:
    return select(Invoice).where(
        in_team(Invoice),
        one_of_bound(col(Invoice.id), "ids", postgres=postgres),
    )
