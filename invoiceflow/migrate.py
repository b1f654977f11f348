"""Alembic, driven from code: the CLI and the tests apply migrations through here."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

ROOT = Path(__file__).resolve().parent.parent


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """For autogenerate: PostgreSQL's trigram search indexes live only in migrations, and the
    job queue's tables are Procrastinate's (0012), not our models'."""
    if type_ == "table" and reflected and (name or "").startswith("procrastinate_"):
        return False
    return not (type_ == "index" and reflected and (name or "").endswith("_trgm"))


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> list[str]:
    """Apply the migrations up to ``revision``; the revisions applied now, in order (none
    when the database was there already)."""
    config = alembic_config(database_url)
    command.upgrade(config, revision)
    return list(config.attributes.get("applied", []))


def describe(revision: str) -> str:
    """A revision's id and the first line of its docstring, e.g. "0009 invoices.amount_..."."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(revision)
    return f"{revision} {script.doc}" if script is not None else revision


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)
