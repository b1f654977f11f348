"""Who is calling: the user, their current team and their role in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from invoiceflow.core.errors import Forbidden

ROLES = ("admin", "member", "viewer")


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    team_id: int
    role: str
    is_owner: bool
    api_key_id: int | None = None
    api_key_name: str | None = None
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
