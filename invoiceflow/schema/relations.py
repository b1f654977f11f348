"""Relation fields: a field answered by a per-request loader for a key of its row.

``relation`` fields are plain functions returning ``now_or_later(loader, key)``: the value
itself when it is already loaded (no coroutine, no await per row), or the loader's future
when it is not (deeper nestings, single objects), which graphql-core awaits and the loader
still batches. Their ``lean`` and ``relation`` metadata let the fast paths (invoiceflow/fast/)
load and answer them without Strawberry's per-field work; ``reads`` says which column of the
row they read.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any

import strawberry
from aiodataloader import DataLoader
from strawberry.types import Info

from invoiceflow.context import Context
from invoiceflow.core.errors import ValidationFailed
from invoiceflow.schema.cost import DEFAULT_FIRST, MAX_FIRST


def now_or_later(loader: DataLoader[Any, Any], key: Any) -> Any:
    future = loader.load(key)
    return future.result() if future.done() else future


def relation(
    loader: str, column: str, *, description: str | None = None, cap: int | None = None
) -> Any:
    """A field answered by ``loader`` (a name on the request's Loaders) for the row's
    ``column`` (the key: ``id``, or a foreign key like ``customer_id``); null when it is.
    ``cap``: for a list, the most items it can hold (what a query's cost counts it as,
    schema/cost.py).

    The field's ``lean`` metadata is the same function of (row, context), so that the
    executor (fast/execution.py) can call it without building Strawberry's Info.
    """

    key = operator.attrgetter(column)

    def load(root: Any, context: Context) -> Any:
        value = key(root)
        if value is None:
            return None
        return now_or_later(getattr(context.loaders, loader), value)

    def resolve(root: strawberry.Parent[Any], info: Info[Context, None]) -> Any:
        return load(root, info.context)

    metadata = {"lean": load, "reads": (column,), "relation": (loader, key)}
    if cap is not None:
        metadata["cap"] = cap
    return strawberry.field(resolver=resolve, description=description, metadata=metadata)


def newest(loader: str, column: str, *, description: str) -> Any:
    """A list field answered by ``loader`` for the row's ``column``, cut to the ``first``
    newest items (20 unless asked, at most 100): a list with no bound of its own, capped so
    that a query's cost stays known before it runs (API.md §6, schema/cost.py)."""

    key = operator.attrgetter(column)

    def resolve(
        root: strawberry.Parent[Any],
        info: Info[Context, None],
        first: Annotated[
            int | None,
            strawberry.argument(description=f"How many, newest first (at most {MAX_FIRST})."),
        ] = DEFAULT_FIRST,
    ) -> Any:
        if first is None:
            first = DEFAULT_FIRST
        if first < 1:
            raise ValidationFailed.on("first", "Must be 1 or more.")
        value = key(root)
        if value is None:
            return None
        return now_or_later(info.context.loaders.newest(loader, min(first, MAX_FIRST)), value)

    return strawberry.field(
        resolver=resolve, description=description, metadata={"reads": (column,)}
    )
