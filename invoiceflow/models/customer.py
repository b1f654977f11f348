"""Customers of a team."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from invoiceflow.models.types import UTCDateTime, utcnow


class Customer(SQLModel, table=True):
    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_team_id_id", "team_id", "id"),
        # Counts the live rows of a team from the index alone (see migration 0006).
        Index("ix_customers_team_live", "team_id", "deleted_at"),
    )

    # The columns neither API shows (models/shown.py); the others are shown in this order.
    PRIVATE: ClassVar = ("team_id", "deleted_at")

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id")
    company_name: str = Field(max_length=255)
    contact_name: str | None = Field(default=None, max_length=255)
    email: str | None = Field(default=None, max_length=255)
    phone: str | None = Field(default=None, max_length=50)
    address_line1: str | None = Field(default=None, max_length=255)
    address_line2: str | None = Field(default=None, max_length=255)
    city: str | None = Field(default=None, max_length=100)
    state: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, max_length=100)
    currency: str = Field(max_length=3)
    notes: str | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
