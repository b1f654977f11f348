"""teams.live_estimates: an unfiltered estimate list's total without counting rows

As 0007 for invoices: the count of a team's live estimates is kept on the team row, raised
by a create with its number and lowered by a delete.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 06:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("live_estimates", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE teams SET live_estimates = (SELECT count(*) FROM estimates "
        "WHERE estimates.team_id = teams.id AND estimates.deleted_at IS NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("live_estimates")
