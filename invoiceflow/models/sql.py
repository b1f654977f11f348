"""``column IN (ids)`` with the ids bound as one value on PostgreSQL.

SQLAlchemy's ``in_()`` binds one parameter per id and expands them when the statement runs,
which for a loader's 100 ids costs about 0.5 ms per statement. On PostgreSQL ``one_of``
binds the list once, ``column = ANY($1)`` with an integer array, which the planner treats
like an IN list. On SQLite it stays ``in_()``: the JSON-array form (``IN (SELECT value FROM
json_each(?))``) made SQLite's planner scan the team's rows instead of probing the key.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Integer, any_, bindparam
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession


def one_of(session: AsyncSession, column: Any, ids: Iterable[int]) -> Any:
    """``column`` is one of ``ids`` (integers), in the form the session's database prefers."""
    values = [int(i) for i in ids]
    assert session.bind is not None  # the app's sessions are always bound
    if session.bind.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(Integer())))
    return column.in_(values)
