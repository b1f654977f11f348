"""A REST shape's builder, written out as one dict display.

A list of 100 invoices builds 100 objects of 14 keys. A loop over a shape's keys (what the
builder is with the fast paths off) costs about twice what a dict display of the same keys
does, so each shape's builder is written out once, as the function a person would write:
``{"id": row.id, "total": _number(row.total), "customer": customer, ...}``, compiled when the
shape is made. Both answer the same dict, key for key and in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from invoiceflow import fast


class Key(Protocol):
    """A key of a shape (rest_compat/shapes/fields.py)."""

    @property
    def name(self) -> str: ...
    @property
    def attribute(self) -> str | None: ...
    @property
    def money(self) -> bool: ...
    @property
    def nullable(self) -> bool: ...


def number(value: Any) -> float | None:
    """An amount as the JSON number it prints as (API.md §2); null stays null."""
    return None if value is None else float(value)


def builder(keys: Sequence[Key]) -> Callable[..., dict[str, Any]]:
    """A function of (row, **given) answering the object: each key's attribute of the row
    (an amount as a JSON number), or the value handed in under its name."""
    if not fast.ON:
        return _looping(tuple(keys))
    given = [key.name for key in keys if key.attribute is None]
    # the source is made of these names only: each must be one
    assert all(k.name.isidentifier() and (k.attribute or "_").isidentifier() for k in keys)
    items = []
    for key in keys:
        if key.attribute is None:
            value = key.name
        elif key.money:
            value = f"{'_number' if key.nullable else 'float'}(row.{key.attribute})"
        else:
            value = f"row.{key.attribute}"
        items.append(f"{key.name!r}: {value}")
    parameters = ", ".join(["row", *(["*", *given] if given else [])])
    source = f"def build({parameters}):\n    return {{{', '.join(items)}}}\n"
    namespace: dict[str, Any] = {"_number": number}
    exec(compile(source, "<shape builder>", "exec"), namespace)
    built: Callable[..., dict[str, Any]] = namespace["build"]
    return built


def _looping(keys: tuple[Key, ...]) -> Callable[..., dict[str, Any]]:
    def build(row: Any, **given: Any) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for key in keys:
            if key.attribute is None:
                found[key.name] = given[key.name]
            elif key.money:
                found[key.name] = number(getattr(row, key.attribute))
            else:
                found[key.name] = getattr(row, key.attribute)
        return found

    return build
