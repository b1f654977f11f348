"""GraphQL object types that show what their model shows (models/shown.py).

``@shows(Model)`` gives a Strawberry type a plain field for each attribute the model shows
that the class does not define itself, before the class's own fields, typed as the model
types it (an id, and a column naming another row's id, as ``ID``) and described as the
model's ``Field(description=...)`` says. The class writes only what is more than a column:
enums, relations, computed fields. A column added to a model is a field of its type.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from typing import Any, TypeVar, Union, get_args, get_origin

import strawberry

from invoiceflow.models.shown import shown

T = TypeVar("T", bound=type)


def shows(model: Any) -> Callable[[T], T]:
    """Add ``model``'s shown attributes to the decorated class (put it under
    ``@strawberry.type``)."""

    def add(cls: T) -> T:
        own: dict[str, Any] = dict(inspect.get_annotations(cls))
        derived: dict[str, Any] = {}
        for attribute in shown(model):
            if attribute.name in own or attribute.name in cls.__dict__:
                continue  # the class says more of it (an enum, a description)
            derived[attribute.name] = _graphql_type(attribute.name, attribute.annotation)
            if attribute.description is not None:
                setattr(cls, attribute.name, strawberry.field(description=attribute.description))
        cls.__annotations__ = {**derived, **own}
        return cls

    return add


def _graphql_type(name: str, annotation: Any) -> Any:
    members = get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else ()
    nullable = type(None) in members
    base = next((m for m in members if m is not type(None)), annotation) if members else annotation
    if base is int and (name == "id" or name.endswith("_id")):
        base = strawberry.ID
    return base | None if nullable else base
