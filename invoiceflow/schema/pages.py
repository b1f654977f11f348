"""A page's place among the others (every list of the schema is read a page at a time)."""

from __future__ import annotations

import strawberry

from invoiceflow.resolvers.pagination import Page


@strawberry.type
class PageInfo:
    current_page: int
    per_page: int
    total: int
    last_page: int
    has_next_page: bool

    @classmethod
    def of(cls, page: Page[object]) -> PageInfo:
        assert page.total is not None, "this page was read without its count"
        return cls(
            current_page=page.page,
            per_page=page.per_page,
            total=page.total,
            last_page=page.last_page,
            has_next_page=page.has_next_page,
        )
