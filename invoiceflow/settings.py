"""Configuration from the environment (API.md §5)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INVOICEFLOW_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./invoiceflow.db"
    rate_limit: str = "60/minute"
    redis_url: str | None = None
    smtp_url: str | None = None
    mail_from: str = "invoices@localhost"
    stripe_api_key: str | None = Field(
        default=None, validation_alias=AliasChoices("STRIPE_API_KEY", "INVOICEFLOW_STRIPE_API_KEY")
    )
    stripe_webhook_secret: str | None = Field(
        default=None,
        validation_alias=AliasChoices("STRIPE_WEBHOOK_SECRET", "INVOICEFLOW_STRIPE_WEBHOOK_SECRET"),
    )
    stripe_api_base: str | None = None
    # Where clients reach this server (Stripe's success and cancel pages link back here).
    public_url: str = "http://127.0.0.1:8000"
    # Seconds to wait for a database connection or statement before answering 503.
    db_timeout: float = 5.0
    # Database connections per worker, all kept open (a pool that opens and closes extra
    # connections under load pays for it on every burst). Unset: 2 on SQLite, where each
    # connection is a thread contending for this process's one interpreter lock (measured:
    # 20 connections served a list at 104 req/s, 2 at 170), and 20 on PostgreSQL.
    db_pool_size: int | None = Field(default=None, ge=1, le=200)
    # Requests at work at once per worker; the others wait their turn in order of arrival
    # (invoiceflow/admission.py: a few at a time keep the CPU's caches warm).
    concurrent_requests: int = Field(default=8, ge=1, le=1000)
    log_level: str = "INFO"
    # GraphiQL at GET /graphql in a browser, and schema introspection: both off in production
    # if you prefer not to publish the schema.
    # Browser origins allowed to call the API (comma-separated); none by default.
    cors_origins: str = ""
    graphiql: bool = True
    introspection: bool = True
    # The fast paths (invoiceflow/fast/README.md): "off" runs graphql-core's own execution and
    # plain SQLAlchemy reads, answering the same. Read once per process, at start.
    fast_paths: Literal["on", "off"] = "on"
    # Background work (invoiceflow/jobs.py): `serve` runs a worker of its own unless false
    # (then `invoiceflow worker` processes do the work).
    embedded_worker: bool = True
    # Seconds after which a worker that stopped beating counts as dead, and its jobs are run
    # again (API-events.md §5: at most 5 minutes).
    job_stalled_seconds: float = Field(default=60.0, gt=0, le=300)
    # How often an idle worker looks for jobs that came due (new ones wake it at once).
    job_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    # How often the sweep defers what is due (work.py): a divisor of 60, in seconds.
    job_sweep_seconds: int = Field(default=60, ge=1, le=60)
    # Webhooks (API-events.md §3, §4): the waits between attempts at a delivery, in seconds;
    # and whether endpoints may be http:// or on private addresses (tests, private networks).
    webhook_retry_schedule: str = "5,300,1800,7200,18000,36000,36000"
    webhook_allow_private: bool = False
    webhook_timeout: float = Field(default=10.0, gt=0, le=60)
    # Events are kept this many days at least (API-events.md §2: never fewer than 30).
    event_retention_days: int = Field(default=90, ge=30)

    @property
    def retry_schedule(self) -> tuple[float, ...]:
        return tuple(float(step) for step in self.webhook_retry_schedule.split(",") if step)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
