"""Strawberry types for estimates and their lines."""

from __future__ import annotations

import decimal
from enum import Enum

import strawberry

from invoiceflow.models import Estimate as EstimateModel
from invoiceflow.models import EstimateItem as EstimateItemModel
from invoiceflow.resolvers.lines import MAX_LINES
from invoiceflow.resolvers.pagination import Page
from invoiceflow.schema.catalog_types import ProductType_
from invoiceflow.schema.entities import shows
from invoiceflow.schema.event_types import EventConnection, object_events
from invoiceflow.schema.pages import PageInfo
from invoiceflow.schema.relations import relation
from invoiceflow.schema.types import CustomerType, InvoiceType


@strawberry.enum
class EstimateStatus(Enum):
    DRAFT = "draft"
    SENT = "sent"
    APPROVED = "approved"
    REJECTED = "rejected"
    CONVERTED = "converted"


@strawberry.type(name="EstimateItem")
@shows(EstimateItemModel)
class EstimateItemType:
    @strawberry.field(metadata={"reads": ("tax_amount",)})
    def tax(self, root: strawberry.Parent[EstimateItemModel]) -> decimal.Decimal:
        return root.tax_amount

    product: ProductType_ | None = relation(
        "product",
        "product_id",
        description="The product this line was made from (even if deleted since).",
    )


@strawberry.type(name="Estimate")
@shows(EstimateModel)
class EstimateType:
    events: EventConnection = object_events("estimate")

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
class EstimatePage:
    items: list[EstimateType]

    @strawberry.field
    def page_info(self, root: strawberry.Parent[Page[EstimateModel]]) -> PageInfo:
        return PageInfo.of(root)  # type: ignore[arg-type]
