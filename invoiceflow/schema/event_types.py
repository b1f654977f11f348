"""Events in GraphQL (API-events.md §1-§4): the Event type and its Relay connection, webhook
endpoints and their deliveries."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import orjson
import strawberry
from strawberry import UNSET
from strawberry.scalars import JSON

from invoiceflow.context import Context
from invoiceflow.core.errors import ValidationFailed
from invoiceflow.models import Event as EventModel
from invoiceflow.models import WebhookEndpoint as WebhookEndpointModel
from invoiceflow.resolvers import events, webhooks
from invoiceflow.resolvers.events import EventPage
from invoiceflow.resolvers.webhooks import CreatedEndpoint, DeliveryView

_CURSOR = "sequence:"


def cursor_of(sequence: int) -> str:
    """An opaque cursor: where the feed goes on after this event."""
    return base64.urlsafe_b64encode(f"{_CURSOR}{sequence}".encode()).decode()


def sequence_of(cursor: str | None) -> int | None:
    """The sequence a cursor stands for (422 on ``after`` for one that is none of ours)."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if text.startswith(_CURSOR) and text[len(_CURSOR) :].isdigit():
            return int(text[len(_CURSOR) :])
    except (ValueError, UnicodeError):
        pass
    raise ValidationFailed.on("after", "Must be a cursor this feed gave (endCursor).")


@strawberry.type(name="EventActor")
class EventActorType:
    type: str
    id: strawberry.ID | None
    name: str | None


@strawberry.type(name="Event")
class EventType:
    @strawberry.field
    def id(self, root: strawberry.Parent[EventModel]) -> strawberry.ID:
        return strawberry.ID(root.id)

    @strawberry.field
    def sequence(self, root: strawberry.Parent[EventModel]) -> int:
        return root.sequence

    @strawberry.field
    def type(self, root: strawberry.Parent[EventModel]) -> str:
        return root.type

    @strawberry.field
    def created_at(self, root: strawberry.Parent[EventModel]) -> dt.datetime:
        return root.created_at

    @strawberry.field
    def actor(self, root: strawberry.Parent[EventModel]) -> EventActorType:
        actor_id = None if root.actor_id is None else strawberry.ID(str(root.actor_id))
        return EventActorType(type=root.actor_type, id=actor_id, name=root.actor_name)

    @strawberry.field
    def object_type(self, root: strawberry.Parent[EventModel]) -> str:
        return root.object_type

    @strawberry.field
    def object_id(self, root: strawberry.Parent[EventModel]) -> strawberry.ID:
        return strawberry.ID(str(root.object_id))

    @strawberry.field(description="The object after the change, as REST shows it.")
    def data(self, root: strawberry.Parent[EventModel]) -> JSON:
        shown: Any = orjson.loads(root.data)["object"]
        return shown

    @strawberry.field(description="The old values of what changed (updates only).")
    def previous_attributes(self, root: strawberry.Parent[EventModel]) -> JSON | None:
        previous: Any = orjson.loads(root.data).get("previous_attributes")
        return previous


@strawberry.type(name="EventEdge")
class EventEdge:
    cursor: str
    node: EventType


@strawberry.type(name="EventPageInfo")
class EventPageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(name="EventConnection")
class EventConnection:
    edges: list[EventEdge] = strawberry.field(metadata={"cap": events.MAX_PER_PAGE})
    page_info: EventPageInfo

    @classmethod
    def of(cls, page: EventPage) -> EventConnection:
        edges = [EventEdge(cursor=cursor_of(e.sequence), node=e) for e in page.items]  # type: ignore[arg-type]
        end = page.next_after
        return cls(
            edges=edges,
            page_info=EventPageInfo(
                has_next_page=page.has_more, end_cursor=None if end is None else cursor_of(end)
            ),
        )


@strawberry.type(name="WebhookAttempt")
class WebhookAttemptType:
    number: int
    started_at: dt.datetime
    duration_ms: int
    response_status: int | None
    error: str | None
    response_body: str | None


@strawberry.type(name="WebhookDelivery")
class WebhookDeliveryType:
    id: strawberry.ID
    event_id: strawberry.ID
    event_type: str
    status: str
    attempt_count: int
    next_attempt_at: dt.datetime | None
    created_at: dt.datetime
    attempts: list[WebhookAttemptType] = strawberry.field(metadata={"cap": 10})

    @classmethod
    def of(cls, view: DeliveryView) -> WebhookDeliveryType:
        d = view.delivery
        return cls(
            id=strawberry.ID(str(d.id)),
            event_id=strawberry.ID(d.event_id),
            event_type=view.event_type,
            status=d.status,
            attempt_count=d.attempt_count,
            next_attempt_at=d.next_attempt_at,
            created_at=d.created_at,
            attempts=[
                WebhookAttemptType(
                    number=a.number,
                    started_at=a.started_at,
                    duration_ms=a.duration_ms,
                    response_status=a.response_status,
                    error=a.error,
                    response_body=a.response_body,
                )
                for a in view.attempts
            ],
        )


@strawberry.type(name="WebhookEndpoint")
class WebhookEndpointType:
    @strawberry.field
    def id(self, root: strawberry.Parent[WebhookEndpointModel]) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field
    def url(self, root: strawberry.Parent[WebhookEndpointModel]) -> str:
        return root.url

    @strawberry.field
    def description(self, root: strawberry.Parent[WebhookEndpointModel]) -> str | None:
        return root.description

    @strawberry.field(metadata={"cap": webhooks.MAX_FILTERS})
    def events(self, root: strawberry.Parent[WebhookEndpointModel]) -> list[str]:
        found: list[str] = orjson.loads(root.events)
        return found

    @strawberry.field
    def enabled(self, root: strawberry.Parent[WebhookEndpointModel]) -> bool:
        return root.enabled

    @strawberry.field
    def disabled_reason(self, root: strawberry.Parent[WebhookEndpointModel]) -> str | None:
        return root.disabled_reason

    @strawberry.field
    def created_at(self, root: strawberry.Parent[WebhookEndpointModel]) -> dt.datetime:
        return root.created_at

    @strawberry.field
    def updated_at(self, root: strawberry.Parent[WebhookEndpointModel]) -> dt.datetime:
        return root.updated_at

    @strawberry.field(description="The last deliveries, newest first.", metadata={"cap": 100})
    async def deliveries(
        self,
        info: strawberry.Info[Context, None],
        root: strawberry.Parent[WebhookEndpointModel],
        status: str | None = None,
    ) -> list[WebhookDeliveryType]:
        ctx = info.context
        assert root.id is not None
        views = await webhooks.list_deliveries(
            session=ctx.session, principal=ctx.principal, endpoint_id=root.id, status=status
        )
        return [WebhookDeliveryType.of(v) for v in views]


@strawberry.type
class NewWebhookEndpoint:
    endpoint: WebhookEndpointType
    secret: str = strawberry.field(description="Shown here only: keep it.")

    @classmethod
    def of(cls, made: CreatedEndpoint) -> NewWebhookEndpoint:
        return cls(endpoint=made.endpoint, secret=made.secret)  # type: ignore[arg-type]


@strawberry.input
class WebhookEndpointInput:
    url: str
    events: list[str]
    description: str | None = UNSET
    enabled: bool | None = UNSET


@strawberry.input
class WebhookEndpointUpdateInput:
    url: str | None = UNSET
    events: list[str] | None = UNSET
    description: str | None = UNSET
    enabled: bool | None = UNSET


def object_events(object_type: str) -> Any:
    """A field of an object type: the object's events, oldest first, a connection as the
    root ``events`` is (``first`` 50 unless asked, at most 100)."""

    async def resolve(
        root: strawberry.Parent[Any],
        info: strawberry.Info[Context, None],
        after: str | None = None,
        first: int | None = events.DEFAULT_PER_PAGE,
    ) -> EventConnection:
        ctx = info.context
        page = await events.list_events(
            session=ctx.session,
            principal=ctx.principal,
            after=sequence_of(after),
            object_type=object_type,
            object_id=root.id,
            per_page=first,
        )
        return EventConnection.of(page)

    return strawberry.field(
        resolver=resolve, description=f"The {object_type}'s events.", metadata={"reads": ("id",)}
    )
