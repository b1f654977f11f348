"""Printable documents: an invoice or an estimate as a PDF, from the team's own data."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from invoiceflow.core.principal import Principal
from invoiceflow.models import Customer, Estimate, Invoice, LineItemBase, Team
from invoiceflow.pdf import PdfDocument, PdfLine, render
from invoiceflow.resolvers import estimates, invoices


@dataclass(frozen=True, slots=True)
class Document:
    filename: str
    content: bytes
    media_type: str = "application/pdf"


def _buyer(customer: Customer) -> list[str]:
    lines = [
        customer.company_name,
        customer.contact_name,
        customer.address_line1,
        customer.address_line2,
        " ".join(p for p in (customer.postal_code, customer.city, customer.state) if p) or None,
        customer.country,
        customer.email,
        customer.phone,
    ]
    return [line for line in lines if line]


def _lines(items: Sequence[LineItemBase]) -> list[PdfLine]:
    return [
        PdfLine(item.description, item.quantity, item.unit_price, item.tax_rate, item.amount)
        for item in items
    ]


async def _parties(
    session: AsyncSession, principal: Principal, customer_id: int
) -> tuple[Team, Customer]:
    team = await session.get(Team, principal.team_id)
    customer = await session.get(Customer, customer_id)
    assert team is not None and customer is not None and customer.team_id == team.id
    return team, customer


def invoice_document(
    invoice: Invoice, team: Team, customer: Customer, items: Sequence[LineItemBase]
) -> PdfDocument:
    return PdfDocument(
        title="Invoice",
        number=invoice.invoice_number,
        status=invoices.effective_status(invoice),
        currency=invoice.currency,
        issued=invoice.issue_date,
        due_label="Due date",
        due=invoice.due_date,
        seller=team.name,
        buyer=_buyer(customer),
        lines=_lines(items),
        subtotal=invoice.subtotal,
        tax=invoice.tax,
        total=invoice.total,
        paid=invoice.amount_paid,
        balance_due=invoice.balance_due,
        notes=invoice.notes,
        payment_link=invoice.payment_link_url,
        stamp=invoice.updated_at,
    )


async def render_invoice(session: AsyncSession, principal: Principal, invoice: Invoice) -> Document:
    """The invoice as a PDF (rendered off the event loop: it is CPU work)."""
    assert invoice.id is not None
    team, customer = await _parties(session, principal, invoice.customer_id)
    (items,) = await invoices.items_by_invoice_ids(
        session=session, principal=principal, ids=[invoice.id]
    )
    content = await asyncio.to_thread(render, invoice_document(invoice, team, customer, items))
    return Document(f"{invoice.invoice_number}.pdf", content)


async def invoice_pdf(*, session: AsyncSession, principal: Principal, invoice_id: int) -> Document:
    invoice = await invoices.get_invoice(
        session=session, principal=principal, invoice_id=invoice_id
    )
    return await render_invoice(session, principal, invoice)


async def estimate_pdf(
    *, session: AsyncSession, principal: Principal, estimate_id: int
) -> Document:
    estimate: Estimate = await estimates.get_estimate(
        session=session, principal=principal, estimate_id=estimate_id
    )
    assert estimate.id is not None
    team, customer = await _parties(session, principal, estimate.customer_id)
    (items,) = await estimates.items_by_estimate_ids(
        session=session, principal=principal, ids=[estimate.id]
    )
    doc = PdfDocument(
        title="Estimate",
        number=estimate.estimate_number,
        status=estimate.status,
        currency=estimate.currency,
        issued=estimate.issue_date,
        due_label="Valid until",
        due=estimate.expiry_date,
        seller=team.name,
        buyer=_buyer(customer),
        lines=_lines(items),
        subtotal=estimate.subtotal,
        tax=estimate.tax,
        total=estimate.total,
        notes=estimate.notes,
        stamp=estimate.updated_at,
    )
    content = await asyncio.to_thread(render, doc)
    return Document(f"{estimate.estimate_number}.pdf", content)
