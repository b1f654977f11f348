"""Estimates: list, create, get, update, soft delete, and conversion into an invoice."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from invoiceflow.core.errors import InvalidState, NotFound, ValidationFailed
from invoiceflow.core.principal import Principal, require_writer
from invoiceflow.fast import reads
from invoiceflow.models import Customer, Estimate, EstimateItem, Invoice, InvoiceItem
from invoiceflow.models.sql import columns_of, inserted, live_in_team
from invoiceflow.models.types import utcnow
from invoiceflow.resolvers import events, invoices, written
from invoiceflow.resolvers.lines import (
    MAX_LINES,
    LineItemInput,
    copied_totals,
    copy_lines,
    lines_by_document_ids,
    new_draft,
    price_lines,
    reprice_lines,
    store_lines,
    write_lines,
)
from invoiceflow.resolvers.numbering import format_number, live_total, next_number
from invoiceflow.resolvers.pagination import Page, like_pattern, matches_search, paginate
from invoiceflow.resolvers.validation import (
    Currency,
    Input,
    Int,
    IsoDate,
    not_null,
    parse,
    sent_fields,
)
from invoiceflow.resolvers.written import remember

STATUSES = ("draft", "sent", "approved", "rejected", "converted")
ESTIMATE_COLUMNS = columns_of(Estimate)


class EstimateCreate(Input):
    customer_id: Int
    issue_date: IsoDate | None = None
    expiry_date: IsoDate | None = None
    items: list[LineItemInput] = Field(min_length=1, max_length=MAX_LINES)
    notes: str | None = Field(default=None, max_length=10_000)
    currency: Currency | None = None
    status: Literal["draft"] | None = None

    @field_validator("expiry_date")
    @classmethod
    def _expiry_after_issue(cls, value: date | None, info: ValidationInfo) -> date | None:
        issue = info.data.get("issue_date")
        if value is not None and issue is not None and value < issue:
            raise PydanticCustomError(
                "date_order", "The expiry date must not be before the issue date."
            )
        return value


class EstimateUpdate(Input):
    customer_id: Int | None = Field(default=None, json_schema_extra=not_null())
    issue_date: IsoDate | None = Field(default=None, json_schema_extra=not_null())
    expiry_date: IsoDate | None = None
    items: list[LineItemInput] | None = Field(
        default=None, min_length=1, max_length=MAX_LINES, json_schema_extra=not_null()
    )
    notes: str | None = Field(default=None, max_length=10_000)
    currency: Currency | None = Field(default=None, json_schema_extra=not_null())
    # Any status but "converted": that one only conversion sets.
    status: Literal["draft", "sent", "approved", "rejected"] | None = Field(
        default=None, json_schema_extra=not_null()
    )


async def list_estimates(
    *,
    session: AsyncSession,
    principal: Principal,
    status: str | None = None,
    search: str | None = None,
    customer_id: int | None = None,
    page: int | None = None,
    per_page: int | None = None,
    count: bool = True,
) -> Page[Estimate]:
    """Newest first; ``search`` matches the estimate number or the customer's name."""
    if status and status not in STATUSES:
        raise ValidationFailed.on("status", f"Must be one of: {', '.join(STATUSES)}.")
    params: dict[str, Any] = {
        "team_id": principal.team_id,
        "status": status,
        "customer_id": customer_id,
    }
    if search:
        params["pattern"] = like_pattern(search)
    filtered = bool(status) or customer_id is not None or bool(search)
    stmt = _list_statement(bool(status), customer_id is not None, bool(search))
    return await paginate(
        session,
        stmt,
        page=page,
        per_page=per_page,
        count=count,
        # every live estimate of the team: the count its writes keep
        total_of=None if filtered else live_total("estimate_seq"),
        params=params,
    )


@functools.lru_cache(maxsize=16)
def _list_statement(by_status: bool, by_customer: bool, search: bool) -> Select[Any]:
    """Built once for each combination of filters; bound with ``team_id``, and ``status``,
    ``customer_id`` and ``pattern`` where they apply."""
    stmt = select(Estimate).where(*live_in_team(Estimate)).order_by(col(Estimate.id).desc())
    if by_status:
        stmt = stmt.where(col(Estimate.status) == bindparam("status"))
    if by_customer:
        stmt = stmt.where(col(Estimate.customer_id) == bindparam("customer_id"))
    if search:
        stmt = stmt.join(Customer, col(Customer.id) == col(Estimate.customer_id)).where(
            matches_search(
                col(Estimate.estimate_number),
                col(Customer.company_name),
                col(Customer.contact_name),
            )
        )
    return stmt


async def find_estimate(
    *, session: AsyncSession, principal: Principal, estimate_id: int, for_update: bool = False
) -> Estimate | None:
    params = {"team_id": principal.team_id, "estimate_id": estimate_id}
    return (await session.execute(_find_statement(for_update), params)).scalar_one_or_none()


@functools.cache
def _find_statement(for_update: bool) -> Select[Estimate]:
    stmt = select(Estimate).where(
        *live_in_team(Estimate), col(Estimate.id) == bindparam("estimate_id")
    )
    return stmt.with_for_update() if for_update else stmt


async def get_estimate(
    *, session: AsyncSession, principal: Principal, estimate_id: int, for_update: bool = False
) -> Estimate:
    estimate = await find_estimate(
        session=session, principal=principal, estimate_id=estimate_id, for_update=for_update
    )
    if estimate is None:
        raise NotFound("Estimate not found.")
    return estimate


async def create_estimate(*, session: AsyncSession, principal: Principal, data: Any) -> Estimate:
    """A draft estimate with its lines, numbered EST-0001, EST-0002, ... per team.

    As an invoice's create: everything is checked and priced before the number is taken (it
    locks the team row until commit), the estimate is written once, with its totals, and
    answered as the read-only row a read gives, with what was written (no reading back).
    """
    require_writer(principal)
    payload = parse(EstimateCreate, data)
    customer = await invoices.customer_for(session, principal, payload.customer_id)
    issue_date = payload.issue_date or invoices.today()
    if payload.expiry_date is not None and payload.expiry_date < issue_date:
        raise ValidationFailed.on(
            "expiry_date", "The expiry date must not be before the issue date."
        )
    currency = payload.currency or customer.currency
    priced = await price_lines(session, principal, payload.items, currency)
    number = await next_number(session, team_id=principal.team_id, counter="estimate_seq")
    assert customer.id is not None
    values = new_draft(
        principal,
        customer_id=customer.id,
        number=number,
        currency=currency,
        issue_date=issue_date,
        notes=payload.notes,
        totals=priced.totals,
    )
    values |= {
        "estimate_number": format_number("EST", number),
        "expiry_date": payload.expiry_date,
    }
    (estimate,) = await inserted(session, Estimate, values, ESTIMATE_COLUMNS)
    lines = await store_lines(
        session, EstimateItem, {"estimate_id": estimate.id}, priced, replace=False
    )
    remember(session, written.CUSTOMER, customer.id, customer)
    remember(session, written.ESTIMATE_ITEMS, estimate.id, lines)
    events.record(session, "estimate.created", estimate)
    return estimate  # a row with the model's attribute names


async def update_estimate(
    *, session: AsyncSession, principal: Principal, estimate_id: int, data: Any
) -> Estimate:
    """Change the fields sent; a converted estimate is final."""
    require_writer(principal)
    estimate = await get_estimate(
        session=session, principal=principal, estimate_id=estimate_id, for_update=True
    )
    if estimate.status == "converted":
        raise InvalidState("A converted estimate cannot be changed.")
    changes = sent_fields(parse(EstimateUpdate, data))
    before = events.snapshot(estimate)
    for name in ("customer_id", "issue_date", "items", "currency", "status"):
        if name in changes and changes[name] is None:
            raise ValidationFailed.on(name, f"The {name} field cannot be null.")
    issue_date = changes.get("issue_date", estimate.issue_date)
    expiry_date = changes.get("expiry_date", estimate.expiry_date)
    if expiry_date is not None and expiry_date < issue_date:
        raise ValidationFailed.on(
            "expiry_date", "The expiry date must not be before the issue date."
        )
    if "customer_id" in changes:
        customer = await invoices.customer_for(session, principal, changes["customer_id"])
        estimate.customer_id = customer.id  # type: ignore[assignment]
    for name in ("issue_date", "expiry_date", "notes", "currency", "status"):
        if name in changes:
            setattr(estimate, name, changes[name])
    if "items" in changes or "currency" in changes:
        await _replace_items(session, principal, estimate, changes.get("items"))
    estimate.updated_at = utcnow()
    await session.flush()
    moved = estimate.status != before["status"]
    type_ = STATUS_EVENTS.get(estimate.status) if moved else None
    events.record(session, type_ or "estimate.updated", estimate, before=before)
    return estimate


async def delete_estimate(
    *, session: AsyncSession, principal: Principal, estimate_id: int
) -> Estimate:
    """Soft delete; an invoice converted from it keeps its own lines."""
    require_writer(principal)
    estimate = await get_estimate(
        session=session, principal=principal, estimate_id=estimate_id, for_update=True
    )
    estimate.deleted_at = utcnow()
    await session.flush()
    events.record(session, "estimate.deleted", estimate)
    return estimate


async def convert_estimate(
    *, session: AsyncSession, principal: Principal, estimate_id: int
) -> Invoice:
    """Copy the estimate into a new draft invoice and mark it converted, in one transaction.

    The estimate row is locked first, so of concurrent conversions one wins and the
    others find it already converted.
    """
    require_writer(principal)
    estimate = await get_estimate(
        session=session, principal=principal, estimate_id=estimate_id, for_update=True
    )
    if estimate.status == "converted":
        raise InvalidState("This estimate has already been converted to an invoice.")
    if estimate.status == "rejected":
        raise InvalidState("A rejected estimate cannot be converted to an invoice.")
    assert estimate.id is not None
    before = events.snapshot(estimate)
    customer = await session.get(Customer, estimate.customer_id)
    assert customer is not None
    (source,) = await items_by_estimate_ids(session=session, principal=principal, ids=[estimate.id])
    invoice = await invoices.open_invoice(
        session,
        principal,
        customer=customer,
        currency=estimate.currency,
        issue_date=invoices.today(),
        due_date=None,  # the team's payment terms
        as_sent={"notes": estimate.notes},
        estimate_id=estimate.id,
        totals=copied_totals(source),
    )
    assert invoice.id is not None
    await copy_lines(session, source, InvoiceItem, {"invoice_id": invoice.id})
    estimate.status = "converted"
    estimate.converted_invoice_id = invoice.id
    estimate.converted_at = utcnow()
    estimate.updated_at = utcnow()
    await session.flush()
    events.record(session, "invoice.created", invoice)
    events.record(session, "estimate.converted", estimate, before=before)
    return invoice


# The event of a move to each status (an update that moves none is estimate.updated).
STATUS_EVENTS = {
    "sent": "estimate.sent",
    "approved": "estimate.approved",
    "rejected": "estimate.rejected",
}


async def _replace_items(
    session: AsyncSession,
    principal: Principal,
    estimate: Estimate,
    lines: Sequence[LineItemInput] | None,
) -> None:
    """Write the lines (or, with None, round the current ones again) and the totals."""
    assert estimate.id is not None
    parent = {"estimate_id": estimate.id}
    if lines is None:
        totals = await reprice_lines(session, principal, EstimateItem, parent, estimate.currency)
    else:
        totals = await write_lines(
            session, principal, EstimateItem, parent, lines, estimate.currency
        )
    estimate.subtotal, estimate.tax, estimate.total = totals.subtotal, totals.tax, totals.total
    await session.flush()


# --- batch reads for the dataloaders ---------------------------------------------------------


async def items_by_estimate_ids(
    *,
    session: AsyncSession,
    principal: Principal,
    ids: Sequence[int],
) -> list[list[Any]]:
    return await lines_by_document_ids(
        session,
        principal,
        Estimate,
        EstimateItem,
        "estimate_id",
        ids,
        reads.columns("estimate_items"),
    )
