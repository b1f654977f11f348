"""Idempotency keys: the first response to a keyed request, kept for replays."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from invoiceflow.models.types import UTCDateTime, utcnow


class IdempotencyKey(SQLModel, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("team_id", "user_id", "key", name="uq_idempotency_keys_scope"),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id")
    user_id: int = Field(foreign_key="users.id")
    key: str = Field(max_length=255)
    # SHA-256 of the method, path and canonical body: the same key with another request
    # is refused.
    fingerprint: str = Field(max_length=64)
    # Stored with the work that made it (idempotency.py); null only in a claim left
    # unfinished by the code before 2026-12-04, which a new claim of the key replaces.
    status: int | None = Field(default=None)
    media_type: str | None = Field(default=None, max_length=100)
    body: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
