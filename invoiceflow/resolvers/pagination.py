"""Pages of results: validated page parameters and the page object both APIs render."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from invoiceflow.core.errors import ValidationFailed
from invoiceflow.models.sql import lean_rows

T = TypeVar("T")

DEFAULT_PER_PAGE = 15
MAX_PER_PAGE = 100
# GraphQL's Int, on both APIs: offsets stay far inside what a database takes.
MAX_PAGE = 2**31 - 1
MAX_SEARCH = 200  # characters of a list's ``search`` (API.md §6)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    # None when the caller asked for no count (a GraphQL page that selects no pageInfo).
    total: int | None
    page: int
    per_page: int

    @property
    def last_page(self) -> int:
        assert self.total is not None, "this page was read without its count"
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next_page(self) -> bool:
        return self.page < self.last_page


def page_params(page: int | None, per_page: int | None) -> tuple[int, int]:
    """Defaults 1 and 15; ``per_page`` above 100 is clamped, below 1 is an error."""
    page = 1 if page is None else page
    per_page = DEFAULT_PER_PAGE if per_page is None else per_page
    errors: dict[str, list[str]] = {}
    if page < 1:
        errors["page"] = ["Must be 1 or more."]
    elif page > MAX_PAGE:
        errors["page"] = [f"Must be at most {MAX_PAGE}."]
    if per_page < 1:
        errors["per_page"] = ["Must be 1 or more."]
    if errors:
        raise ValidationFailed(errors)
    return page, min(per_page, MAX_PER_PAGE)


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    page: int | None,
    per_page: int | None,
    count: bool = True,
    rows: bool = False,
    count_of: Any = None,
    total_of: Any = None,
    params: dict[str, Any] | None = None,
) -> Page[Any]:
    """Run ``stmt`` for one page, counting in the same statement.

    ``stmt`` selects one entity (the page holds model objects) or, with ``rows=True``,
    columns (the page holds read-only rows: lean, for lists nothing writes through, read
    without the ORM's loading). The total rides along as an uncorrelated scalar subquery
    (``count(*)`` over the same filter), which the database evaluates once and an index
    answers; a window count would make it build every matching row to keep one page. A page
    past the end (no rows to carry the total) needs a separate count. ``count=False`` skips
    counting altogether; ``count_of`` counts that statement's rows instead of ``stmt``'s (the
    same set, cheaper); ``total_of`` is a statement that reads the total itself (a count
    kept by the writes).

    ``params`` are the values of ``stmt``'s bound parameters: a statement built once and
    bound per request (its page statements are then built once too).
    """
    page, per_page = page_params(page, per_page)
    build = _page_statements if params is not None else _page_statements.__wrapped__
    window, count_stmt = build(stmt, count_of, count, rows, total_of)
    bound = {**(params or {}), "page_limit": per_page, "page_offset": (page - 1) * per_page}
    if rows:
        found = list(await lean_rows(session, window, bound))
        items: list[Any] = found
    else:
        found = list((await session.execute(window, bound)).all())
        items = [row[0] for row in found]
    if count_stmt is None:
        return Page(items=items, total=None, page=page, per_page=per_page)
    if found:
        total = found[0][-1]  # the total is read as the row's last column
    elif page == 1:
        total = 0
    else:
        total = (await session.execute(count_stmt, params)).scalar_one()
    return Page(items=items, total=total, page=page, per_page=per_page)


@functools.lru_cache(maxsize=256)
def _page_statements(
    stmt: Select[Any], count_of: Any, count: bool, rows: bool, total_of: Any = None
) -> tuple[Select[Any], Select[Any] | None]:
    """The statement of one page of ``stmt`` (limit and offset bound as ``page_limit`` and
    ``page_offset``, the total as its last column when counted) and the count alone."""
    window = stmt.limit(bindparam("page_limit")).offset(bindparam("page_offset"))
    if not count:
        return window, None
    if total_of is not None:
        count_stmt = total_of
    else:
        counted = stmt.order_by(None) if count_of is None else count_of
        count_stmt = select(func.count()).select_from(counted.subquery())
    if rows:
        return window.add_columns(count_stmt.label("_total")), count_stmt
    return window.add_columns(count_stmt.scalar_subquery()), count_stmt


def matches_search(*columns: Any) -> Any:
    """Any of ``columns`` contains the search bound as ``pattern`` (a ``like_pattern``: the
    escape character here is the one it escapes with), in any case."""
    pattern: Any = bindparam("pattern")
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))


def like_pattern(term: str) -> str:
    """A case-insensitive ``LIKE`` pattern matching ``term`` literally anywhere."""
    if len(term) > MAX_SEARCH:  # SQLite refuses a long pattern as "too complex" (a 503 then)
        raise ValidationFailed.on("search", f"Must be at most {MAX_SEARCH} characters.")
    if "\x00" in term:  # PostgreSQL takes no NUL in text: no stored text holds one
        raise ValidationFailed.on("search", "Must not contain the NUL character.")
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
