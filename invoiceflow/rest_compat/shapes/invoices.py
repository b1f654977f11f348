"""Invoices, customers and payments as REST shows them."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any

from typing_extensions import TypedDict

from invoiceflow.context import Context
from invoiceflow.models import Customer, Invoice, Payment
from invoiceflow.resolvers.delivery import Delivered, PaymentLink
from invoiceflow.resolvers.invoices import STATUS_COLUMNS, effective_status, today
from invoiceflow.rest_compat.shapes.common import (
    CustomerRef,
    LineItemOut,
    PaymentOut,
    customer_ref,
    line_item,
    payment,
)


class InvoiceSummary(TypedDict):
    id: int
    invoice_number: str
    status: str
    customer_id: int
    customer: CustomerRef | None
    subtotal: float
    tax: float
    total: float
    amount_paid: float
    balance_due: float
    currency: str
    issue_date: dt.date
    due_date: dt.date
    created_at: dt.datetime


class InvoiceDetail(InvoiceSummary):
    items: list[LineItemOut]
    payments: list[PaymentOut]
    # received beyond the total (a Stripe payment over the balance due), kept, not dropped
    amount_overpaid: float
    notes: str | None
    payment_link_url: str | None
    estimate_id: int | None
    sent_at: dt.datetime | None
    paid_at: dt.datetime | None
    updated_at: dt.datetime


# The columns _summary reads: all a list route reads.
SUMMARY_COLUMNS = tuple(
    dict.fromkeys(
        (
            "id",
            "invoice_number",
            "customer_id",
            "subtotal",
            "tax",
            "total",
            "amount_paid",
            "balance_due",
            "currency",
            "issue_date",
            "due_date",
            "created_at",
            *STATUS_COLUMNS,
        )
    )
)


def _summary(
    invoice: Invoice, customer: CustomerRef | None, on: dt.date | None = None
) -> InvoiceSummary:
    """A dict literal: a list builds 100 of them, and the TypedDict's call took half again
    as long. ``on`` is the day the status is judged on (today when None)."""
    assert invoice.id is not None
    return {
        "id": invoice.id,
        "invoice_number": invoice.invoice_number,
        "status": effective_status(invoice, on),
        "customer_id": invoice.customer_id,
        "customer": customer,
        "subtotal": float(invoice.subtotal),
        "tax": float(invoice.tax),
        "total": float(invoice.total),
        "amount_paid": float(invoice.amount_paid),
        "balance_due": float(invoice.balance_due),
        "currency": invoice.currency,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "created_at": invoice.created_at,
    }


async def invoice_summaries(ctx: Context, invoices: list[Invoice]) -> list[InvoiceSummary]:
    customers = await ctx.loaders.customer.load_all({i.customer_id for i in invoices})
    on = today()  # one day for the whole page, even across midnight
    return [_summary(i, customer_ref(customers[i.customer_id]), on) for i in invoices]


async def invoice_detail(ctx: Context, invoice: Invoice) -> InvoiceDetail:
    assert invoice.id is not None
    customer, lines, paid = await asyncio.gather(
        ctx.loaders.customer.load(invoice.customer_id),
        ctx.loaders.invoice_items.load(invoice.id),
        ctx.loaders.invoice_payments.load(invoice.id),
    )
    return InvoiceDetail(
        **_summary(invoice, customer_ref(customer, full=True)),
        items=[line_item(line, line.id) for line in lines],
        payments=[payment(p) for p in paid],
        amount_overpaid=float(invoice.amount_overpaid),
        notes=invoice.notes,
        payment_link_url=invoice.payment_link_url,
        estimate_id=invoice.estimate_id,
        sent_at=invoice.sent_at,
        paid_at=invoice.paid_at,
        updated_at=invoice.updated_at,
    )


class PaymentWithInvoice(PaymentOut):
    invoice: InvoiceDetail


async def payment_with_invoice(ctx: Context, row: Payment) -> PaymentWithInvoice:
    invoice = await ctx.loaders.invoice.load(row.invoice_id)
    assert invoice is not None
    return PaymentWithInvoice(**payment(row), invoice=await invoice_detail(ctx, invoice))


class CustomerSummary(TypedDict):
    id: int
    company_name: str
    contact_name: str | None
    email: str | None
    phone: str | None
    address_line1: str | None
    address_line2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str | None
    currency: str
    notes: str | None
    total_invoiced: float
    created_at: dt.datetime
    updated_at: dt.datetime


class RecentInvoice(TypedDict):
    id: int
    invoice_number: str
    status: str
    total: float
    balance_due: float
    currency: str
    issue_date: dt.date
    due_date: dt.date


class CustomerDetail(CustomerSummary):
    recent_invoices: list[RecentInvoice]
    payments: list[PaymentOut]


def _customer(customer: Customer, total_invoiced: float) -> CustomerSummary:
    assert customer.id is not None
    return CustomerSummary(
        id=customer.id,
        company_name=customer.company_name,
        contact_name=customer.contact_name,
        email=customer.email,
        phone=customer.phone,
        address_line1=customer.address_line1,
        address_line2=customer.address_line2,
        city=customer.city,
        state=customer.state,
        postal_code=customer.postal_code,
        country=customer.country,
        currency=customer.currency,
        notes=customer.notes,
        total_invoiced=total_invoiced,
        created_at=customer.created_at,
        updated_at=customer.updated_at,
    )


async def customer_summaries(ctx: Context, customers: list[Customer]) -> list[CustomerSummary]:
    totals: dict[Any, Decimal] = await ctx.loaders.customer_total_invoiced.load_all(
        c.id for c in customers if c.id is not None
    )
    return [_customer(c, float(totals[c.id])) for c in customers]


async def customer_detail(ctx: Context, customer: Customer) -> CustomerDetail:
    assert customer.id is not None
    total, recent, paid = await asyncio.gather(
        ctx.loaders.customer_total_invoiced.load(customer.id),
        ctx.loaders.customer_recent_invoices.load(customer.id),
        ctx.loaders.customer_payments.load(customer.id),
    )
    return CustomerDetail(
        **_customer(customer, float(total)),
        recent_invoices=[_recent(invoice) for invoice in recent],
        payments=[payment(p) for p in paid],
    )


def _recent(invoice: Invoice) -> RecentInvoice:
    assert invoice.id is not None
    return RecentInvoice(
        id=invoice.id,
        invoice_number=invoice.invoice_number,
        status=effective_status(invoice),
        total=float(invoice.total),
        balance_due=float(invoice.balance_due),
        currency=invoice.currency,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
    )


class DeliveredOut(TypedDict):
    recipient: str
    invoice: InvoiceDetail


async def delivered(ctx: Context, result: Delivered) -> DeliveredOut:
    return DeliveredOut(
        recipient=result.recipient, invoice=await invoice_detail(ctx, result.invoice)
    )


class PaymentLinkOut(TypedDict):
    url: str
    recipient: str
    invoice: InvoiceDetail


async def payment_link(ctx: Context, result: PaymentLink) -> PaymentLinkOut:
    return PaymentLinkOut(
        url=result.url,
        recipient=result.recipient,
        invoice=await invoice_detail(ctx, result.invoice),
    )
