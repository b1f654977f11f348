"""Events: every change a team's rows go through, written in the change's own transaction
(API-events.md §1), read as a feed (§2), and handed to its webhook endpoints (§4).

A resolver says what happened as it happens: ``record(session, "invoice.sent", invoice,
before=before)``, with ``before = snapshot(invoice)`` taken before it changed anything. What
a request recorded is written as its transaction's last work (``write_recorded``): one
event per change of an object, its ``data.object`` the object as REST's GET shows it after
the change (the API layer renders it: ``Show``), its ``previous_attributes`` the keys whose
values differ from the object as it was. An update that changed nothing writes nothing.

The sequence is the team's counter (``teams.event_seq``), taken by one ``UPDATE ...
RETURNING`` as the transaction's last statement: it locks the team row until commit (a
create's number has already locked it), so a transaction that commits later always takes a
larger number than every event already visible, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Integer, bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.hybrid import hybrid_property
from sqlmodel import col

from invoiceflow.core import jsontext
from invoiceflow.core.errors import NotFound, ValidationFailed
from invoiceflow.core.principal import Principal
from invoiceflow.models import Customer, Estimate, Invoice, Payment, Product, Team
from invoiceflow.models.event import Event, WebhookDelivery, WebhookEndpoint
from invoiceflow.models.types import utcnow

# Every type of event (API-events.md §1). ``ping`` is sent to a webhook to test it, never
# stored in the feed.
TYPES: tuple[str, ...] = (
    "invoice.created",
    "invoice.updated",
    "invoice.sent",
    "invoice.emailed",
    "invoice.payment_link_created",
    "invoice.partially_paid",
    "invoice.paid",
    "invoice.overdue",
    "invoice.cancelled",
    "invoice.deleted",
    "invoice.viewed",
    "payment.created",
    "payment.refunded",
    "payment.deleted",
    "credit_note.created",
    "credit_note.voided",
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "product.created",
    "product.updated",
    "product.deleted",
    "product.stock_adjusted",
    "estimate.created",
    "estimate.updated",
    "estimate.sent",
    "estimate.approved",
    "estimate.rejected",
    "estimate.converted",
    "estimate.deleted",
    "recurring_invoice.created",
    "recurring_invoice.updated",
    "recurring_invoice.deleted",
    "recurring_invoice.invoice_issued",
    "team.updated",
    "api_key.created",
    "api_key.revoked",
    "webhook_endpoint.created",
    "webhook_endpoint.updated",
    "webhook_endpoint.deleted",
    "webhook_endpoint.disabled",
)
OBJECT_TYPES: tuple[str, ...] = tuple(dict.fromkeys(t.split(".", 1)[0] for t in TYPES))
# What a read of the feed may ask for: a type, or every type of a kind of object.
FILTERS: tuple[str, ...] = (*TYPES, *(f"{kind}.*" for kind in OBJECT_TYPES))

# Whole seconds are enough for the stamps a change always moves; they alone are no change.
_STAMPS = frozenset({"updated_at"})


# --- who changed it -----------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    type: str  # api_key | stripe | system | portal
    id: int | None = None
    name: str | None = None
    user_id: int | None = None


STRIPE = Actor("stripe", name="Stripe")
SYSTEM = Actor("system", name="InvoiceFlow")


def actor_of(principal: Principal) -> Actor:
    """The key a request came with (a principal made without one, as the demo's, is the
    system)."""
    if principal.api_key_id is None:
        return Actor("system", name="InvoiceFlow", user_id=principal.user_id)
    return Actor("api_key", principal.api_key_id, principal.api_key_name, principal.user_id)


# --- what a resolver says -----------------------------------------------------------------


@dataclass
class Change:
    type: str
    row: Any  # the object, as the resolver holds it after the change
    before: Mapping[str, Any] | None = None  # its columns' values before (an update)

    @property
    def object_type(self) -> str:
        return self.type.split(".", 1)[0]


_KEY = "invoiceflow.changes"


def snapshot(row: Any) -> dict[str, Any]:
    """The values of ``row``'s columns now: what ``record`` compares the row with later."""
    names: Iterable[str] = getattr(type(row), "model_fields", None) or row._fields
    return {name: getattr(row, name) for name in names if hasattr(row, name)}


def record(
    session: AsyncSession, type_: str, row: Any, *, before: Mapping[str, Any] | None = None
) -> None:
    """``row`` went through a change of ``type_`` in this transaction. ``before``: its
    ``snapshot`` from before the change (for any change but a creation or a deletion)."""
    assert type_ in TYPES, type_
    session.info.setdefault(_KEY, []).append(Change(type_, row, before))


def recorded(session: AsyncSession) -> list[Change]:
    changes: list[Change] = session.info.get(_KEY, [])
    return changes


def forget_recorded(session: AsyncSession) -> None:
    session.info.pop(_KEY, None)


# --- writing them -------------------------------------------------------------------------

# How the API shows an object of a type (REST's GET shape): (object type, row) -> the object.
Show = Callable[[str, Any], Awaitable[dict[str, Any]]]


@dataclass
class _Pending:
    type: str
    object_type: str
    object_id: int
    team_id: int
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Written:
    event_ids: list[str] = field(default_factory=list)
    deliveries: int = 0  # made with them: to send once the transaction commits


async def write_recorded(
    session: AsyncSession, actor: Actor, show: Show, *, team_id: int
) -> Written:
    """Write the events of what this transaction recorded, and a delivery of each to every
    endpoint of the team that asks for its type. The caller runs it as the transaction's
    last work (its sequence locks the team row)."""
    changes = recorded(session)
    if not changes:
        return Written()
    forget_recorded(session)
    pending: list[_Pending] = []
    for object_changes in _by_object(changes):
        pending.extend(await _events_of(object_changes, show, team_id))
    if not pending:
        return Written()
    return await _write(session, actor, pending, team_id)


def _by_object(changes: Sequence[Change]) -> list[list[Change]]:
    grouped: dict[tuple[str, int], list[Change]] = {}
    for change in changes:
        grouped.setdefault((change.object_type, change.row.id), []).append(change)
    return list(grouped.values())


async def _events_of(changes: list[Change], show: Show, team_id: int) -> list[_Pending]:
    """One object's changes in a transaction, as the events they are: a deletion alone, or
    a creation alone (what happened to it since is part of what it was made as); else each
    kind of change once, an update only when nothing more particular says it."""
    types = list(dict.fromkeys(c.type for c in changes))
    object_type = changes[0].object_type
    last = changes[-1].row
    deleted = f"{object_type}.deleted"
    created = f"{object_type}.created"
    updated = f"{object_type}.updated"
    if deleted in types:
        types = [deleted]
    elif created in types:
        types = [created]
    elif len(types) > 1 and updated in types:
        types.remove(updated)
    after = await show(object_type, last)
    previous: dict[str, Any] | None = None
    before = next((c.before for c in changes if c.before is not None), None)
    if before is not None and types[0] not in (created, deleted):
        then = await show(object_type, _As(last, before))
        previous = {
            key: value
            for key, value in then.items()
            if key not in _STAMPS and after.get(key) != value
        }
        if not previous and types == [updated]:
            return []  # nothing changed that it shows
    data: dict[str, Any] = {"object": after}
    if previous is not None:
        data["previous_attributes"] = previous
    return [_Pending(t, object_type, last.id, team_id, data) for t in types]


class _As:
    """``row`` with the column values it had (``before``); its computed attributes (an
    invoice's balance due) worked out from those."""

    def __init__(self, row: Any, before: Mapping[str, Any]) -> None:
        self._row = row
        self._before = before

    def __getattr__(self, name: str) -> Any:
        if name in self._before:
            return self._before[name]
        descriptor = getattr(type(self._row), name, None)
        if isinstance(descriptor, hybrid_property):
            return descriptor.fget(self)
        return getattr(self._row, name)


# Built once: a statement composed per request leaves its reference cycles to the collector.
_TAKE_SEQUENCE = (
    update(Team)
    .where(col(Team.id) == bindparam("team_id"))
    .values(event_seq=col(Team.event_seq) + bindparam("count", type_=Integer))
    .returning(col(Team.event_seq))
    .execution_options(synchronize_session=False)
)
_INSERT_EVENTS = insert(Event)
_INSERT_DELIVERIES = insert(WebhookDelivery)
_LIVE_ENDPOINTS = select(col(WebhookEndpoint.id), col(WebhookEndpoint.events)).where(
    col(WebhookEndpoint.team_id) == bindparam("team_id"),
    col(WebhookEndpoint.deleted_at).is_(None),
)
_ENABLED_ENDPOINTS = _LIVE_ENDPOINTS.where(col(WebhookEndpoint.enabled).is_(True))
_ONE_ENDPOINT = _LIVE_ENDPOINTS.where(col(WebhookEndpoint.id) == bindparam("endpoint_id"))


async def _write(
    session: AsyncSession, actor: Actor, pending: list[_Pending], team_id: int
) -> Written:
    taken = await session.execute(_TAKE_SEQUENCE, {"team_id": team_id, "count": len(pending)})
    last = int(taken.scalar_one())
    now = utcnow()
    rows = [
        {
            "id": new_event_id(),
            "team_id": team_id,
            "sequence": last - len(pending) + 1 + i,
            "type": p.type,
            "created_at": now,
            "actor_type": actor.type,
            "actor_id": actor.id,
            "actor_name": actor.name,
            "actor_user_id": actor.user_id,
            "object_type": p.object_type,
            "object_id": p.object_id,
            "data": jsontext.dumps(p.data).decode(),
        }
        for i, p in enumerate(pending)
    ]
    await session.execute(_INSERT_EVENTS, rows)
    ids = [(str(r["id"]), str(r["type"])) for r in rows]
    deliveries = await add_deliveries(session, team_id, ids)
    return Written([event_id for event_id, _type in ids], deliveries)


async def add_deliveries(
    session: AsyncSession,
    team_id: int,
    events: Iterable[tuple[str, str]],
    *,
    endpoint_id: int | None = None,
) -> int:
    """A pending delivery of each event (id, type) to each of the team's enabled endpoints
    whose filter takes its type (or to ``endpoint_id`` alone, whatever its filter); answers
    how many."""
    if endpoint_id is None:
        found = await session.execute(_ENABLED_ENDPOINTS, {"team_id": team_id})
    else:
        found = await session.execute(
            _ONE_ENDPOINT, {"team_id": team_id, "endpoint_id": endpoint_id}
        )
    endpoints = found.all()
    if not endpoints:
        return 0
    now = utcnow()
    rows = [
        {
            "team_id": team_id,
            "endpoint_id": endpoint,
            "event_id": event_id,
            "status": "pending",
            "attempt_count": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for event_id, type_ in events
        for endpoint, filters in endpoints
        if endpoint_id is not None or takes(orjson.loads(filters), type_)
    ]
    if rows:
        await session.execute(_INSERT_DELIVERIES, rows)
        session.info[_DELIVERIES] = session.info.get(_DELIVERIES, 0) + len(rows)
    return len(rows)


_DELIVERIES = "invoiceflow.deliveries"


def deliveries_made(session: AsyncSession) -> int:
    """How many deliveries this session's transactions made: to send once they commit."""
    made: int = session.info.get(_DELIVERIES, 0)
    return made


def takes(filters: Sequence[str], type_: str) -> bool:
    """Whether an endpoint asking for ``filters`` receives events of ``type_``."""
    kind = type_.split(".", 1)[0]
    return any(f in ("*", type_, f"{kind}.*") for f in filters)


def valid_filter(value: str) -> bool:
    return value == "*" or value in TYPES or (value.endswith(".*") and value[:-2] in OBJECT_TYPES)


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_event_id() -> str:
    """``evt_`` and a ULID: 48 bits of milliseconds then 80 random bits, in Crockford's
    base 32 (ordered by time, unique without coordination)."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    digits = []
    for _ in range(26):
        digits.append(_CROCKFORD[value & 31])
        value >>= 5
    return "evt_" + "".join(reversed(digits))


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


# --- reading them -------------------------------------------------------------------------


def as_object(event: Event) -> dict[str, Any]:
    """The event object of API-events.md §1 (the feed's item and a webhook's body), its
    ``data`` as it was written (embedded, never parsed again)."""
    return {
        "id": event.id,
        "sequence": event.sequence,
        "type": event.type,
        "created_at": event.created_at,
        "actor": {
            "type": event.actor_type,
            "id": event.actor_id,
            "name": event.actor_name,
            "user_id": event.actor_user_id,
        },
        "object": {"type": event.object_type, "id": event.object_id},
        "data": orjson.Fragment(event.data),
    }


DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class EventPage:
    items: list[Event]
    has_more: bool
    after: int | None = None  # the sequence asked after

    @property
    def next_after(self) -> int | None:
        """The sequence to ask after next: the page's last, or on an empty page the one
        asked after (a poller keeps its place)."""
        return self.items[-1].sequence if self.items else self.after


async def list_events(
    *,
    session: AsyncSession,
    principal: Principal,
    after: int | None = None,
    types: Sequence[str] | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    per_page: int | None = None,
) -> EventPage:
    """The team's events after sequence ``after``, oldest first (50 unless ``per_page`` says
    otherwise, at most 100). Any role may read them."""
    per_page = DEFAULT_PER_PAGE if per_page is None else per_page
    if per_page < 1:
        raise ValidationFailed.on("per_page", "Must be 1 or more.")
    if after is not None and after < 0:
        raise ValidationFailed.on("after", "Must be 0 or more.")
    if object_id is not None and object_id < 1:
        raise ValidationFailed.on("object_id", "Must be 1 or more.")
    per_page = min(per_page, MAX_PER_PAGE)
    query = select(Event).where(col(Event.team_id) == principal.team_id)
    if after is not None:
        query = query.where(col(Event.sequence) > after)
    if types:
        exact = [t for t in types if not t.endswith(".*")]
        kinds = [t[:-2] for t in types if t.endswith(".*")]
        for t in types:
            if not valid_filter(t) or t == "*":
                raise ValidationFailed.on("type", f"Unknown event type: {t}.")
        either: list[Any] = [col(Event.type).in_(exact)] if exact else []
        either += [col(Event.object_type) == kind for kind in kinds]
        query = query.where(or_(*either))
    if object_type is not None:
        if object_type not in OBJECT_TYPES:
            raise ValidationFailed.on("object_type", f"Unknown object type: {object_type}.")
        query = query.where(col(Event.object_type) == object_type)
    if object_id is not None:
        query = query.where(col(Event.object_id) == object_id)
    query = query.order_by(col(Event.sequence)).limit(per_page + 1)
    rows = list((await session.execute(query)).scalars())
    return EventPage(rows[:per_page], len(rows) > per_page, after)


_OBJECT_MODELS: dict[str, Any] = {
    "invoice": Invoice,
    "customer": Customer,
    "product": Product,
    "estimate": Estimate,
    "payment": Payment,
}


def events_of(object_type: str) -> Callable[..., Awaitable[EventPage]]:
    """The events of one object of ``object_type`` (``GET /invoices/{id}/events``), a
    deleted one's included; 404 for an id that is none of the team's."""
    model = _OBJECT_MODELS[object_type]

    async def of_object(
        *,
        session: AsyncSession,
        principal: Principal,
        object_id: int,
        after: int | None = None,
        per_page: int | None = None,
    ) -> EventPage:
        found = await session.execute(
            select(col(model.id)).where(
                col(model.id) == object_id, col(model.team_id) == principal.team_id
            )
        )
        if found.first() is None:
            raise NotFound(f"{object_type.replace('_', ' ').capitalize()} not found.")
        return await list_events(
            session=session,
            principal=principal,
            after=after,
            object_type=object_type,
            object_id=object_id,
            per_page=per_page,
        )

    of_object.__name__ = f"list_{object_type}_events"
    return of_object


async def find_event(*, session: AsyncSession, principal: Principal, event_id: str) -> Event | None:
    """One of the team's events, or None."""
    found = await session.execute(
        select(Event).where(col(Event.id) == event_id, col(Event.team_id) == principal.team_id)
    )
    return found.scalar_one_or_none()


async def get_event(*, session: AsyncSession, principal: Principal, event_id: str) -> Event:
    event = await find_event(session=session, principal=principal, event_id=event_id)
    if event is None:
        raise NotFound("Event not found.")
    return event
