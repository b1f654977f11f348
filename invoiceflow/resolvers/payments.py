"""Payments against invoices: partial, then paid; never above the balance due."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from invoiceflow.core.errors import BadRequest, InvalidState, ValidationFailed
from invoiceflow.core.money import ZERO, from_minor_units, to_cents
from invoiceflow.core.principal import Principal, require_writer
from invoiceflow.models import Invoice, Payment
from invoiceflow.models.sql import (
    columns_of,
    grouped_by,
    in_team,
    is_postgres,
    lean_rows,
    newest_of_each,
    one_of_bound,
)
from invoiceflow.models.types import utcnow
from invoiceflow.resolvers import events, invoices
from invoiceflow.resolvers.validation import Amount, Input, IsoDate, parse

log = logging.getLogger("invoiceflow.payments")

METHODS = ("bank_transfer", "card", "cash", "check", "stripe", "other")
Method = Literal["bank_transfer", "card", "cash", "check", "stripe", "other"]


class PaymentInput(Input):
    amount: Amount
    paid_at: IsoDate | None = None
    method: Method = "other"
    reference: str | None = Field(default=None, max_length=255)


async def record_payment(
    *, session: AsyncSession, principal: Principal, invoice_id: int, data: Any
) -> Payment:
    """Record money received for one of the team's invoices."""
    require_writer(principal)
    payload = parse(PaymentInput, data)
    invoice = await invoices.get_invoice(
        session=session, principal=principal, invoice_id=invoice_id, for_update=True
    )
    return await apply_payment(
        session,
        invoice,
        amount=payload.amount,
        paid_at=payload.paid_at or invoices.today(),
        method=payload.method,
        reference=payload.reference,
        recorded_by=principal.user_id,
    )


async def apply_payment(
    session: AsyncSession,
    invoice: Invoice,
    *,
    amount: Decimal,
    paid_at: date,
    method: str,
    reference: str | None,
    recorded_by: int | None,
) -> Payment:
    """Add a payment to a locked invoice and move it to partial or paid.

    Shared by the API and the Stripe webhook; the caller holds the invoice row lock.
    """
    if invoice.status in ("draft", "cancelled"):
        raise InvalidState(f"A {invoice.status} invoice takes no payments.")
    if amount > invoice.balance_due:
        raise ValidationFailed.on(
            "amount", f"Must not exceed the balance due ({invoice.balance_due})."
        )
    return await _receive(
        session, invoice, amount, paid_at=paid_at, method=method, reference=reference,
        recorded_by=recorded_by,
    )  # fmt: skip


async def _receive(
    session: AsyncSession,
    invoice: Invoice,
    received: Decimal,
    *,
    paid_at: date,
    method: str,
    reference: str | None,
    recorded_by: int | None,
) -> Payment:
    """A payment of ``received``, of which the invoice takes what it is owed (all of it
    unless it is draft or cancelled) and keeps the rest as ``amount_overpaid``."""
    assert invoice.id is not None
    before = events.snapshot(invoice)
    payment = Payment(
        team_id=invoice.team_id,
        invoice_id=invoice.id,
        amount=to_cents(received),  # as stored, so the answer reads like a later GET
        paid_at=paid_at,
        method=method,
        reference=reference,
        recorded_by=recorded_by,
    )
    session.add(payment)
    takes = invoice.status not in ("draft", "cancelled") and invoice.deleted_at is None
    owed = invoice.balance_due if takes else ZERO
    applied = min(received, max(owed, ZERO))
    invoice.amount_overpaid += received - applied
    if applied > ZERO:
        invoice.amount_paid += applied
        if invoice.balance_due == ZERO:
            invoice.status = "paid"
            invoice.paid_at = utcnow()
        else:
            invoice.status = "partial"
    invoice.updated_at = utcnow()
    await session.flush()
    events.record(session, "payment.created", payment)
    invoices.record_change(session, invoice, before)
    return payment


# --- batch reads for the dataloaders ---------------------------------------------------------


# A payment as a lean row (read-only, the model's attribute names): what the loaders hand
# to shapes and GraphQL fields, which only read it.
PAYMENT_COLUMNS = columns_of(Payment)


async def payments_by_invoice_ids(
    *, session: AsyncSession, principal: Principal, ids: Sequence[int], limit: int | None = None
) -> list[list[Payment]]:
    """Each invoice's payments, newest recorded first (the ``limit`` newest when given)."""
    stmt = _by_invoice_ids_statement(is_postgres(session), limit is not None)
    params = _batch_params(principal, ids, limit)
    return grouped_by(ids, await lean_rows(session, stmt, params), "invoice_id")


@functools.cache
def _by_invoice_ids_statement(postgres: bool, limited: bool) -> Select[Any]:
    stmt = (
        select(*PAYMENT_COLUMNS)
        .where(
            in_team(Payment),
            one_of_bound(col(Payment.invoice_id), "ids", postgres=postgres),
        )
        .order_by(col(Payment.id).desc())
    )
    return newest_of_each(stmt, col(Payment.id), col(Payment.invoice_id)) if limited else stmt


async def payments_by_customer_ids(
    *, session: AsyncSession, principal: Principal, ids: Sequence[int], limit: int | None = None
) -> list[list[Payment]]:
    """Each customer's payment history, newest recorded first, as on each invoice
    (deleted invoices' payments included; the ``limit`` newest when given)."""
    stmt = _by_customer_ids_statement(is_postgres(session), limit is not None)
    params = _batch_params(principal, ids, limit)
    return grouped_by(ids, await lean_rows(session, stmt, params), "payer_id")


@functools.cache
def _by_customer_ids_statement(postgres: bool, limited: bool) -> Select[Any]:
    stmt = (
        select(*PAYMENT_COLUMNS, col(Invoice.customer_id).label("payer_id"))
        .join(Invoice, col(Invoice.id) == col(Payment.invoice_id))
        .where(
            in_team(Payment),
            one_of_bound(col(Invoice.customer_id), "ids", postgres=postgres),
        )
        .order_by(col(Payment.id).desc())
    )
    return newest_of_each(stmt, col(Payment.id), col(Invoice.customer_id)) if limited else stmt


def _batch_params(principal: Principal, ids: Sequence[int], limit: int | None) -> dict[str, Any]:
    params: dict[str, Any] = {"team_id": principal.team_id, "ids": [int(i) for i in ids]}
    if limit is not None:
        params["first"] = limit
    return params


async def record_stripe_checkout(
    session: AsyncSession,
    *,
    invoice_id: int,
    team_id: int,
    amount_minor: int,
    currency: str,
    reference: str | None,
) -> Payment | None:
    """A completed Stripe Checkout for one of our invoices becomes a payment of the whole
    amount received.

    The event comes from Stripe, not from a user, so the invoice is found by the team
    named in the session's metadata. The invoice takes what it is owed; anything beyond
    (paid twice, or more than was left; or paid once it was cancelled or deleted) is kept as
    its ``amount_overpaid``, never dropped (API-documents.md §3). A payment intent already
    recorded on the invoice (another event of the same payment) records nothing again. An
    event naming no invoice of that team, or another currency, is refused (BadRequest:
    Stripe retries it, and the dashboard shows it) and records nothing.
    """
    invoice = (
        await session.execute(
            select(Invoice)
            .where(col(Invoice.id) == invoice_id, col(Invoice.team_id) == team_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if invoice is None:
        raise BadRequest(f"The checkout names invoice {invoice_id} of team {team_id}: none.")
    if invoice.currency.upper() != currency.upper():
        raise BadRequest(
            f"The checkout is in {currency.upper()}; invoice {invoice.invoice_number} is in "
            f"{invoice.currency}."
        )
    if reference is not None and await session.scalar(
        select(col(Payment.id)).where(
            col(Payment.invoice_id) == invoice.id,
            col(Payment.method) == "stripe",
            col(Payment.reference) == reference,
        )
    ):
        log.info("stripe payment %.64s of %s recorded already", reference, invoice.invoice_number)
        return None
    received = from_minor_units(amount_minor, invoice.currency)
    if received <= ZERO:
        log.info("stripe checkout of nothing for %s ignored", invoice.invoice_number)
        return None
    if (
        received > invoice.balance_due
        or invoice.status in ("draft", "cancelled")
        or (invoice.deleted_at is not None)
    ):
        log.warning(
            "stripe paid %s for %s (%s, %s due): the excess is kept as overpaid",
            received,
            invoice.invoice_number,
            invoice.status,
            invoice.balance_due,
        )
    return await _receive(
        session,
        invoice,
        received,
        paid_at=invoices.today(),
        method="stripe",
        reference=reference,
        recorded_by=None,
    )
