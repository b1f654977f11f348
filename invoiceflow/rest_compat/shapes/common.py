"""Pieces shared by several shapes: lines, payments, customer references."""

from __future__ import annotations

import datetime as dt
from typing import NotRequired

from typing_extensions import TypedDict

from invoiceflow.models import Customer, LineItemBase, Payment


class CustomerRef(TypedDict):
    id: int
    name: str
    company_name: NotRequired[str]
    contact_name: NotRequired[str | None]
    email: NotRequired[str | None]


class LineItemOut(TypedDict):
    id: int
    product_id: int | None
    description: str
    quantity: float
    unit_price: float
    tax_rate: float
    amount: float
    tax: float


class PaymentOut(TypedDict):
    id: int
    invoice_id: int
    amount: float
    paid_at: dt.date
    method: str
    reference: str | None
    created_at: dt.datetime


# The customer columns customer_ref reads when not ``full`` (a list's loads declare them),
# and when ``full`` (an invoice shown by id reads them with it).
CUSTOMER_REF_COLUMNS = ("company_name",)
CUSTOMER_FULL_REF_COLUMNS = ("company_name", "contact_name", "email")


def customer_ref(customer: Customer | None, *, full: bool = False) -> CustomerRef | None:
    if customer is None:
        return None
    assert customer.id is not None
    ref: CustomerRef = {"id": customer.id, "name": customer.company_name}  # a list makes 100
    if full:
        ref["company_name"] = customer.company_name
        ref["contact_name"] = customer.contact_name
        ref["email"] = customer.email
    return ref


def line_item(line: LineItemBase, line_id: int | None) -> LineItemOut:
    assert line_id is not None
    return LineItemOut(
        id=line_id,
        product_id=line.product_id,
        description=line.description,
        quantity=float(line.quantity),
        unit_price=float(line.unit_price),
        tax_rate=float(line.tax_rate),
        amount=float(line.amount),
        tax=float(line.tax_amount),
    )


def payment(row: Payment) -> PaymentOut:
    assert row.id is not None
    return PaymentOut(
        id=row.id,
        invoice_id=row.invoice_id,
        amount=float(row.amount),
        paid_at=row.paid_at,
        method=row.method,
        reference=row.reference,
        created_at=row.created_at,
    )
