"""What left the building: emails sent for invoices, and Stripe events already handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from invoiceflow.models.types import UTCDateTime, utcnow


class EmailDelivery(SQLModel, table=True):
    __tablename__ = "email_deliveries"
    __table_args__ = (Index("ix_email_deliveries_invoice_id", "invoice_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id")
    invoice_id: int = Field(foreign_key="invoices.id")
    kind: str = Field(max_length=20)  # invoice | payment_link
    recipient: str = Field(max_length=255)
    subject: str = Field(max_length=500)
    # sent: accepted by the mail server; logged: no SMTP configured; failed: refused or down
    status: str = Field(max_length=20)
    error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StripeEvent(SQLModel, table=True):
    """Every Stripe event id we have processed: a redelivery finds its row and does nothing."""

    __tablename__ = "stripe_events"

    id: str = Field(primary_key=True, max_length=255)
    type: str = Field(max_length=100)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
