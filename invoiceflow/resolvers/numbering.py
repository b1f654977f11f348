"""Gapless per-team document numbers (INV-0001, EST-0001, ...)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from invoiceflow.models import Team


async def next_number(session: AsyncSession, *, team_id: int, counter: str) -> int:
    """The next number alone (see ``next_number_and_terms``)."""
    number, _terms = await next_number_and_terms(session, team_id=team_id, counter=counter)
    return number


async def next_number_and_terms(
    session: AsyncSession, *, team_id: int, counter: str
) -> tuple[int, int]:
    """Take the team's next number for ``counter`` (``invoice_seq`` or ``estimate_seq``).

    One ``UPDATE ... RETURNING`` on the team row: it takes the row lock, so concurrent
    creates in one team queue behind each other until commit, and a rolled-back create
    gives its number back. Numbers therefore never repeat and never skip. The same
    statement reads the team's payment terms (a new invoice's default due date).
    """
    column = getattr(Team, counter)
    stmt = (
        update(Team)
        .where(col(Team.id) == team_id)
        .values({column: column + 1})
        .returning(column, col(Team.payment_terms_days))
        .execution_options(synchronize_session=False)
    )
    number, terms = (await session.execute(stmt)).one()
    return int(number), int(terms)


def format_number(prefix: str, number: int) -> str:
    return f"{prefix}-{number:04d}"
