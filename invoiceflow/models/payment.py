"""Payments received against invoices."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from invoiceflow.models.types import Money, UTCDateTime, utcnow


class Payment(SQLModel, table=True):
    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_invoice_id", "invoice_id", "id"),
        Index("ix_payments_team_id_id", "team_id", "id"),
        Index("ix_payments_team_invoice", "team_id", "invoice_id"),
    )

    # The columns neither API shows (models/shown.py); the others are shown in this order.
    PRIVATE: ClassVar = ("team_id", "recorded_by")

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id")
    invoice_id: int = Field(foreign_key="invoices.id")
    amount: Decimal = Field(sa_type=Money(2))
    paid_at: date
    method: str = Field(default="other", max_length=20)
    reference: str | None = Field(default=None, max_length=255)
    recorded_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
