"""The ``invoiceflow`` command: serve, worker, migrate, create-api-key, seed-demo."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

import click

from invoiceflow import migrate as migrations
from invoiceflow.core.errors import ValidationFailed
from invoiceflow.core.principal import ROLES
from invoiceflow.db import Database
from invoiceflow.demo import DEMO_EMAIL, DEMO_TEAM, ensure_demo
from invoiceflow.resolvers.api_keys import provision
from invoiceflow.settings import get_settings

DEMO_KEY_FILE = Path(".invoiceflow-demo-key")


@click.group()
def main() -> None:
    """InvoiceFlow: an invoicing backend with GraphQL and REST v1."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("invoiceflow").setLevel(get_settings().log_level.upper())


@main.command()
def migrate() -> None:
    """Apply every migration (alembic upgrade head) to the configured database."""
    applied = migrations.upgrade(get_settings().database_url)
    for revision in applied:
        click.echo(f"applied {migrations.describe(revision)}")
    if applied:
        click.echo(f"database is at the latest migration ({len(applied)} applied now)")
    else:
        click.echo("database is at the latest migration (nothing to apply)")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1))
def serve(host: str, port: int, workers: int) -> None:
    """Apply migrations, then serve the API."""
    import uvicorn

    migrations.upgrade(get_settings().database_url)
    uvicorn.run(
        "invoiceflow.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
    )


@main.command()
@click.option(
    "--concurrency",
    default=4,
    show_default=True,
    type=click.IntRange(min=1, max=100),
    help="Jobs at work at once.",
)
def worker(concurrency: int) -> None:
    """Run background work alone (webhook deliveries, the sweep): as many as you like, on
    PostgreSQL, beside `serve` with INVOICEFLOW_EMBEDDED_WORKER=false or not."""
    from invoiceflow.services import Services
    from invoiceflow.work import run_worker

    settings = get_settings()
    if settings.database_url.startswith("sqlite"):
        raise click.ClickException(
            "On SQLite the work runs inside `invoiceflow serve` (one process); a worker of "
            "its own needs PostgreSQL (INVOICEFLOW_DATABASE_URL)."
        )
    migrations.upgrade(settings.database_url)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s %(message)s"
    )

    async def work() -> None:
        services = Services.from_settings(settings)
        running = asyncio.current_task()
        assert running is not None
        loop = asyncio.get_running_loop()
        for stop in (signal.SIGINT, signal.SIGTERM):  # end the jobs at work, then stop
            loop.add_signal_handler(stop, running.cancel)
        try:
            await run_worker(services, concurrency=concurrency)
        except asyncio.CancelledError:
            pass
        finally:
            await services.jobs.close()
            await services.db.dispose()

    asyncio.run(work())


@main.command("create-api-key")
@click.option("--email", required=True, help="The key's user (created when missing).")
@click.option("--team", "team_name", default=None, help="Team name (created when missing).")
@click.option("--role", type=click.Choice(ROLES), default="admin", show_default=True)
@click.option("--name", "key_name", default="cli", show_default=True, help="A label for the key.")
def create_api_key(email: str, team_name: str | None, role: str, key_name: str) -> None:
    """Create a user, team and membership where missing, and print a new key (last line)."""
    settings = get_settings()
    migrations.upgrade(settings.database_url)
    try:
        user_email, team, plain = asyncio.run(_provision(email, team_name, role, key_name))
    except ValidationFailed as exc:
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
        raise click.BadParameter(problems) from None
    click.echo(f"user: {user_email}")
    click.echo(f"team: {team}")
    click.echo("the key is shown once; keep it safe:")
    click.echo(plain)


async def _provision(
    email: str, team_name: str | None, role: str, key_name: str
) -> tuple[str, str, str]:
    db = Database.from_url(get_settings().database_url)
    try:
        async with db.write_sessions.begin() as session:
            user, team, plain = await provision(
                session=session, email=email, team_name=team_name, role=role, key_name=key_name
            )
            return user.email, team.name, plain
    finally:
        await db.dispose()


@main.command("seed-demo")
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="Where it serves.")
def seed_demo(url: str) -> None:
    """Create the demo team with sample data (once) and print its API key (last line).

    The key is kept in .invoiceflow-demo-key so that a second run prints the same one.
    """
    settings = get_settings()
    migrations.upgrade(settings.database_url)
    kept = DEMO_KEY_FILE.read_text().strip() if DEMO_KEY_FILE.exists() else None
    plain, created = asyncio.run(_demo(kept))
    if plain != kept:
        DEMO_KEY_FILE.write_text(plain + "\n")
        DEMO_KEY_FILE.chmod(0o600)
    click.echo("")
    click.echo(
        f"  Demo team {DEMO_TEAM!r} ({DEMO_EMAIL}): " + ("seeded now." if created else "ready.")
    )
    click.echo(f"  GraphiQL:  {url}/graphql  (paste the key into the Headers pane)")
    click.echo(f'  Try:       curl -s {url}/api/v1/invoices -H "Authorization: Bearer {plain}"')
    click.echo("  API key:")
    click.echo(plain)


async def _demo(kept: str | None) -> tuple[str, bool]:
    db = Database.from_url(get_settings().database_url)
    try:
        async with db.write_sessions.begin() as session:
            return await ensure_demo(session, kept)
    finally:
        await db.dispose()
