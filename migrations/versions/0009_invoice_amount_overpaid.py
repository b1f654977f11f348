"""invoices.amount_overpaid: money received beyond what an invoice asked for

A Stripe payment larger than the balance due (a customer paying twice, or more than was left)
was recorded as the balance and the rest vanished. The payment now keeps the whole amount
received, the invoice applies what it was owed, and the excess is kept here, visible on the
invoice, until customer credit takes it over (API-documents.md §3). Existing invoices have
received nothing beyond their totals: 0.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 19:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from invoiceflow.models.types import Money

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "amount_overpaid",
                Money(scale=2, precision=18),
                nullable=False,
                server_default="0",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("amount_overpaid")
