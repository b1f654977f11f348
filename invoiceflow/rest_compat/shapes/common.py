"""Pieces shared by several shapes: lines, payments, customer references."""

from __future__ import annotations

from typing import Any

from invoiceflow.models import Customer, InvoiceItem, Payment
from invoiceflow.rest_compat.shapes.fields import Shape, columns, optional, rest_of

# A customer as a list names it, and as one document shows it (the longer keys absent from
# a list's: its answer reads no more of each customer than its name).
CUSTOMER_REF = Shape("CustomerRef", columns(Customer, "id", name="company_name"))
CUSTOMER_FULL_REF = Shape(
    "CustomerRef",
    CUSTOMER_REF.keys,
    optional(columns(Customer, "company_name", "contact_name", "email")),
)

_LINE_TAX = columns(InvoiceItem, tax="tax_amount")
LINE_ITEM = Shape("LineItemOut", rest_of(InvoiceItem, _LINE_TAX), _LINE_TAX)

PAYMENT = Shape("PaymentOut", rest_of(Payment))


def customer_ref(customer: Any, *, full: bool = False) -> dict[str, Any] | None:
    if customer is None:
        return None
    return (CUSTOMER_FULL_REF if full else CUSTOMER_REF).build(customer)
