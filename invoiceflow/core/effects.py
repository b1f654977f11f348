"""What the domain may ask of the outside world, as interfaces the app fills in.

Resolvers that mail or charge take an ``Effects``; the app passes the real SMTP mailer,
Stripe gateway and failure journal, and nothing in resolvers/ knows how they work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlmodel import SQLModel


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    media_type: str


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str
    attachments: Sequence[Attachment] = field(default_factory=tuple)


class Mailer(Protocol):
    async def send(self, mail: Mail) -> str:
        """Deliver ``mail``; answer "sent", or "logged" when no server is configured.

        Raises ``UpstreamError`` when the server refuses or cannot be reached.
        """
        ...


@dataclass(frozen=True)
class CheckoutRequest:
    account: str
    amount_minor: int
    currency: str
    description: str
    customer_email: str | None
    metadata: dict[str, str]
    success_url: str
    cancel_url: str


class PaymentGateway(Protocol):
    @property
    def configured(self) -> bool: ...

    async def checkout_url(self, request: CheckoutRequest) -> str:
        """A hosted checkout page for ``request``; raises ``UpstreamError`` on failure."""
        ...


class Journal(Protocol):
    async def record(self, row: SQLModel) -> None:
        """Keep ``row`` even though the request's own transaction will roll back."""
        ...


@dataclass(frozen=True)
class Effects:
    mailer: Mailer
    payments: PaymentGateway
    journal: Journal
    public_url: str = "http://127.0.0.1:8000"
    # Webhook endpoints may be http:// and on private addresses (tests, private networks).
    webhooks_may_be_private: bool = False
