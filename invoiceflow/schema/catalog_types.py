"""Strawberry types for products and their stock movements (nothing of billing: invoices and
estimates name products, products name neither)."""

from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry

from invoiceflow.models import Product as ProductModel
from invoiceflow.resolvers.pagination import Page
from invoiceflow.schema.entities import shows
from invoiceflow.schema.event_types import EventConnection, object_events
from invoiceflow.schema.pages import PageInfo
from invoiceflow.schema.relations import newest


@strawberry.enum
class ProductType(Enum):
    PRODUCT = "product"
    SERVICE = "service"


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
@shows(ProductModel)
class ProductType_:
    events: EventConnection = object_events("product")

    @strawberry.field
    def type(self, root: strawberry.Parent[ProductModel]) -> ProductType:
        return ProductType(root.type)

    stock_movements: list[StockMovementType] = newest(
        "stock_movements", "id", description="Stock changes, newest first."
    )


@strawberry.type
class ProductPage:
    items: list[ProductType_]

    @strawberry.field
    def page_info(self, root: strawberry.Parent[Page[ProductModel]]) -> PageInfo:
        return PageInfo.of(root)  # type: ignore[arg-type]
