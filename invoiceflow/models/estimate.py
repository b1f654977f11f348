"""Estimates (quotes) and their line items."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from invoiceflow.models.invoice import LineItemBase
from invoiceflow.models.types import Money, UTCDateTime, utcnow


class Estimate(SQLModel, table=True):
    __tablename__ = "estimates"
    __table_args__ = (
        UniqueConstraint("team_id", "number", name="uq_estimates_team_number"),
        Index("ix_estimates_team_id_id", "team_id", "id"),
        Index("ix_estimates_team_status", "team_id", "status"),
        Index("ix_estimates_team_customer", "team_id", "customer_id"),
        Index("ix_estimates_team_expiry", "team_id", "expiry_date"),
        Index("ix_estimates_team_live", "team_id", "deleted_at"),
    )

    # The columns neither API shows (models/shown.py); the others are shown in this order.
    PRIVATE: ClassVar = ("team_id", "number", "deleted_at")

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id")
    number: int
    estimate_number: str = Field(max_length=32)
    customer_id: int = Field(foreign_key="customers.id")
    # draft, sent, approved, rejected, converted
    status: str = Field(default="draft", max_length=20)
    subtotal: Decimal = Field(default=Decimal("0.00"), sa_type=Money(2))
    tax: Decimal = Field(default=Decimal("0.00"), sa_type=Money(2))
    total: Decimal = Field(default=Decimal("0.00"), sa_type=Money(2))
    currency: str = Field(max_length=3)
    issue_date: date
    expiry_date: date | None = Field(default=None)
    notes: str | None = Field(default=None)
    # No FK here: invoices.estimate_id points back, and a cycle would complicate migrations.
    converted_invoice_id: int | None = Field(default=None)
    converted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class EstimateItem(LineItemBase, table=True):
    __tablename__ = "estimate_items"
    __table_args__ = (Index("ix_estimate_items_estimate_id", "estimate_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    estimate_id: int = Field(foreign_key="estimates.id", ondelete="CASCADE")
