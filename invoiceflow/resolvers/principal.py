"""Who is calling: the user, their current team and their role in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import col

from invoiceflow.resolvers.errors import Forbidden

ROLES = ("admin", "member", "viewer")


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    team_id: int
    role: str
    is_owner: bool
    api_key_id: int | None = None
    key_last_used_at: datetime | None = None

    @property
    def can_write(self) -> bool:
        return self.role != "viewer"

    @property
    def is_admin(self) -> bool:
        return self.is_owner or self.role == "admin"


def require_writer(principal: Principal) -> None:
    """Viewers read; every write goes through this check first."""
    if not principal.can_write:
        raise Forbidden("Viewers can read but not change anything in this team.")


def require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("Only the team's owner or an admin can change its settings.")


def in_team(model: Any) -> Any:
    """The tenant filter of a statement built once: ``model``'s rows of the team bound as
    ``team_id`` (the caller's, per request)."""
    return col(model.team_id) == bindparam("team_id")


def live_in_team(model: Any) -> list[Any]:
    """``in_team``, and not deleted."""
    return [in_team(model), col(model.deleted_at).is_(None)]
