"""Strawberry inputs. They carry what was sent, untouched: resolvers validate it.

Optional fields default to UNSET so an update changes only the fields a client sent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry import UNSET

from invoiceflow.schema.catalog_types import ProductType
from invoiceflow.schema.estimate_types import EstimateStatus
from invoiceflow.schema.types import InvoiceStatus, PaymentMethod


@strawberry.input(description="A line; with productId, description, price and tax default from it.")
class LineItemInput:
    quantity: decimal.Decimal
    description: str | None = UNSET
    unit_price: decimal.Decimal | None = UNSET
    tax_rate: decimal.Decimal | None = UNSET
    product_id: strawberry.ID | None = UNSET


@strawberry.input
class InvoiceInput:
    customer_id: strawberry.ID
    items: list[LineItemInput]
    issue_date: dt.date | None = UNSET
    due_date: dt.date | None = UNSET
    notes: str | None = UNSET
    currency: str | None = UNSET
    status: InvoiceStatus | None = UNSET


@strawberry.input
class InvoiceUpdateInput:
    customer_id: strawberry.ID | None = UNSET
    items: list[LineItemInput] | None = UNSET
    issue_date: dt.date | None = UNSET
    due_date: dt.date | None = UNSET
    notes: str | None = UNSET
    currency: str | None = UNSET
    status: InvoiceStatus | None = UNSET


@strawberry.input
class CustomerFields:
    contact_name: str | None = UNSET
    email: str | None = UNSET
    phone: str | None = UNSET
    address_line1: str | None = UNSET
    address_line2: str | None = UNSET
    city: str | None = UNSET
    state: str | None = UNSET
    postal_code: str | None = UNSET
    country: str | None = UNSET
    currency: str | None = UNSET
    notes: str | None = UNSET


@strawberry.input
class CustomerInput(CustomerFields):
    company_name: str


@strawberry.input
class CustomerUpdateInput(CustomerFields):
    company_name: str | None = UNSET


@strawberry.input
class TeamSettingsInput:
    name: str | None = UNSET
    payment_terms_days: int | None = UNSET
    stripe_account_id: str | None = UNSET


@strawberry.input
class ProductFields:
    description: str | None = UNSET
    sku: str | None = UNSET
    price: decimal.Decimal | None = UNSET
    unit: str | None = UNSET
    active: bool | None = UNSET
    tax_rate: decimal.Decimal | None = UNSET


@strawberry.input
class ProductInput(ProductFields):
    name: str
    type: ProductType | None = UNSET
    stock_quantity: int | None = UNSET


@strawberry.input
class ProductUpdateInput(ProductFields):
    name: str | None = UNSET


@strawberry.input
class EstimateInput:
    customer_id: strawberry.ID
    items: list[LineItemInput]
    issue_date: dt.date | None = UNSET
    expiry_date: dt.date | None = UNSET
    notes: str | None = UNSET
    currency: str | None = UNSET
    status: EstimateStatus | None = UNSET


@strawberry.input
class EstimateUpdateInput:
    customer_id: strawberry.ID | None = UNSET
    items: list[LineItemInput] | None = UNSET
    issue_date: dt.date | None = UNSET
    expiry_date: dt.date | None = UNSET
    notes: str | None = UNSET
    currency: str | None = UNSET
    status: EstimateStatus | None = UNSET


@strawberry.input
class PaymentInput:
    amount: decimal.Decimal
    paid_at: dt.date | None = UNSET
    method: PaymentMethod | None = UNSET
    reference: str | None = UNSET


def to_data(value: Any) -> Any:
    """An input object as the plain dict a resolver takes: sent fields only, snake_case."""
    if isinstance(value, list):
        return [to_data(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_data(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not UNSET
        }
    return value
