"""Products and services, and the history of stock movements."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from invoiceflow.models.types import Money, UTCDateTime, utcnow


class Product(SQLModel, table=True):
    __tablename__ = "products"
    __table_args__ = (
        Index("ix_products_team_id_id", "team_id", "id"),
        Index("ix_products_team_type_active", "team_id", "type", "active"),
        Index("ix_products_team_live", "team_id", "deleted_at"),
    )

    # The columns neither API shows (models/shown.py); the others are shown in this order.
    PRIVATE: ClassVar = ("team_id", "deleted_at")

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id")
    type: str = Field(max_length=20)  # product | service
    name: str = Field(max_length=255)
    description: str | None = Field(default=None)
    sku: str | None = Field(default=None, max_length=100)
    price: Decimal = Field(default=Decimal("0"), sa_type=Money(4))
    unit: str | None = Field(default=None, max_length=50)
    active: bool = Field(default=True)
    tax_rate: Decimal | None = Field(default=None, sa_type=Money(4))
    # Products keep a stock count; services have none (NULL).
    stock_quantity: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StockMovement(SQLModel, table=True):
    __tablename__ = "stock_movements"
    __table_args__ = (Index("ix_stock_movements_product_id", "product_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id")
    product_id: int = Field(foreign_key="products.id")
    user_id: int | None = Field(default=None, foreign_key="users.id")
    adjustment: int
    reason: str | None = Field(default=None, max_length=500)
    quantity_after: int
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
