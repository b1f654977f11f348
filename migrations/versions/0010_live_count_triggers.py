"""the live-document counts kept by the database itself, in triggers

teams.live_invoices and teams.live_estimates (0007, 0008) were kept by the application: the
create's numbering statement raised them, and each delete had to remember to lower them. Now
triggers on invoices and estimates keep them, whoever writes: an insert of a live row raises
its team's count, a soft delete (deleted_at set) or a hard delete of a live row lowers it, and
a restore raises it again. The counts are recounted once here, so they start right.

A later migration that rebuilds invoices or estimates on SQLite (batch mode's copy-and-move,
for a change ALTER TABLE cannot make) drops these triggers with the old table: it must create
them again (tests/test_live_count_property.py fails when one is missing).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 20:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each kept document and the teams column that counts its live rows.
COUNTED = {"invoices": "live_invoices", "estimates": "live_estimates"}

_SQLITE = """
CREATE TRIGGER {table}_live_insert AFTER INSERT ON {table} WHEN NEW.deleted_at IS NULL
BEGIN UPDATE teams SET {count} = {count} + 1 WHERE id = NEW.team_id; END;
CREATE TRIGGER {table}_live_delete AFTER DELETE ON {table} WHEN OLD.deleted_at IS NULL
BEGIN UPDATE teams SET {count} = {count} - 1 WHERE id = OLD.team_id; END;
CREATE TRIGGER {table}_live_soft_delete AFTER UPDATE OF deleted_at ON {table}
WHEN OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL
BEGIN UPDATE teams SET {count} = {count} - 1 WHERE id = NEW.team_id; END;
CREATE TRIGGER {table}_live_restore AFTER UPDATE OF deleted_at ON {table}
WHEN OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL
BEGIN UPDATE teams SET {count} = {count} + 1 WHERE id = NEW.team_id; END;
"""

_POSTGRES = """
CREATE FUNCTION {table}_live_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.deleted_at IS NULL THEN
      UPDATE teams SET {count} = {count} + 1 WHERE id = NEW.team_id;
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    IF OLD.deleted_at IS NULL THEN
      UPDATE teams SET {count} = {count} - 1 WHERE id = OLD.team_id;
    END IF;
  ELSIF OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN
    UPDATE teams SET {count} = {count} - 1 WHERE id = NEW.team_id;
  ELSIF OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL THEN
    UPDATE teams SET {count} = {count} + 1 WHERE id = NEW.team_id;
  END IF;
  RETURN NULL;
END $$
"""
_POSTGRES_TRIGGER = """
CREATE TRIGGER {table}_live_count AFTER INSERT OR DELETE OR UPDATE OF deleted_at ON {table}
FOR EACH ROW EXECUTE FUNCTION {table}_live_count()
"""

_RECOUNT = (
    "UPDATE teams SET {count} = (SELECT count(*) FROM {table} "
    "WHERE {table}.team_id = teams.id AND {table}.deleted_at IS NULL)"
)


def _statements(script: str) -> list[str]:
    """SQLite's triggers one statement each (a statement ends at "END;")."""
    return [part.strip() + " END;" for part in script.split("END;") if part.strip()]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, count in COUNTED.items():
        scripts = _statements(_SQLITE) if sqlite else [_POSTGRES, _POSTGRES_TRIGGER]
        for statement in scripts:
            op.execute(statement.format(table=table, count=count))
        op.execute(_RECOUNT.format(table=table, count=count))


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in COUNTED:
        if sqlite:
            for kind in ("insert", "delete", "soft_delete", "restore"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_live_{kind}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_live_count ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_live_count()")
