"""Tenancy: users, teams, memberships and API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from invoiceflow.models.types import UTCDateTime, utcnow


class Team(SQLModel, table=True):
    __tablename__ = "teams"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    plan_name: str = Field(default="Free", max_length=50)
    currency: str = Field(default="USD", max_length=3)
    payment_terms_days: int = Field(default=30)
    stripe_account_id: str | None = Field(default=None, max_length=255)
    # Per-team document counters: bumped with a single UPDATE ... RETURNING inside the
    # creating transaction, so numbers have no gaps and no duplicates (see resolvers.numbering).
    invoice_seq: int = Field(default=0)
    estimate_seq: int = Field(default=0)
    # The team's live (not deleted) documents, kept by the database's triggers (0010): an
    # unfiltered list's total reads them instead of counting rows.
    live_invoices: int = Field(default=0)
    live_estimates: int = Field(default=0)
    # The sequence of the team's last event (resolvers/events.py): taken as a writing
    # transaction's last statement, so events are numbered in commit order.
    event_seq: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=255, unique=True)
    name: str | None = Field(default=None, max_length=200)
    current_team_id: int | None = Field(default=None, foreign_key="teams.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Membership(SQLModel, table=True):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_memberships_team_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id")
    user_id: int = Field(foreign_key="users.id", index=True)
    role: str = Field(max_length=20)
    is_owner: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_user_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    name: str = Field(max_length=200)
    prefix: str = Field(max_length=32)
    # SHA-256 of the whole key: the plain key is never stored.
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
