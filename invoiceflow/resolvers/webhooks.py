"""Webhook endpoints and their deliveries (API-events.md §3, §4): owners and admins manage
them; every change to one is an event too.

Where an endpoint may point is a rule of its own (``check_url``): an absolute https:// URL
without credentials, on a host that neither is nor resolves to a loopback, private,
link-local, multicast or cloud-metadata address, checked here and again before every
delivery (webhooks_out.py); ``allow_private`` (INVOICEFLOW_WEBHOOK_ALLOW_PRIVATE) lifts the
address rule and allows http://.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
from pydantic import Field, StrictBool
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from invoiceflow.core.effects import Effects
from invoiceflow.core.errors import InvalidState, NotFound, ValidationFailed
from invoiceflow.core.principal import Principal, require_admin
from invoiceflow.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from invoiceflow.models.types import utcnow
from invoiceflow.resolvers import events
from invoiceflow.resolvers.validation import Input, not_null, parse, sent_fields

MAX_ENDPOINTS = 20  # per team
DELIVERY_STATUSES = ("pending", "succeeded", "failed")
RESOLVE_SECONDS = 3.0


class EndpointFields(Input):
    description: str | None = Field(default=None, max_length=500)


# What the document says of a URL (https:// unless INVOICEFLOW_WEBHOOK_ALLOW_PRIVATE; the
# rules of ``check_url`` decide), and of the event types a filter may name.
_URL: dict[str, Any] = {"pattern": r"^https?://[A-Za-z0-9.-]+(:[1-9][0-9]{0,3})?(/[!-~]*)?$"}
_FILTER: dict[str, Any] = {"items": {"enum": ["*", *events.FILTERS]}}
MAX_FILTERS = len(events.FILTERS) + 1


class EndpointCreate(EndpointFields):
    url: str = Field(min_length=1, max_length=2048, json_schema_extra=_URL)
    events: list[str] = Field(min_length=1, max_length=MAX_FILTERS, json_schema_extra=_FILTER)
    enabled: StrictBool = True


class EndpointUpdate(EndpointFields):
    url: str | None = Field(
        default=None, min_length=1, max_length=2048, json_schema_extra=not_null(**_URL)
    )
    events: list[str] | None = Field(
        default=None, min_length=1, max_length=MAX_FILTERS,
        json_schema_extra=not_null(**_FILTER),
    )  # fmt: skip
    enabled: StrictBool | None = Field(default=None, json_schema_extra=not_null())


class RedeliverInput(Input):
    endpoint_id: int | None = Field(default=None, ge=1)


@dataclass(frozen=True)
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown in this answer only


# --- where an endpoint may point --------------------------------------------------------------

_METADATA_HOSTS = {"metadata.google.internal", "metadata", "instance-data"}


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or str(address) in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
        or (isinstance(address, ipaddress.IPv4Address) and address in _SHARED)
    )


_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT, Alibaba's metadata


async def check_url(url: str, *, allow_private: bool) -> str:
    """``url`` when an endpoint may point there; else ValidationFailed on ``url`` in words a
    user can act on."""
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ValidationFailed.on("url", "Is not a URL.") from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        wanted = "an absolute http:// or https:// URL" if allow_private else "an https:// URL"
        raise ValidationFailed.on("url", f"Must be {wanted}.")
    if parts.username is not None or parts.password is not None:
        raise ValidationFailed.on("url", "Must not carry a user name or password.")
    try:
        parts.port  # noqa: B018 (a port that is no number raises here)
    except ValueError:
        raise ValidationFailed.on("url", "The port must be a number from 1 to 65535.") from None
    if allow_private:
        return url
    host = parts.hostname.rstrip(".").lower()
    if host in _METADATA_HOSTS or host == "localhost" or host.endswith(".localhost"):
        raise ValidationFailed.on("url", "Must not point at this machine or a private network.")
    for address in await _addresses(host, parts.port or 443):
        if _forbidden(address):
            raise ValidationFailed.on("url", "Must not point at this machine or a private network.")
    return url


async def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError):
        raise ValidationFailed.on("url", f"The host {host} could not be resolved.") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found]


def _filters(values: Sequence[str]) -> str:
    unknown = [v for v in values if not events.valid_filter(v)]
    if unknown:
        raise ValidationFailed.on("events", f"Unknown event type: {', '.join(unknown[:5])}.")
    return orjson.dumps(list(dict.fromkeys(values))).decode()


# --- endpoints ----------------------------------------------------------------------------


async def list_endpoints(*, session: AsyncSession, principal: Principal) -> list[WebhookEndpoint]:
    require_admin(principal)
    found = await session.execute(
        select(WebhookEndpoint).where(_visible(principal)).order_by(col(WebhookEndpoint.id))
    )
    return list(found.scalars())


async def find_endpoint(
    *, session: AsyncSession, principal: Principal, endpoint_id: int, for_update: bool = False
) -> WebhookEndpoint | None:
    """One of the team's endpoints, or None (owners and admins only)."""
    require_admin(principal)
    query = select(WebhookEndpoint).where(
        _visible(principal), col(WebhookEndpoint.id) == endpoint_id
    )
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_endpoint(
    *, session: AsyncSession, principal: Principal, endpoint_id: int, for_update: bool = False
) -> WebhookEndpoint:
    endpoint = await find_endpoint(
        session=session, principal=principal, endpoint_id=endpoint_id, for_update=for_update
    )
    if endpoint is None:
        raise NotFound("Webhook endpoint not found.")
    return endpoint


async def create_endpoint(
    *, session: AsyncSession, principal: Principal, data: Any, effects: Effects
) -> CreatedEndpoint:
    """A new endpoint with a new signing secret (answered here only)."""
    require_admin(principal)
    payload = parse(EndpointCreate, data)
    filters = _filters(payload.events)
    url = await check_url(payload.url, allow_private=effects.webhooks_may_be_private)
    count = len(await list_endpoints(session=session, principal=principal))
    if count >= MAX_ENDPOINTS:
        raise InvalidState(
            f"A team has at most {MAX_ENDPOINTS} webhook endpoints: delete one first."
        )
    secret = events.new_secret()
    endpoint = WebhookEndpoint(
        team_id=principal.team_id,
        url=url,
        description=payload.description,
        events=filters,
        enabled=payload.enabled,
        secret=secret,
    )
    session.add(endpoint)
    await session.flush()
    events.record(session, "webhook_endpoint.created", endpoint)
    return CreatedEndpoint(endpoint, secret)


async def update_endpoint(
    *,
    session: AsyncSession,
    principal: Principal,
    endpoint_id: int,
    data: Any,
    effects: Effects,
) -> WebhookEndpoint:
    """Change the fields sent; enabling a disabled endpoint clears why it was disabled (what
    it missed is not replayed: redeliver does that, one event at a time)."""
    endpoint = await get_endpoint(
        session=session, principal=principal, endpoint_id=endpoint_id, for_update=True
    )
    changes = sent_fields(parse(EndpointUpdate, data))
    before = events.snapshot(endpoint)
    for name in ("url", "events", "enabled"):
        if name in changes and changes[name] is None:
            raise ValidationFailed.on(name, f"The {name} field cannot be null.")
    if "events" in changes:
        endpoint.events = _filters(changes["events"])
    if "url" in changes:
        endpoint.url = await check_url(
            changes["url"], allow_private=effects.webhooks_may_be_private
        )
    if "description" in changes:
        endpoint.description = changes["description"]
    if changes.get("enabled") is not None:
        endpoint.enabled = changes["enabled"]
        if endpoint.enabled:
            endpoint.disabled_reason = None
            endpoint.recent_failures = 0
    endpoint.updated_at = utcnow()
    await session.flush()
    events.record(session, "webhook_endpoint.updated", endpoint, before=before)
    return endpoint


async def delete_endpoint(
    *, session: AsyncSession, principal: Principal, endpoint_id: int
) -> WebhookEndpoint:
    """Gone from the list; it gets nothing new (its pending deliveries end as failed)."""
    endpoint = await get_endpoint(
        session=session, principal=principal, endpoint_id=endpoint_id, for_update=True
    )
    endpoint.deleted_at = utcnow()
    endpoint.enabled = False
    await session.flush()
    await _fail_pending(session, endpoint)
    events.record(session, "webhook_endpoint.deleted", endpoint)
    return endpoint


async def rotate_secret(
    *, session: AsyncSession, principal: Principal, endpoint_id: int
) -> CreatedEndpoint:
    """A new signing secret, answered once; the old one signs nothing from now on."""
    endpoint = await get_endpoint(
        session=session, principal=principal, endpoint_id=endpoint_id, for_update=True
    )
    endpoint.secret = events.new_secret()
    endpoint.updated_at = utcnow()
    await session.flush()
    return CreatedEndpoint(endpoint, endpoint.secret)


async def disable_endpoint(session: AsyncSession, endpoint: WebhookEndpoint, reason: str) -> None:
    """Stop delivering to ``endpoint`` (a 410 Gone, or 50 failed deliveries in a row)."""
    if not endpoint.enabled:
        return
    before = events.snapshot(endpoint)
    endpoint.enabled = False
    endpoint.disabled_reason = reason
    endpoint.updated_at = utcnow()
    await session.flush()
    await _fail_pending(session, endpoint)
    events.record(session, "webhook_endpoint.disabled", endpoint, before=before)


async def _fail_pending(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    await session.execute(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.endpoint_id) == endpoint.id,
            col(WebhookDelivery.status) == "pending",
        )
        .values(status="failed", next_attempt_at=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def _visible(principal: Principal) -> Any:
    return (col(WebhookEndpoint.team_id) == principal.team_id) & col(
        WebhookEndpoint.deleted_at
    ).is_(None)


# --- deliveries ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryView:
    delivery: WebhookDelivery
    event_type: str
    attempts: list[WebhookAttempt]


async def list_deliveries(
    *,
    session: AsyncSession,
    principal: Principal,
    endpoint_id: int,
    status: str | None = None,
) -> list[DeliveryView]:
    """The endpoint's deliveries, newest first (the last 100), each with its attempts."""
    await get_endpoint(session=session, principal=principal, endpoint_id=endpoint_id)
    if status is not None and status not in DELIVERY_STATUSES:
        raise ValidationFailed.on("status", f"Must be one of: {', '.join(DELIVERY_STATUSES)}.")
    query = (
        select(WebhookDelivery, col(Event.type))
        .join(Event, col(Event.id) == col(WebhookDelivery.event_id))
        .where(
            col(WebhookDelivery.endpoint_id) == endpoint_id,
            col(WebhookDelivery.team_id) == principal.team_id,
        )
        .order_by(col(WebhookDelivery.id).desc())
        .limit(100)
    )
    if status is not None:
        query = query.where(col(WebhookDelivery.status) == status)
    rows = (await session.execute(query)).all()
    ids = [delivery.id for delivery, _type in rows]
    attempts: dict[int, list[WebhookAttempt]] = {}
    if ids:
        found = await session.execute(
            select(WebhookAttempt)
            .where(col(WebhookAttempt.delivery_id).in_(ids))
            .order_by(col(WebhookAttempt.number))
        )
        for attempt in found.scalars():
            attempts.setdefault(attempt.delivery_id, []).append(attempt)
    return [
        DeliveryView(delivery, type_, attempts.get(delivery.id or 0, []))
        for delivery, type_ in rows
    ]


async def redeliver_event(
    *, session: AsyncSession, principal: Principal, event_id: str, data: Any
) -> int:
    """A new delivery of one event: to ``endpoint_id`` (whatever its filter), or to every
    enabled endpoint whose filter takes it. Answers how many deliveries were made."""
    require_admin(principal)
    payload = parse(RedeliverInput, data if data is not None else {})
    event = await events.get_event(session=session, principal=principal, event_id=event_id)
    if payload.endpoint_id is not None:
        endpoint = await get_endpoint(
            session=session, principal=principal, endpoint_id=payload.endpoint_id
        )
        if not endpoint.enabled:
            raise ValidationFailed.on("endpoint_id", "This endpoint is disabled.")
    made = await events.add_deliveries(
        session, principal.team_id, [(event.id, event.type)], endpoint_id=payload.endpoint_id
    )
    return made
