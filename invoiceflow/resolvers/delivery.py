"""Getting paid: an invoice mailed as a PDF, and a Stripe payment link for its balance."""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from invoiceflow.core.effects import Attachment, CheckoutRequest, Effects, Mail
from invoiceflow.core.errors import InvalidState, UpstreamError, ValidationFailed
from invoiceflow.core.money import format_money, to_minor_units
from invoiceflow.core.principal import Principal, require_writer
from invoiceflow.models import Customer, EmailDelivery, Invoice, Team
from invoiceflow.models.sql import grouped_by, in_team, is_postgres, newest_of_each, one_of_bound
from invoiceflow.models.types import utcnow
from invoiceflow.resolvers import documents, events, invoices


@dataclass(frozen=True, slots=True)
class Delivered:
    invoice: Invoice
    recipient: str


@dataclass(frozen=True, slots=True)
class PaymentLink:
    invoice: Invoice
    url: str
    recipient: str


async def send_invoice_email(
    *, session: AsyncSession, principal: Principal, invoice_id: int, effects: Effects
) -> Delivered:
    """Mail the invoice with its PDF to the customer; a draft becomes sent."""
    require_writer(principal)
    invoice = await invoices.get_invoice(
        session=session, principal=principal, invoice_id=invoice_id, for_update=True
    )
    if invoice.status == "cancelled":
        raise InvalidState("A cancelled invoice cannot be sent.")
    team, customer, recipient = await _parties(session, principal, invoice)
    before = events.snapshot(invoice)
    _mark_sent(invoice)
    document = await documents.render_invoice(session, principal, invoice)
    mail = _invoice_mail(team, customer, invoice, recipient, document)
    await _deliver(session, effects, invoice, mail, kind="invoice")
    _record(session, invoice, before, "invoice.emailed")
    return Delivered(invoice=invoice, recipient=recipient)


async def send_payment_link(
    *, session: AsyncSession, principal: Principal, invoice_id: int, effects: Effects
) -> PaymentLink:
    """A Stripe Checkout link for the balance due, stored on the invoice and mailed."""
    require_writer(principal)
    invoice = await invoices.get_invoice(
        session=session, principal=principal, invoice_id=invoice_id, for_update=True
    )
    if invoice.status in ("paid", "cancelled"):
        raise InvalidState(f"A {invoice.status} invoice has nothing left to pay.")
    team, customer, recipient = await _parties(session, principal, invoice)
    if not effects.payments.configured:
        raise InvalidState("Stripe is not configured on this server (STRIPE_API_KEY is unset).")
    if not team.stripe_account_id:
        raise InvalidState(
            "Stripe is not configured for this team: connect an account with updateTeamSettings."
        )
    amount = to_minor_units(invoice.balance_due, invoice.currency)
    if amount <= 0:
        raise InvalidState("This invoice has no balance due.")
    url = await effects.payments.checkout_url(
        CheckoutRequest(
            account=team.stripe_account_id,
            amount_minor=amount,
            currency=invoice.currency,
            description=f"Invoice {invoice.invoice_number} from {team.name}",
            customer_email=recipient,
            metadata={
                "invoice_id": str(invoice.id),
                "team_id": str(team.id),
                "invoice_number": invoice.invoice_number,
            },
            success_url=f"{effects.public_url}/payments/thanks?invoice={invoice.invoice_number}",
            cancel_url=f"{effects.public_url}/payments/cancelled?invoice={invoice.invoice_number}",
        )
    )
    before = events.snapshot(invoice)
    invoice.payment_link_url = url
    _mark_sent(invoice)
    document = await documents.render_invoice(session, principal, invoice)
    mail = _invoice_mail(team, customer, invoice, recipient, document)
    await _deliver(session, effects, invoice, mail, kind="payment_link")
    _record(session, invoice, before, "invoice.payment_link_created")
    return PaymentLink(invoice=invoice, url=url, recipient=recipient)


async def _parties(
    session: AsyncSession, principal: Principal, invoice: Invoice
) -> tuple[Team, Customer, str]:
    team = await session.get(Team, principal.team_id)
    customer = await session.get(Customer, invoice.customer_id)
    assert team is not None and customer is not None and customer.team_id == team.id
    if not customer.email:
        raise ValidationFailed.on("email", "The customer has no email address to send to.")
    return team, customer, customer.email


def _record(session: AsyncSession, invoice: Invoice, before: dict[str, Any], type_: str) -> None:
    """``type_``, and the move to sent when the invoice was a draft."""
    if before["status"] == "draft":
        events.record(session, "invoice.sent", invoice, before=before)
    events.record(session, type_, invoice, before=before)


def _mark_sent(invoice: Invoice) -> None:
    if invoice.status == "draft":
        invoice.status = "sent"
        invoice.sent_at = utcnow()
    invoice.updated_at = utcnow()


async def _deliver(
    session: AsyncSession, effects: Effects, invoice: Invoice, mail: Mail, *, kind: str
) -> None:
    """Send, and record the attempt. A failure is recorded outside the request's
    transaction (which rolls back, leaving the invoice unchanged)."""
    assert invoice.id is not None
    record = EmailDelivery(
        team_id=invoice.team_id,
        invoice_id=invoice.id,
        kind=kind,
        recipient=mail.to,
        subject=mail.subject,
        status="failed",
    )
    try:
        record.status = await effects.mailer.send(mail)
    except UpstreamError as exc:
        record.error = exc.message[:1000]
        # Roll back first: the request's transaction holds the invoice's row lock (and, on
        # SQLite, the database's write lock), which the journal's own insert would wait on.
        await session.rollback()
        await effects.journal.record(record)
        raise
    session.add(record)
    await session.flush()


def _invoice_mail(
    team: Team, customer: Customer, invoice: Invoice, recipient: str, pdf: documents.Document
) -> Mail:
    greeting = customer.contact_name or customer.company_name
    total = format_money(invoice.balance_due, invoice.currency)
    paragraphs = [
        f"Hello {greeting},",
        f"please find attached invoice {invoice.invoice_number} from {team.name}. "
        f"The amount due is {total}, payable by {invoice.due_date.isoformat()}.",
    ]
    if invoice.payment_link_url:
        paragraphs.append(f"You can pay online: {invoice.payment_link_url}")
    paragraphs += ["Thank you for your business.", team.name]
    text = "\n\n".join(paragraphs) + "\n"
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    if invoice.payment_link_url:
        link = html.escape(invoice.payment_link_url, quote=True)
        body = body.replace(html.escape(invoice.payment_link_url), f'<a href="{link}">{link}</a>')
    return Mail(
        to=recipient,
        subject=f"Invoice {invoice.invoice_number} from {team.name}",
        text=text,
        html=f"<!doctype html><html><body>{body}</body></html>",
        attachments=(Attachment(pdf.filename, pdf.content, pdf.media_type),),
    )


async def emails_by_invoice_ids(
    *, session: AsyncSession, principal: Principal, ids: Sequence[int], limit: int | None = None
) -> list[list[EmailDelivery]]:
    """Each invoice's delivery attempts, newest first (the ``limit`` newest when given)."""
    stmt = _emails_statement(is_postgres(session), limit is not None)
    params: dict[str, Any] = {"team_id": principal.team_id, "ids": [int(i) for i in ids]}
    if limit is not None:
        params["first"] = limit
    return grouped_by(ids, (await session.execute(stmt, params)).scalars(), "invoice_id")


@functools.cache
def _emails_statement(postgres: bool, limited: bool) -> Select[EmailDelivery]:
    """Built once per database kind; bound with ``team_id``, ``ids`` (and ``first``)."""
    stmt = (
        select(EmailDelivery)
        .where(
            in_team(EmailDelivery),
            one_of_bound(col(EmailDelivery.invoice_id), "ids", postgres=postgres),
        )
        .order_by(col(EmailDelivery.id).desc())
    )
    return (
        newest_of_each(stmt, col(EmailDelivery.id), col(EmailDelivery.invoice_id))
        if limited
        else stmt
    )
