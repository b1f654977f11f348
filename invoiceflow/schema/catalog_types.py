"""Strawberry types for products, stock movements, estimates and payments."""

from __future__ import annotations

import datetime as dt
import decimal
from enum import Enum

import strawberry

from invoiceflow.models import Estimate as EstimateModel
from invoiceflow.models import EstimateItem as EstimateItemModel
from invoiceflow.models import Payment as PaymentModel
from invoiceflow.models import Product as ProductModel
from invoiceflow.resolvers.lines import MAX_LINES
from invoiceflow.resolvers.pagination import Page
from invoiceflow.schema.prefetch import newest, relation
from invoiceflow.schema.types import CustomerType, InvoiceType, PageInfo


@strawberry.enum
class ProductType(Enum):
    PRODUCT = "product"
    SERVICE = "service"


@strawberry.enum
class EstimateStatus(Enum):
    DRAFT = "draft"
    SENT = "sent"
    APPROVED = "approved"
    REJECTED = "rejected"
    CONVERTED = "converted"


@strawberry.enum
class PaymentMethod(Enum):
    BANK_TRANSFER = "bank_transfer"
    CARD = "card"
    CASH = "cash"
    CHECK = "check"
    STRIPE = "stripe"
    OTHER = "other"


@strawberry.type(name="StockMovement")
class StockMovementType:
    id: strawberry.ID
    adjustment: int
    reason: str | None
    quantity_after: int
    created_at: dt.datetime

    @strawberry.field
    def user_id(self, root: strawberry.Parent[object]) -> strawberry.ID | None:
        user_id = getattr(root, "user_id", None)
        return strawberry.ID(str(user_id)) if user_id is not None else None


@strawberry.type(name="Product")
class ProductType_:
    id: strawberry.ID
    name: str
    description: str | None
    sku: str | None
    price: decimal.Decimal
    unit: str | None
    active: bool
    tax_rate: decimal.Decimal | None
    stock_quantity: int | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @strawberry.field
    def type(self, root: strawberry.Parent[ProductModel]) -> ProductType:
        return ProductType(root.type)

    stock_movements: list[StockMovementType] = newest(
        "stock_movements", "id", description="Stock changes, newest first."
    )


@strawberry.type(name="Payment")
class PaymentType:
    id: strawberry.ID
    invoice_id: strawberry.ID
    amount: decimal.Decimal
    paid_at: dt.date
    reference: str | None
    created_at: dt.datetime

    @strawberry.field
    def method(self, root: strawberry.Parent[PaymentModel]) -> PaymentMethod:
        return PaymentMethod(root.method)

    invoice: InvoiceType = relation("invoice", "invoice_id")


@strawberry.type(name="EstimateItem")
class EstimateItemType:
    id: strawberry.ID
    product_id: strawberry.ID | None
    description: str
    quantity: decimal.Decimal
    unit_price: decimal.Decimal
    tax_rate: decimal.Decimal
    amount: decimal.Decimal

    @strawberry.field(metadata={"reads": ("tax_amount",)})
    def tax(self, root: strawberry.Parent[EstimateItemModel]) -> decimal.Decimal:
        return root.tax_amount

    product: ProductType_ | None = relation(
        "product",
        "product_id",
        description="The product this line was made from (even if deleted since).",
    )


@strawberry.type(name="Estimate")
class EstimateType:
    id: strawberry.ID
    estimate_number: str
    customer_id: strawberry.ID
    subtotal: decimal.Decimal
    tax: decimal.Decimal
    total: decimal.Decimal
    currency: str
    issue_date: dt.date
    expiry_date: dt.date | None
    notes: str | None
    converted_invoice_id: strawberry.ID | None
    converted_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @strawberry.field(description="Where to download this estimate as a PDF (same key).")
    def pdf_url(self, root: strawberry.Parent[EstimateModel]) -> str:
        return f"/api/v1/estimates/{root.id}/pdf"

    @strawberry.field
    def status(self, root: strawberry.Parent[EstimateModel]) -> EstimateStatus:
        return EstimateStatus(root.status)

    customer: CustomerType = relation("customer", "customer_id")

    items: list[EstimateItemType] = relation("estimate_items", "id", cap=MAX_LINES)

    converted_invoice: InvoiceType | None = relation("invoice", "converted_invoice_id")


@strawberry.type
class ProductPage:
    items: list[ProductType_]

    @strawberry.field
    def page_info(self, root: strawberry.Parent[Page[ProductModel]]) -> PageInfo:
        return PageInfo.of(root)  # type: ignore[arg-type]


@strawberry.type
class EstimatePage:
    items: list[EstimateType]

    @strawberry.field
    def page_info(self, root: strawberry.Parent[Page[EstimateModel]]) -> PageInfo:
        return PageInfo.of(root)  # type: ignore[arg-type]
