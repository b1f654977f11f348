"""the job queue's tables on PostgreSQL (Procrastinate 3.10's schema)

On PostgreSQL the background work's queue is Procrastinate's, in this database
(invoiceflow/jobs.py): its tables, types and functions are created here, as the schema of the
pinned release ships them. A later release of Procrastinate brings its own migrations (in
its package's sql/migrations), applied by a migration of ours with the upgrade. On SQLite the
queue lives in the server's process: nothing to create.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 22:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from procrastinate.schema import SchemaManager
from sqlalchemy.util import await_only

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OBJECTS = """
DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
    procrastinate_workers CASCADE;
DROP TYPE IF EXISTS procrastinate_job_status, procrastinate_job_event_type CASCADE;
"""


def _run_script(sql: str) -> None:
    """Run a script of many statements (functions with $$ bodies among them) as one: the
    driver's own simple query, which takes several statements where a prepared one does not."""
    raw = op.get_bind().connection.dbapi_connection.driver_connection  # asyncpg's connection
    await_only(raw.execute(sql))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _run_script(SchemaManager.get_schema())


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _run_script(_OBJECTS)
    functions = op.get_bind().exec_driver_sql(
        "SELECT p.oid::regprocedure::text FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%'"
    )
    for (signature,) in functions.all():
        op.execute(f"DROP FUNCTION IF EXISTS {signature} CASCADE")
    types = op.get_bind().exec_driver_sql(
        "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        "LEFT JOIN pg_class c ON c.oid = t.typrelid "
        "WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate%' "
        "AND (t.typtype = 'e' OR c.relkind = 'c')"
    )
    for (name,) in types.all():
        op.execute(f'DROP TYPE IF EXISTS "{name}" CASCADE')
