"""Events as REST shows them: the event object of API-events.md §1."""

from __future__ import annotations

from typing import Any

from typing_extensions import TypedDict

from invoiceflow.context import Context
from invoiceflow.models import Event
from invoiceflow.resolvers.events import as_object
from invoiceflow.rest_compat.shapes.fields import Shape, answers, columns, given


class EventActor(TypedDict):
    type: str
    id: int | None
    name: str | None
    user_id: int | None


class EventObjectRef(TypedDict):
    type: str
    id: int


class EventData(TypedDict, total=False):
    # the object after the change, as its GET shows it
    object: dict[str, Any]
    # the old values of the keys that changed (updates only)
    previous_attributes: dict[str, Any]


EVENT = Shape(
    "Event",
    columns(Event, "id", "sequence", "type", "created_at"),
    given("actor", EventActor),
    given("object", EventObjectRef),
    given("data", EventData),
)


@answers(EVENT)
async def event(ctx: Context, row: Event) -> dict[str, Any]:
    return as_object(row)  # its data embedded as written


@answers(EVENT)
async def events(ctx: Context, rows: list[Event]) -> list[dict[str, Any]]:
    return [as_object(row) for row in rows]
