"""What an event carries as ``data.object``: the object as REST's GET shows it (API-events.md
§1), rendered by the same shapes as the routes' answers, and the writing of a request's
events with them (``write_events``, the last work of every writing transaction)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from invoiceflow.context import Context
from invoiceflow.core.effects import Effects
from invoiceflow.core.principal import Principal
from invoiceflow.models import ApiKey, Team
from invoiceflow.resolvers import events
from invoiceflow.rest_compat import shapes
from invoiceflow.rest_compat.shapes.common import PAYMENT
from invoiceflow.rest_compat.shapes.fields import Shape, columns, given
from invoiceflow.rest_compat.shapes.webhooks import endpoint_object

Object = dict[str, Any]

# A team as it is, not as one caller sees it (no role, no "is current").
TEAM = Shape(
    "TeamObject",
    columns(Team, "id", "name"),
    given("plan", dict),
    columns(Team, "currency", "payment_terms_days", "stripe_account_id"),
)
API_KEY = Shape("ApiKeyObject", columns(ApiKey, "id", "name", "prefix", "created_at", "revoked_at"))


async def _team(ctx: Context, row: Team) -> Object:
    return TEAM.build(row, plan={"name": row.plan_name})


async def _payment(ctx: Context, row: Any) -> Object:
    return PAYMENT.build(row)


async def _api_key(ctx: Context, row: Any) -> Object:
    return API_KEY.build(row)


async def _webhook_endpoint(ctx: Context, row: Any) -> Object:
    return endpoint_object(row)


SHOWN: dict[str, Any] = {
    "invoice": shapes.invoice_detail,
    "customer": shapes.customer_detail,
    "product": shapes.product,
    "estimate": shapes.estimate_detail,
    "payment": _payment,
    "team": _team,
    "api_key": _api_key,
    "webhook_endpoint": _webhook_endpoint,
}


async def write_events(ctx: Context, actor: events.Actor | None = None) -> events.Written:
    """Write the events of what ``ctx``'s work recorded (resolvers/events.py), as ``actor``
    (the request's key when not said)."""

    async def show(object_type: str, row: Any) -> Object:
        shown: Object = await SHOWN[object_type](ctx, row)
        return shown

    return await events.write_recorded(
        ctx.session,
        actor or events.actor_of(ctx.principal),
        show,
        team_id=ctx.principal.team_id,
    )


async def write_team_events(
    session: AsyncSession, actor: events.Actor, effects: Effects | None = None
) -> events.Written:
    """Write what work outside a request recorded (the Stripe webhook, a job), in the team of
    the rows it changed, as ``actor``; their objects read as the team's own reads."""
    teams = {change.row.team_id for change in events.recorded(session)}
    if not teams:
        return events.Written()
    (team_id,) = teams  # such work is about one team
    principal = Principal(user_id=0, team_id=team_id, role="admin", is_owner=False)
    ctx = Context(session=session, principal=principal, effects=effects)
    return await write_events(ctx, actor)
