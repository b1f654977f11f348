"""Invoices and their line items."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import ColumnElement, Index, UniqueConstraint, type_coerce
from sqlalchemy.ext.hybrid import hybrid_property
from sqlmodel import Field, SQLModel, col

from invoiceflow.models.types import Money, UTCDateTime, utcnow


class Invoice(SQLModel, table=True):
    __tablename__ = "invoices"
    # balance_due (below) is a hybrid: a property of the object and a column of a select.
    model_config = {"ignored_types": (hybrid_property,)}
    __table_args__ = (
        UniqueConstraint("team_id", "number", name="uq_invoices_team_number"),
        Index("ix_invoices_team_id_id", "team_id", "id"),
        Index("ix_invoices_team_status_due", "team_id", "status", "due_date"),
        Index("ix_invoices_team_customer", "team_id", "customer_id"),
        # One per ?sort= field (invoice_number sorts by the unique (team_id, number)).
        Index("ix_invoices_team_issue_date", "team_id", "issue_date"),
        Index("ix_invoices_team_due_date", "team_id", "due_date"),
        Index("ix_invoices_team_total", "team_id", "total"),
        Index("ix_invoices_team_created_at", "team_id", "created_at"),
        # Counts the live rows of a team from the index alone (see migration 0006).
        Index("ix_invoices_team_live", "team_id", "deleted_at"),
    )

    # The columns neither API shows (models/shown.py); the others are shown in this order.
    PRIVATE: ClassVar = ("team_id", "number", "deleted_at")
    SHOWN_AFTER: ClassVar = {"balance_due": "amount_paid"}

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id")
    number: int
    invoice_number: str = Field(max_length=32)
    customer_id: int = Field(foreign_key="customers.id")
    # Stored statuses: draft, sent, partial, paid, cancelled. "overdue" is derived on read.
    status: str = Field(default="draft", max_length=20)
    subtotal: Decimal = Field(default=Decimal("0.00"), sa_type=Money(2))
    tax: Decimal = Field(default=Decimal("0.00"), sa_type=Money(2))
    total: Decimal = Field(default=Decimal("0.00"), sa_type=Money(2))
    amount_paid: Decimal = Field(default=Decimal("0.00"), sa_type=Money(2))
    # Kept, never dropped, until customer credit takes it over (API-documents.md §3).
    amount_overpaid: Decimal = Field(
        default=Decimal("0.00"),
        sa_type=Money(2),
        sa_column_kwargs={"server_default": "0"},
        description="Received beyond the total (a Stripe payment over the balance due): kept.",
    )
    currency: str = Field(max_length=3)
    issue_date: date
    due_date: date
    notes: str | None = Field(default=None)
    payment_link_url: str | None = Field(default=None)
    # The estimate this invoice was converted from, if any.
    estimate_id: int | None = Field(default=None, foreign_key="estimates.id")
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @hybrid_property
    def balance_due(self) -> Decimal:
        """What is left to pay: on an object, and as a column of a select (lean rows)."""
        return self.total - self.amount_paid

    @balance_due.inplace.expression
    @classmethod
    def _balance_due_sql(cls) -> ColumnElement[Decimal]:
        # Typed as an amount, so that SQLite's scaled integers read back as Decimals.
        return type_coerce(col(cls.total) - col(cls.amount_paid), Money(2)).label("balance_due")


class LineItemBase(SQLModel):
    """The columns every document line has (invoices and estimates). Both APIs show its
    tax_amount as ``tax``."""

    PRIVATE: ClassVar = ("position", "tax_amount", "invoice_id", "estimate_id")

    position: int
    product_id: int | None = Field(default=None, foreign_key="products.id")
    description: str
    quantity: Decimal = Field(sa_type=Money(4))
    unit_price: Decimal = Field(sa_type=Money(4))
    tax_rate: Decimal = Field(default=Decimal("0"), sa_type=Money(4))
    amount: Decimal = Field(sa_type=Money(2))
    tax_amount: Decimal = Field(sa_type=Money(2))


class InvoiceItem(LineItemBase, table=True):
    __tablename__ = "invoice_items"
    __table_args__ = (Index("ix_invoice_items_invoice_id", "invoice_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoices.id", ondelete="CASCADE")
