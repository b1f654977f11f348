"""Response shapes for /api/v1: the reference's fields, as a superset."""

from __future__ import annotations

import asyncio
from typing import Any

from invoiceflow.context import Context
from invoiceflow.models import Customer, Invoice, InvoiceItem
from invoiceflow.resolvers.invoices import effective_status
from invoiceflow.resolvers.teams import TeamView


def _customer_ref(customer: Customer | None) -> dict[str, Any] | None:
    if customer is None:
        return None
    return {"id": customer.id, "name": customer.company_name}


def _invoice_fields(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.id,
        "invoice_number": invoice.invoice_number,
        "status": effective_status(invoice),
        "customer_id": invoice.customer_id,
        "subtotal": invoice.subtotal,
        "tax": invoice.tax,
        "total": invoice.total,
        "amount_paid": invoice.amount_paid,
        "balance_due": invoice.balance_due,
        "currency": invoice.currency,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "created_at": invoice.created_at,
    }


def item(line: InvoiceItem) -> dict[str, Any]:
    return {
        "id": line.id,
        "description": line.description,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "tax_rate": line.tax_rate,
        "amount": line.amount,
        "tax": line.tax_amount,
    }


async def invoice_summary(ctx: Context, invoice: Invoice) -> dict[str, Any]:
    customer = await ctx.loaders.customer.load(invoice.customer_id)
    return {**_invoice_fields(invoice), "customer": _customer_ref(customer)}


async def invoice_detail(ctx: Context, invoice: Invoice) -> dict[str, Any]:
    customer, lines = await asyncio.gather(
        ctx.loaders.customer.load(invoice.customer_id),
        ctx.loaders.invoice_items.load(invoice.id),
    )
    customer_block = _customer_ref(customer)
    if customer is not None and customer_block is not None:
        customer_block |= {
            "company_name": customer.company_name,
            "contact_name": customer.contact_name,
            "email": customer.email,
        }
    return {
        **_invoice_fields(invoice),
        "customer": customer_block,
        "items": [item(line) for line in lines],
        "notes": invoice.notes,
        "payment_link_url": invoice.payment_link_url,
        "sent_at": invoice.sent_at,
        "paid_at": invoice.paid_at,
        "updated_at": invoice.updated_at,
    }


def _customer_fields(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "company_name": customer.company_name,
        "contact_name": customer.contact_name,
        "email": customer.email,
        "phone": customer.phone,
        "address_line1": customer.address_line1,
        "address_line2": customer.address_line2,
        "city": customer.city,
        "state": customer.state,
        "postal_code": customer.postal_code,
        "country": customer.country,
        "currency": customer.currency,
        "notes": customer.notes,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
    }


async def customer_summary(ctx: Context, customer: Customer) -> dict[str, Any]:
    total = await ctx.loaders.customer_total_invoiced.load(customer.id)
    return {**_customer_fields(customer), "total_invoiced": total}


async def customer_detail(ctx: Context, customer: Customer) -> dict[str, Any]:
    total, recent = await asyncio.gather(
        ctx.loaders.customer_total_invoiced.load(customer.id),
        ctx.loaders.customer_recent_invoices.load(customer.id),
    )
    return {
        **_customer_fields(customer),
        "total_invoiced": total,
        "recent_invoices": [
            {
                "id": invoice.id,
                "invoice_number": invoice.invoice_number,
                "status": effective_status(invoice),
                "total": invoice.total,
                "balance_due": invoice.balance_due,
                "currency": invoice.currency,
                "issue_date": invoice.issue_date,
                "due_date": invoice.due_date,
            }
            for invoice in recent
        ],
    }


async def team(ctx: Context, view: TeamView) -> dict[str, Any]:
    return {
        "id": view.id,
        "name": view.name,
        "is_current": view.is_current,
        "is_owner": view.is_owner,
        "role": view.role,
        "plan": {"name": view.plan_name},
        "currency": view.team.currency,
        "payment_terms_days": view.team.payment_terms_days,
        "stripe_account_id": view.team.stripe_account_id,
    }
