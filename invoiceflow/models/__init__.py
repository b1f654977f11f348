"""SQLModel tables. Importing this package registers every table on ``metadata``."""

from __future__ import annotations

from sqlmodel import SQLModel

# Named constraints, so migrations can refer to them on every backend.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

from invoiceflow.models.customer import Customer  # noqa: E402
from invoiceflow.models.delivery import EmailDelivery, StripeEvent  # noqa: E402
from invoiceflow.models.estimate import Estimate, EstimateItem  # noqa: E402
from invoiceflow.models.event import (  # noqa: E402
    Event,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from invoiceflow.models.idempotency import IdempotencyKey  # noqa: E402
from invoiceflow.models.invoice import Invoice, InvoiceItem, LineItemBase  # noqa: E402
from invoiceflow.models.payment import Payment  # noqa: E402
from invoiceflow.models.product import Product, StockMovement  # noqa: E402
from invoiceflow.models.team import ApiKey, Membership, Team, User  # noqa: E402

metadata = SQLModel.metadata

__all__ = [
    "ApiKey",
    "Customer",
    "EmailDelivery",
    "Estimate",
    "EstimateItem",
    "Event",
    "IdempotencyKey",
    "Invoice",
    "InvoiceItem",
    "LineItemBase",
    "Membership",
    "Payment",
    "Product",
    "StockMovement",
    "StripeEvent",
    "Team",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "metadata",
]
