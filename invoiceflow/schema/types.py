"""Strawberry object types. Each resolves straight off the model returned by resolvers/.

Scalar fields are plain attributes (sync, no per-row work); relations go through the
request's dataloaders, so a list costs one statement per relation.
"""

from __future__ import annotations

import datetime as dt
import decimal
from enum import Enum

import strawberry
from strawberry.types import Info

from invoiceflow.context import Context
from invoiceflow.models import ApiKey as ApiKeyModel
from invoiceflow.models import Customer as CustomerModel
from invoiceflow.models import EmailDelivery as EmailDeliveryModel
from invoiceflow.models import Invoice as InvoiceModel
from invoiceflow.models import InvoiceItem as InvoiceItemModel
from invoiceflow.models import Payment as PaymentModel
from invoiceflow.models import User as UserModel
from invoiceflow.resolvers import customers, teams
from invoiceflow.resolvers.invoices import STATUS_COLUMNS, effective_status
from invoiceflow.resolvers.lines import MAX_LINES
from invoiceflow.resolvers.pagination import Page
from invoiceflow.resolvers.teams import TeamView
from invoiceflow.schema.catalog_types import ProductType_
from invoiceflow.schema.entities import shows
from invoiceflow.schema.event_types import EventConnection, object_events
from invoiceflow.schema.pages import PageInfo
from invoiceflow.schema.relations import newest, relation


@strawberry.enum
class InvoiceStatus(Enum):
    DRAFT = "draft"
    SENT = "sent"
    PARTIAL = "partial"
    PAID = "paid"
    OVERDUE = "overdue"
    CANCELLED = "cancelled"


@strawberry.enum
class TeamRole(Enum):
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


@strawberry.type
class Plan:
    name: str


@strawberry.type(name="Team")
class TeamType:
    @strawberry.field
    def id(self, root: strawberry.Parent[TeamView]) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field
    def name(self, root: strawberry.Parent[TeamView]) -> str:
        return root.name

    @strawberry.field
    def plan(self, root: strawberry.Parent[TeamView]) -> Plan:
        return Plan(name=root.plan_name)

    @strawberry.field
    def role(self, root: strawberry.Parent[TeamView]) -> TeamRole:
        return TeamRole(root.role)

    @strawberry.field
    def is_owner(self, root: strawberry.Parent[TeamView]) -> bool:
        return root.is_owner

    @strawberry.field
    def is_current(self, root: strawberry.Parent[TeamView]) -> bool:
        return root.is_current

    @strawberry.field
    def currency(self, root: strawberry.Parent[TeamView]) -> str:
        return root.team.currency

    @strawberry.field
    def payment_terms_days(self, root: strawberry.Parent[TeamView]) -> int:
        return root.team.payment_terms_days

    @strawberry.field
    def stripe_account_id(self, root: strawberry.Parent[TeamView]) -> str | None:
        return root.team.stripe_account_id


@strawberry.type(name="User")
class UserType:
    id: strawberry.ID
    email: str
    name: str | None

    @strawberry.field
    async def current_team(
        self, root: strawberry.Parent[UserModel], info: Info[Context, None]
    ) -> TeamType:
        ctx = info.context
        return await teams.current_team(session=ctx.session, principal=ctx.principal)  # type: ignore[return-value]


@strawberry.type(name="InvoiceItem")
@shows(InvoiceItemModel)
class InvoiceItemType:
    @strawberry.field(metadata={"reads": ("tax_amount",)})
    def tax(self, root: strawberry.Parent[InvoiceItemModel]) -> decimal.Decimal:
        return root.tax_amount

    product: ProductType_ | None = relation(
        "product",
        "product_id",
        description="The product this line was made from (even if deleted since).",
    )


@strawberry.enum
class EmailStatus(Enum):
    SENT = "sent"
    LOGGED = "logged"
    FAILED = "failed"


@strawberry.type(name="EmailDelivery")
class EmailDeliveryType:
    id: strawberry.ID
    kind: str
    recipient: str
    subject: str
    error: str | None
    created_at: dt.datetime

    @strawberry.field
    def status(self, root: strawberry.Parent[EmailDeliveryModel]) -> EmailStatus:
        return EmailStatus(root.status)


@strawberry.type(name="Invoice")
@shows(InvoiceModel)
class InvoiceType:
    events: EventConnection = object_events("invoice")

    @strawberry.field(metadata={"reads": STATUS_COLUMNS})
    def status(self, root: strawberry.Parent[InvoiceModel]) -> InvoiceStatus:
        return InvoiceStatus(effective_status(root))

    customer: CustomerType = relation("customer", "customer_id")

    @strawberry.field(
        description="Where to download this invoice as a PDF (same key).",
        metadata={"reads": ("id",)},
    )
    def pdf_url(self, root: strawberry.Parent[InvoiceModel]) -> str:
        return f"/api/v1/invoices/{root.id}/pdf"

    emails: list[EmailDeliveryType] = newest(
        "invoice_emails",
        "id",
        description="Email deliveries of this invoice, newest first.",
    )

    payments: list[PaymentType] = newest(
        "invoice_payments", "id", description="Payments received, newest first."
    )

    items: list[InvoiceItemType] = relation("invoice_items", "id", cap=MAX_LINES)


@strawberry.type(name="Customer")
@shows(CustomerModel)
class CustomerType:
    events: EventConnection = object_events("customer")
    total_invoiced: decimal.Decimal = relation("customer_total_invoiced", "id")

    invoices: list[InvoiceType] = newest(
        "customer_invoices",
        "id",
        description="The customer's invoices, newest first.",
    )

    payments: list[PaymentType] = newest(
        "customer_payments",
        "id",
        description="The customer's payment history, newest first.",
    )

    recent_invoices: list[InvoiceType] = relation(
        "customer_recent_invoices",
        "id",
        description="The 10 newest invoices.",
        cap=customers.RECENT_INVOICES,
    )


@strawberry.type
class InvoicePage:
    items: list[InvoiceType]

    @strawberry.field
    def page_info(self, root: strawberry.Parent[Page[InvoiceModel]]) -> PageInfo:
        return PageInfo.of(root)  # type: ignore[arg-type]


@strawberry.type
class CustomerPage:
    items: list[CustomerType]

    @strawberry.field
    def page_info(self, root: strawberry.Parent[Page[CustomerModel]]) -> PageInfo:
        return PageInfo.of(root)  # type: ignore[arg-type]


@strawberry.type(name="ApiKey")
class ApiKeyType:
    id: strawberry.ID
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


@strawberry.type
class NewApiKey:
    api_key: ApiKeyType
    plain_key: str

    @classmethod
    def of(cls, key: ApiKeyModel, plain: str) -> NewApiKey:
        return cls(api_key=key, plain_key=plain)  # type: ignore[arg-type]


@strawberry.enum
class PaymentMethod(Enum):
    BANK_TRANSFER = "bank_transfer"
    CARD = "card"
    CASH = "cash"
    CHECK = "check"
    STRIPE = "stripe"
    OTHER = "other"


@strawberry.type(name="Payment")
@shows(PaymentModel)
class PaymentType:
    @strawberry.field
    def method(self, root: strawberry.Parent[PaymentModel]) -> PaymentMethod:
        return PaymentMethod(root.method)

    invoice: InvoiceType = relation("invoice", "invoice_id")
