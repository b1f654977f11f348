"""The Mutation root: each field converts its input to a dict and calls one resolver."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from invoiceflow.context import Context
from invoiceflow.core.errors import NotFound
from invoiceflow.resolvers import (
    api_keys,
    customers,
    delivery,
    estimates,
    invoices,
    payments,
    products,
    teams,
    webhooks,
)
from invoiceflow.schema.catalog_types import ProductType_
from invoiceflow.schema.estimate_types import EstimateType
from invoiceflow.schema.event_types import (
    NewWebhookEndpoint,
    WebhookEndpointInput,
    WebhookEndpointType,
    WebhookEndpointUpdateInput,
)
from invoiceflow.schema.inputs import (
    CustomerInput,
    CustomerUpdateInput,
    EstimateInput,
    EstimateUpdateInput,
    InvoiceInput,
    InvoiceUpdateInput,
    PaymentInput,
    ProductInput,
    ProductUpdateInput,
    TeamSettingsInput,
    to_data,
)
from invoiceflow.schema.query import object_id
from invoiceflow.schema.types import CustomerType, InvoiceType, NewApiKey, PaymentType, TeamType

CtxInfo = Info[Context, None]


def target(value: strawberry.ID) -> int:
    """The id a mutation acts on; one that cannot exist is simply not found."""
    found = object_id(value)
    if found is None:
        raise NotFound()
    return found


@strawberry.type
class SendInvoiceEmailPayload:
    invoice: InvoiceType
    recipient: str


@strawberry.type
class PaymentLinkPayload:
    invoice: InvoiceType
    url: str


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_invoice(self, info: CtxInfo, input: InvoiceInput) -> InvoiceType:
        ctx = info.context
        return await invoices.create_invoice(  # type: ignore[return-value]
            session=ctx.session, principal=ctx.principal, data=to_data(input)
        )

    @strawberry.mutation
    async def update_invoice(
        self, info: CtxInfo, id: strawberry.ID, input: InvoiceUpdateInput
    ) -> InvoiceType:
        ctx = info.context
        return await invoices.update_invoice(  # type: ignore[return-value]
            session=ctx.session, principal=ctx.principal, invoice_id=target(id), data=to_data(input)
        )

    @strawberry.mutation
    async def cancel_invoice(self, info: CtxInfo, id: strawberry.ID) -> InvoiceType:
        ctx = info.context
        return await invoices.cancel_invoice(  # type: ignore[return-value]
            session=ctx.session, principal=ctx.principal, invoice_id=target(id)
        )

    @strawberry.mutation
    async def delete_invoice(self, info: CtxInfo, id: strawberry.ID) -> strawberry.ID:
        ctx = info.context
        deleted = await invoices.delete_invoice(
            session=ctx.session, principal=ctx.principal, invoice_id=target(id)
        )
        return strawberry.ID(str(deleted.id))

    @strawberry.mutation
    async def create_customer(self, info: CtxInfo, input: CustomerInput) -> CustomerType:
        ctx = info.context
        return await customers.create_customer(  # type: ignore[return-value]
            session=ctx.session, principal=ctx.principal, data=to_data(input)
        )

    @strawberry.mutation
    async def update_customer(
        self, info: CtxInfo, id: strawberry.ID, input: CustomerUpdateInput
    ) -> CustomerType:
        ctx = info.context
        return await customers.update_customer(  # type: ignore[return-value]
            session=ctx.session,
            principal=ctx.principal,
            customer_id=target(id),
            data=to_data(input),
        )

    @strawberry.mutation
    async def delete_customer(self, info: CtxInfo, id: strawberry.ID) -> strawberry.ID:
        ctx = info.context
        deleted = await customers.delete_customer(
            session=ctx.session, principal=ctx.principal, customer_id=target(id)
        )
        return strawberry.ID(str(deleted.id))

    @strawberry.mutation
    async def switch_team(self, info: CtxInfo, team_id: strawberry.ID) -> TeamType:
        ctx = info.context
        found = object_id(team_id)
        if found is None:
            raise NotFound("Team not found.")
        return await teams.switch_team(  # type: ignore[return-value]
            session=ctx.session, principal=ctx.principal, data={"team_id": found}
        )

    @strawberry.mutation
    async def update_team_settings(self, info: CtxInfo, input: TeamSettingsInput) -> TeamType:
        ctx = info.context
        return await teams.update_team_settings(  # type: ignore[return-value]
            session=ctx.session, principal=ctx.principal, data=to_data(input)
        )

    @strawberry.mutation
    async def create_api_key(self, info: CtxInfo, name: str) -> NewApiKey:
        ctx = info.context
        key, plain = await api_keys.create_api_key(
            session=ctx.session, principal=ctx.principal, data={"name": name}
        )
        return NewApiKey.of(key, plain)

    @strawberry.mutation
    async def revoke_api_key(self, info: CtxInfo, id: strawberry.ID) -> strawberry.ID:
        ctx = info.context
        key = await api_keys.revoke_api_key(
            session=ctx.session, principal=ctx.principal, key_id=target(id)
        )
        return strawberry.ID(str(key.id))

    @strawberry.mutation
    async def record_payment(
        self, info: CtxInfo, invoice_id: strawberry.ID, input: PaymentInput
    ) -> PaymentType:
        ctx = info.context
        return await payments.record_payment(  # type: ignore[return-value]
            session=ctx.session,
            principal=ctx.principal,
            invoice_id=target(invoice_id),
            data=to_data(input),
        )

    @strawberry.mutation
    async def create_product(self, info: CtxInfo, input: ProductInput) -> ProductType_:
        ctx = info.context
        return await products.create_product(  # type: ignore[return-value]
            session=ctx.session, principal=ctx.principal, data=to_data(input)
        )

    @strawberry.mutation
    async def update_product(
        self, info: CtxInfo, id: strawberry.ID, input: ProductUpdateInput
    ) -> ProductType_:
        ctx = info.context
        return await products.update_product(  # type: ignore[return-value]
            session=ctx.session, principal=ctx.principal, product_id=target(id), data=to_data(input)
        )

    @strawberry.mutation
    async def delete_product(self, info: CtxInfo, id: strawberry.ID) -> strawberry.ID:
        ctx = info.context
        deleted = await products.delete_product(
            session=ctx.session, principal=ctx.principal, product_id=target(id)
        )
        return strawberry.ID(str(deleted.id))

    @strawberry.mutation
    async def adjust_stock(
        self, info: CtxInfo, id: strawberry.ID, adjustment: int, reason: str | None = None
    ) -> ProductType_:
        ctx = info.context
        return await products.adjust_stock(  # type: ignore[return-value]
            session=ctx.session,
            principal=ctx.principal,
            product_id=target(id),
            data={"adjustment": adjustment, "reason": reason},
        )

    @strawberry.mutation
    async def create_estimate(self, info: CtxInfo, input: EstimateInput) -> EstimateType:
        ctx = info.context
        return await estimates.create_estimate(  # type: ignore[return-value]
            session=ctx.session, principal=ctx.principal, data=to_data(input)
        )

    @strawberry.mutation
    async def update_estimate(
        self, info: CtxInfo, id: strawberry.ID, input: EstimateUpdateInput
    ) -> EstimateType:
        ctx = info.context
        return await estimates.update_estimate(  # type: ignore[return-value]
            session=ctx.session,
            principal=ctx.principal,
            estimate_id=target(id),
            data=to_data(input),
        )

    @strawberry.mutation
    async def delete_estimate(self, info: CtxInfo, id: strawberry.ID) -> strawberry.ID:
        ctx = info.context
        deleted = await estimates.delete_estimate(
            session=ctx.session, principal=ctx.principal, estimate_id=target(id)
        )
        return strawberry.ID(str(deleted.id))

    @strawberry.mutation
    async def convert_estimate_to_invoice(self, info: CtxInfo, id: strawberry.ID) -> InvoiceType:
        ctx = info.context
        return await estimates.convert_estimate(  # type: ignore[return-value]
            session=ctx.session, principal=ctx.principal, estimate_id=target(id)
        )

    @strawberry.mutation(description="Mail the invoice (PDF attached) to the customer.")
    async def send_invoice_email(self, info: CtxInfo, id: strawberry.ID) -> SendInvoiceEmailPayload:
        ctx = info.context
        assert ctx.effects is not None
        sent = await delivery.send_invoice_email(
            session=ctx.session, principal=ctx.principal, invoice_id=target(id), effects=ctx.effects
        )
        return SendInvoiceEmailPayload(invoice=sent.invoice, recipient=sent.recipient)  # type: ignore[arg-type]

    @strawberry.mutation(description="A Stripe payment link for the balance due, mailed too.")
    async def send_invoice_payment_link(
        self, info: CtxInfo, id: strawberry.ID
    ) -> PaymentLinkPayload:
        ctx = info.context
        assert ctx.effects is not None
        link = await delivery.send_payment_link(
            session=ctx.session, principal=ctx.principal, invoice_id=target(id), effects=ctx.effects
        )
        return PaymentLinkPayload(invoice=link.invoice, url=link.url)  # type: ignore[arg-type]

    @strawberry.mutation(description="A webhook endpoint; its secret is answered here only.")
    async def create_webhook_endpoint(
        self, info: CtxInfo, input: WebhookEndpointInput
    ) -> NewWebhookEndpoint:
        ctx = info.context
        assert ctx.effects is not None
        made = await webhooks.create_endpoint(
            session=ctx.session, principal=ctx.principal, data=to_data(input), effects=ctx.effects
        )
        return NewWebhookEndpoint.of(made)

    @strawberry.mutation
    async def update_webhook_endpoint(
        self, info: CtxInfo, id: strawberry.ID, input: WebhookEndpointUpdateInput
    ) -> WebhookEndpointType:
        ctx = info.context
        assert ctx.effects is not None
        return await webhooks.update_endpoint(  # type: ignore[return-value]
            session=ctx.session,
            principal=ctx.principal,
            endpoint_id=target(id),
            data=to_data(input),
            effects=ctx.effects,
        )

    @strawberry.mutation
    async def delete_webhook_endpoint(self, info: CtxInfo, id: strawberry.ID) -> strawberry.ID:
        ctx = info.context
        deleted = await webhooks.delete_endpoint(
            session=ctx.session, principal=ctx.principal, endpoint_id=target(id)
        )
        return strawberry.ID(str(deleted.id))

    @strawberry.mutation(description="A new signing secret, answered here only.")
    async def rotate_webhook_secret(self, info: CtxInfo, id: strawberry.ID) -> NewWebhookEndpoint:
        ctx = info.context
        made = await webhooks.rotate_secret(
            session=ctx.session, principal=ctx.principal, endpoint_id=target(id)
        )
        return NewWebhookEndpoint.of(made)

    @strawberry.mutation(description="Deliver an event again; answers how many deliveries.")
    async def redeliver_event(
        self, info: CtxInfo, id: strawberry.ID, endpoint_id: strawberry.ID | None = None
    ) -> int:
        ctx = info.context
        data = {} if endpoint_id is None else {"endpoint_id": target(endpoint_id)}
        return await webhooks.redeliver_event(
            session=ctx.session, principal=ctx.principal, event_id=str(id), data=data
        )
