"""indexes for every filter and sort; trigram indexes for search on PostgreSQL

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 10:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SORTS = ("issue_date", "due_date", "total", "created_at")
# (table, column) pairs that ?search= matches with ILIKE '%term%'.
SEARCHED = (
    ("invoices", "invoice_number"),
    ("customers", "company_name"),
    ("customers", "contact_name"),
    ("customers", "email"),
    ("estimates", "estimate_number"),
    ("products", "name"),
    ("products", "sku"),
)


def upgrade() -> None:
    for column in SORTS:
        op.create_index(f"ix_invoices_team_{column}", "invoices", ["team_id", column])
    op.create_index("ix_estimates_team_expiry", "estimates", ["team_id", "expiry_date"])
    op.create_index("ix_payments_team_invoice", "payments", ["team_id", "invoice_id"])
    if op.get_bind().dialect.name == "postgresql":
        # A leading-wildcard ILIKE can only use a trigram index.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for table, column in SEARCHED:
            op.execute(
                f"CREATE INDEX ix_{table}_{column}_trgm ON {table} "
                f"USING gin ({column} gin_trgm_ops)"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, column in SEARCHED:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_trgm")
    op.drop_index("ix_payments_team_invoice", "payments")
    op.drop_index("ix_estimates_team_expiry", "estimates")
    for column in SORTS:
        op.drop_index(f"ix_invoices_team_{column}", "invoices")
