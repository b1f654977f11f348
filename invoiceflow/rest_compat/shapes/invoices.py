"""Invoices, customers and payments as REST shows them."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from invoiceflow.context import Context
from invoiceflow.models import Customer, Invoice, Payment
from invoiceflow.resolvers.delivery import Delivered, PaymentLink
from invoiceflow.resolvers.invoices import STATUS_COLUMNS, effective_status, today
from invoiceflow.rest_compat.shapes.common import (
    CUSTOMER_FULL_REF,
    CUSTOMER_REF,
    LINE_ITEM,
    PAYMENT,
    customer_ref,
)
from invoiceflow.rest_compat.shapes.fields import (
    Many,
    Maybe,
    Shape,
    answers,
    columns,
    given,
    rest_of,
)

Object = dict[str, Any]

INVOICE_SUMMARY = Shape(
    "InvoiceSummary",
    columns(Invoice, "id", "invoice_number"),
    given("status", str, reads=STATUS_COLUMNS),
    columns(Invoice, "customer_id"),
    given("customer", Maybe(CUSTOMER_FULL_REF)),
    columns(
        Invoice,
        "subtotal",
        "tax",
        "total",
        "amount_paid",
        "balance_due",
        "currency",
        "issue_date",
        "due_date",
        "created_at",
    ),
)
# The summary, its lines and payments, then every other column the invoice shows.
INVOICE_DETAIL = Shape(
    "InvoiceDetail",
    INVOICE_SUMMARY.keys,
    given("items", Many(LINE_ITEM)),
    given("payments", Many(PAYMENT)),
    rest_of(Invoice, INVOICE_SUMMARY.keys),
)


@answers(
    INVOICE_SUMMARY,
    INVOICE_SUMMARY.reading(
        "invoices", {"invoices.customer": CUSTOMER_REF, "customer": CUSTOMER_REF}, as_floats=True
    ),
)
async def invoice_summaries(ctx: Context, invoices: list[Invoice]) -> list[Object]:
    customers = await ctx.loaders.customer.load_all({i.customer_id for i in invoices})
    on = today()  # one day for the whole page, even across midnight
    build = INVOICE_SUMMARY.build
    return [
        build(
            i,
            status=effective_status(i, on),
            customer=customer_ref(customers[i.customer_id]),
        )
        for i in invoices
    ]


@answers(
    INVOICE_DETAIL, INVOICE_DETAIL.reading("invoices", {"invoices.customer": CUSTOMER_FULL_REF})
)
async def invoice_detail(ctx: Context, invoice: Invoice) -> Object:
    assert invoice.id is not None
    customer, lines, paid = await asyncio.gather(
        ctx.loaders.customer.load(invoice.customer_id),
        ctx.loaders.invoice_items.load(invoice.id),
        ctx.loaders.invoice_payments.load(invoice.id),
    )
    return INVOICE_DETAIL.build(
        invoice,
        status=effective_status(invoice),
        customer=customer_ref(customer, full=True),
        items=[LINE_ITEM.build(line) for line in lines],
        payments=[PAYMENT.build(p) for p in paid],
    )


PAYMENT_WITH_INVOICE = Shape("PaymentWithInvoice", PAYMENT.keys, given("invoice", INVOICE_DETAIL))


@answers(PAYMENT_WITH_INVOICE)
async def payment_with_invoice(ctx: Context, row: Payment) -> Object:
    invoice = await ctx.loaders.invoice.load(row.invoice_id)
    assert invoice is not None
    return PAYMENT_WITH_INVOICE.build(row, invoice=await invoice_detail(ctx, invoice))


_STAMPS = columns(Customer, "created_at", "updated_at")
# Every column the customer shows, what it has invoiced, then when it was made and changed.
CUSTOMER_SUMMARY = Shape(
    "CustomerSummary", rest_of(Customer, _STAMPS), given("total_invoiced", float), _STAMPS
)
RECENT_INVOICE = Shape(
    "RecentInvoice",
    columns(Invoice, "id", "invoice_number"),
    given("status", str, reads=STATUS_COLUMNS),
    columns(Invoice, "total", "balance_due", "currency", "issue_date", "due_date"),
)
CUSTOMER_DETAIL = Shape(
    "CustomerDetail",
    CUSTOMER_SUMMARY.keys,
    given("recent_invoices", Many(RECENT_INVOICE)),
    given("payments", Many(PAYMENT)),
)


@answers(CUSTOMER_SUMMARY)
async def customer_summaries(ctx: Context, customers: list[Customer]) -> list[Object]:
    totals: dict[Any, Decimal] = await ctx.loaders.customer_total_invoiced.load_all(
        c.id for c in customers if c.id is not None
    )
    build = CUSTOMER_SUMMARY.build
    return [build(c, total_invoiced=float(totals[c.id])) for c in customers]


@answers(CUSTOMER_DETAIL)
async def customer_detail(ctx: Context, customer: Customer) -> Object:
    assert customer.id is not None
    total, recent, paid = await asyncio.gather(
        ctx.loaders.customer_total_invoiced.load(customer.id),
        ctx.loaders.customer_recent_invoices.load(customer.id),
        ctx.loaders.customer_payments.load(customer.id),
    )
    return CUSTOMER_DETAIL.build(
        customer,
        total_invoiced=float(total),
        recent_invoices=[
            RECENT_INVOICE.build(invoice, status=effective_status(invoice)) for invoice in recent
        ],
        payments=[PAYMENT.build(p) for p in paid],
    )


DELIVERED = Shape("DeliveredOut", given("recipient", str), given("invoice", INVOICE_DETAIL))


@answers(DELIVERED)
async def delivered(ctx: Context, result: Delivered) -> Object:
    return DELIVERED.build(
        result, recipient=result.recipient, invoice=await invoice_detail(ctx, result.invoice)
    )


PAYMENT_LINK = Shape(
    "PaymentLinkOut",
    given("url", str),
    given("recipient", str),
    given("invoice", INVOICE_DETAIL),
)


@answers(PAYMENT_LINK)
async def payment_link(ctx: Context, result: PaymentLink) -> Object:
    return PAYMENT_LINK.build(
        result,
        url=result.url,
        recipient=result.recipient,
        invoice=await invoice_detail(ctx, result.invoice),
    )
