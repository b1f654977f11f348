"""Teams as the caller sees them."""

from __future__ import annotations

from typing_extensions import TypedDict

from invoiceflow.context import Context
from invoiceflow.resolvers.teams import TeamView


class Plan(TypedDict):
    name: str


class TeamOut(TypedDict):
    id: int
    name: str
    is_current: bool
    is_owner: bool
    role: str
    plan: Plan
    currency: str
    payment_terms_days: int
    stripe_account_id: str | None


async def team(ctx: Context, view: TeamView) -> TeamOut:
    return TeamOut(
        id=view.id,
        name=view.name,
        is_current=view.is_current,
        is_owner=view.is_owner,
        role=view.role,
        plan=Plan(name=view.plan_name),
        currency=view.team.currency,
        payment_terms_days=view.team.payment_terms_days,
        stripe_account_id=view.team.stripe_account_id,
    )


async def teams(ctx: Context, views: list[TeamView]) -> list[TeamOut]:
    return [await team(ctx, view) for view in views]
