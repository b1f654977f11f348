"""Events (every change, API-events.md §1), the webhook endpoints that receive them, and each
delivery of an event to an endpoint with its attempts (§3, §4)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from invoiceflow.models.types import UTCDateTime, utcnow


class Event(SQLModel, table=True):
    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("team_id", "sequence", name="uq_events_team_id_sequence"),
        Index("ix_events_object", "team_id", "object_type", "object_id", "sequence"),
        Index("ix_events_created_at", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=40)  # evt_ + a ULID
    team_id: int = Field(foreign_key="teams.id")
    # per team, in commit order: taken from teams.event_seq as the transaction's last write
    sequence: int
    type: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_type: str = Field(max_length=20)  # api_key | stripe | system | portal
    actor_id: int | None = None
    actor_name: str | None = Field(default=None, max_length=200)
    actor_user_id: int | None = None
    object_type: str = Field(max_length=40)
    object_id: int
    # {"object": ..., "previous_attributes": ...} as JSON text, written once
    data: str = Field(sa_type=Text)


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_team_id", "team_id", "id"),)

    PRIVATE: ClassVar = ("team_id", "secret", "recent_failures", "deleted_at")

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id")
    url: str = Field(max_length=2048)
    description: str | None = Field(default=None, max_length=500)
    # the event types it receives, as a JSON list ("*", "invoice.*", "invoice.paid")
    events: str = Field(sa_type=Text)
    enabled: bool = True
    disabled_reason: str | None = Field(default=None, max_length=200)
    # whsec_ + base64 of 32 random bytes: a signing key, shown once
    secret: str = Field(max_length=100)
    # deliveries that ended failed in a row (disabled at 50; a success resets it)
    recent_failures: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookDelivery(SQLModel, table=True):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_endpoint_id", "endpoint_id", "id"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    PRIVATE: ClassVar = ("team_id",)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id")
    endpoint_id: int = Field(foreign_key="webhook_endpoints.id")
    event_id: str = Field(foreign_key="events.id", max_length=40)
    status: str = Field(default="pending", max_length=20)  # pending | succeeded | failed
    attempt_count: int = 0
    # when the next attempt is due (null once it ended)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebhookAttempt(SQLModel, table=True):
    __tablename__ = "webhook_attempts"
    __table_args__ = (
        UniqueConstraint("delivery_id", "number", name="uq_webhook_attempts_delivery_id"),
    )

    PRIVATE: ClassVar = ("delivery_id",)

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_deliveries.id")
    number: int
    started_at: datetime = Field(sa_type=UTCDateTime)
    duration_ms: int
    response_status: int | None = None
    error: str | None = Field(default=None, max_length=1000)
    response_body: str | None = Field(default=None, sa_type=Text)  # the first 1 KB
