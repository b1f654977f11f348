"""Gapless per-team document numbers (INV-0001, EST-0001, ...)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from invoiceflow.models import Team


async def next_number(session: AsyncSession, *, team_id: int, counter: str) -> int:
    """Take the team's next number for ``counter`` (``invoice_seq`` or ``estimate_seq``).

    One ``UPDATE ... RETURNING`` on the team row: it takes the row lock, so concurrent
    creates in one team queue behind each other until commit, and a rolled-back create
    gives its number back. Numbers therefore never repeat and never skip.
    """
    column = getattr(Team, counter)
    stmt = (
        update(Team)
        .where(Team.id == team_id)
        .values({column: column + 1})
        .returning(column)
        .execution_options(synchronize_session=False)
    )
    return int((await session.execute(stmt)).scalar_one())


def format_number(prefix: str, number: int) -> str:
    return f"{prefix}-{number:04d}"
