"""Teams as seen by the caller: list, current, switch, settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from invoiceflow.core.errors import NotFound, ValidationFailed
from invoiceflow.core.principal import Principal, require_admin
from invoiceflow.models import Membership, Team, User
from invoiceflow.models.types import utcnow
from invoiceflow.resolvers import events
from invoiceflow.resolvers.validation import NOT_BLANK, Input, Int, not_null, parse, sent_fields


@dataclass(frozen=True, slots=True)
class TeamView:
    """A team with the caller's relation to it."""

    team: Team
    role: str
    is_owner: bool
    is_current: bool

    @property
    def id(self) -> int:
        assert self.team.id is not None
        return self.team.id

    @property
    def name(self) -> str:
        return self.team.name

    @property
    def plan_name(self) -> str:
        return self.team.plan_name


async def list_teams(*, session: AsyncSession, principal: Principal) -> list[TeamView]:
    """Every team the caller belongs to, oldest membership first."""
    rows = await session.execute(
        select(Team, Membership)
        .join(Membership, col(Membership.team_id) == Team.id)
        .where(col(Membership.user_id) == principal.user_id)
        .order_by(col(Team.id))
    )
    return [
        TeamView(team, m.role, m.is_owner, team.id == principal.team_id) for team, m in rows.all()
    ]


async def current_team(*, session: AsyncSession, principal: Principal) -> TeamView:
    team = await session.get(Team, principal.team_id)
    assert team is not None  # authentication resolved the membership in this very team
    return TeamView(team, principal.role, principal.is_owner, True)


class SwitchInput(Input):
    team_id: Int


async def switch_team(*, session: AsyncSession, principal: Principal, data: Any) -> TeamView:
    """Make another of the caller's teams current for all of the caller's keys."""
    team_id = parse(SwitchInput, data).team_id
    row = (
        await session.execute(
            select(Team, Membership)
            .join(Membership, col(Membership.team_id) == Team.id)
            .where(col(Membership.user_id) == principal.user_id, col(Team.id) == team_id)
        )
    ).first()
    if row is None:
        raise NotFound("Team not found.")
    team, membership = row
    user = await session.get(User, principal.user_id)
    assert user is not None
    user.current_team_id = team.id
    return TeamView(team, membership.role, membership.is_owner, True)


class TeamSettingsInput(Input):
    # The resolver checks these (with its own messages); the document states the same rules.
    name: str | None = Field(
        default=None, max_length=200, json_schema_extra=not_null(pattern=NOT_BLANK)
    )
    stripe_account_id: str | None = Field(
        default=None, max_length=255, json_schema_extra={"pattern": r"^acct_[^\x00]*$"}
    )
    payment_terms_days: Int | None = Field(
        default=None, json_schema_extra=not_null(minimum=0, maximum=365)
    )


async def update_team_settings(
    *, session: AsyncSession, principal: Principal, data: Any
) -> TeamView:
    """Owner or admin only: name, payment terms and the connected Stripe account."""
    require_admin(principal)
    changes = sent_fields(parse(TeamSettingsInput, data))
    errors: dict[str, list[str]] = {}
    if "name" in changes and not changes["name"]:
        errors["name"] = ["The name field is required."]
    account = changes.get("stripe_account_id")
    if account is not None and not account.startswith("acct_"):
        errors["stripe_account_id"] = ["Must be a Stripe account id (acct_...)."]
    terms = changes.get("payment_terms_days")
    if "payment_terms_days" in changes and (terms is None or not 0 <= terms <= 365):
        errors["payment_terms_days"] = ["Must be between 0 and 365."]
    if errors:
        raise ValidationFailed(errors)
    view = await current_team(session=session, principal=principal)
    before = events.snapshot(view.team)
    for name, value in changes.items():
        setattr(view.team, name, value or None if name == "stripe_account_id" else value)
    view.team.updated_at = utcnow()
    events.record(session, "team.updated", view.team, before=before)
    return view


async def get_user(*, session: AsyncSession, principal: Principal) -> User:
    user = await session.get(User, principal.user_id)
    assert user is not None
    return user
