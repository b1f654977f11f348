"""What of an entity the APIs show: written once, as its model.

Every column of a model is shown, typed as the model types it and described as its
``Field(description=...)`` says, except those it names in ``PRIVATE`` (its team, its
internal number, its soft-delete mark). They are shown in the model's order with ``id``
first; a computed attribute (a hybrid, like an invoice's ``balance_due``) is shown where
``SHOWN_AFTER`` places it. GraphQL's object types (schema/entities.py) and REST's objects
and their OpenAPI schemas (rest_compat/shapes/fields.py) follow from this: a column added
to a model shows in both with no other edit.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, get_type_hints

from sqlalchemy import inspect
from sqlalchemy.ext.hybrid import hybrid_property


@dataclass(frozen=True)
class Shown:
    name: str
    # as the model types it: ``int | None`` for a nullable column (an id is always ``int``)
    annotation: Any
    description: str | None = None


@functools.cache
def shown(model: Any) -> tuple[Shown, ...]:
    """The attributes of ``model`` that the APIs show, in order."""
    private = set(getattr(model, "PRIVATE", ()))
    after: dict[str, str] = getattr(model, "SHOWN_AFTER", {})
    computed = {
        name: Shown(name, get_type_hints(descriptor.fget)["return"])
        for name, descriptor in _descriptors(model)
        if isinstance(descriptor, hybrid_property) and not name.startswith("_")
    }
    placed: dict[str, list[Shown]] = {}
    for name, attribute in computed.items():
        placed.setdefault(after.get(name, ""), []).append(attribute)
    # an id is never null once written (``int | None`` only until the INSERT)
    found: list[Shown] = [Shown("id", str if model.model_fields["id"].annotation is str else int)]
    for name, field in model.model_fields.items():
        if name == "id" or name in private:
            continue
        found.append(Shown(name, field.annotation, field.description))
        found.extend(placed.pop(name, ()))
    for rest in placed.values():  # placed after nothing shown: at the end
        found.extend(rest)
    return tuple(found)


def _descriptors(model: Any) -> list[tuple[str, Any]]:
    """The model's mapped attributes, its hybrids among them (none for a plain model)."""
    mapper = inspect(model, raiseerr=False)
    return [] if mapper is None else list(mapper.all_orm_descriptors.items())
