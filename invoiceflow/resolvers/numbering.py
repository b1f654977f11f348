"""Gapless per-team document numbers (INV-0001, EST-0001, ...), and the count of a team's
live documents of each kind kept beside them (by the database: migration 0010's triggers
raise and lower it with every insert and delete, whoever writes)."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Select, Update, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from invoiceflow.models import Team


async def next_number(session: AsyncSession, *, team_id: int, counter: str) -> int:
    """The next number alone (see ``next_number_and_terms``)."""
    number, _terms = await next_number_and_terms(session, team_id=team_id, counter=counter)
    return number


# A counter whose documents are counted while live, and the teams column that counts them.
LIVE_COUNTS = {"invoice_seq": "live_invoices", "estimate_seq": "live_estimates"}


async def next_number_and_terms(
    session: AsyncSession, *, team_id: int, counter: str
) -> tuple[int, int]:
    """Take the team's next number for ``counter`` (``invoice_seq`` or ``estimate_seq``).

    One ``UPDATE ... RETURNING`` on the team row: it takes the row lock, so concurrent
    creates in one team queue behind each other until commit, and a rolled-back create
    gives its number back. Numbers therefore never repeat and never skip. The same
    statement reads the team's payment terms (a new invoice's default due date).
    """
    result = await session.execute(_take_statement(counter), {"team_id": team_id})
    number, terms = result.one()
    return int(number), int(terms)


@functools.cache
def _take_statement(counter: str) -> Update:
    """Built once per counter (building it cost about as much as running it); bound with
    ``team_id``."""
    column = getattr(Team, counter)
    return (
        update(Team)
        .where(col(Team.id) == bindparam("team_id"))
        .values({column: column + 1})
        .returning(column, col(Team.payment_terms_days))
        .execution_options(synchronize_session=False)
    )


@functools.cache
def live_total(counter: str) -> Select[Any]:
    """How many documents numbered by ``counter`` the team bound as ``team_id`` has live: the
    total of a list that filters nothing, read instead of counting its rows."""
    return select(col(getattr(Team, LIVE_COUNTS[counter]))).where(
        col(Team.id) == bindparam("team_id")
    )


def format_number(prefix: str, number: int) -> str:
    return f"{prefix}-{number:04d}"
