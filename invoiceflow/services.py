"""What requests share within one process, made once from the settings: the composition root
that the app, the CLI and the tests build."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import SQLModel

from invoiceflow.admission import Admission
from invoiceflow.core.effects import Effects
from invoiceflow.db import Database
from invoiceflow.jobs import Jobs
from invoiceflow.mailer import SmtpMailer
from invoiceflow.ratelimit import RateLimiter
from invoiceflow.settings import Settings
from invoiceflow.stripe_gateway import StripeGateway


class DatabaseJournal:
    """Keeps a row in a transaction of its own (a failed delivery outlives its request)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, row: SQLModel) -> None:
        async with self.db.write() as session:
            session.add(row)


@dataclass
class Services:
    """What requests share within one process."""

    settings: Settings
    db: Database
    limiter: RateLimiter
    effects: Effects = field(init=False)
    admission: Admission = field(init=False)
    jobs: Jobs = field(init=False)

    def __post_init__(self) -> None:
        settings = self.settings
        self.jobs = Jobs(settings.database_url)
        self.admission = Admission(settings.concurrent_requests, settings.db_timeout)
        self.effects = Effects(
            mailer=SmtpMailer(settings.smtp_url, settings.mail_from),
            payments=StripeGateway(settings.stripe_api_key, settings.stripe_api_base),
            journal=DatabaseJournal(self.db),
            public_url=settings.public_url.rstrip("/"),
            webhooks_may_be_private=settings.webhook_allow_private,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        return cls(
            settings=settings,
            db=Database.from_url(
                settings.database_url,
                timeout=settings.db_timeout,
                pool_size=settings.db_pool_size,
            ),
            limiter=RateLimiter(settings.rate_limit, settings.redis_url),
        )
