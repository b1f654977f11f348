"""Alembic environment: async engines, the URL from settings, batch mode for SQLite."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from invoiceflow.db import make_engine
from invoiceflow.migrate import include_object
from invoiceflow.models import metadata
from invoiceflow.settings import get_settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    return config.attributes.get("database_url") or get_settings().database_url


def do_run_migrations(connection: Connection) -> None:
    applied: list[str] = config.attributes.setdefault("applied", [])

    def record(*, step: Any, **_: Any) -> None:  # each revision, as it is applied
        applied.append(f"{step.up_revision_id if step.is_upgrade else step.down_revision_ids}")

    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
        on_version_apply=record,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = make_engine(database_url(), sqlite_foreign_keys=False)
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
        if connection.dialect.name == "sqlite":
            # Foreign keys were off while tables were rebuilt: prove nothing was left dangling.
            broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
            if broken:
                raise RuntimeError(f"migration left dangling foreign keys: {broken[:5]}")
    await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
elif (connection := config.attributes.get("connection")) is not None:
    do_run_migrations(connection)
else:
    asyncio.run(run_async_migrations())
