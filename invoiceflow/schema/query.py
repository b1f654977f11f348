"""The Query root: each field calls one resolver."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from invoiceflow.context import Context
from invoiceflow.fast import reads
from invoiceflow.fast.lookahead import prime, rows_read, selected_under
from invoiceflow.resolvers import (
    api_keys,
    customers,
    estimates,
    events,
    invoices,
    products,
    teams,
    webhooks,
)
from invoiceflow.resolvers.validation import id_from_text
from invoiceflow.schema.catalog_types import ProductPage, ProductType, ProductType_
from invoiceflow.schema.estimate_types import EstimatePage, EstimateStatus, EstimateType
from invoiceflow.schema.event_types import (
    EventConnection,
    EventType,
    WebhookEndpointType,
    sequence_of,
)
from invoiceflow.schema.types import (
    ApiKeyType,
    CustomerPage,
    CustomerType,
    InvoicePage,
    InvoiceStatus,
    InvoiceType,
    TeamType,
    UserType,
)

CtxInfo = Info[Context, None]
# What a query's cost counts the caller's own teams and keys as (schema/cost.py): a user's
# memberships come from an admin, and at most 50 of its keys are active.
MAX_LISTED = 100
# The relations of invoices that a read of invoices reads in its own statement.
JOINS = ("customer",)


def object_id(value: strawberry.ID | None) -> int | None:
    """An ID argument as the integer id it names, or None when it cannot name one."""
    if value is None:
        return None
    return id_from_text(str(value))


@strawberry.type
class Query:
    @strawberry.field
    async def me(self, info: CtxInfo) -> UserType:
        ctx = info.context
        return await teams.get_user(session=ctx.session, principal=ctx.principal)  # type: ignore[return-value]

    @strawberry.field(metadata={"cap": MAX_LISTED})
    async def teams(self, info: CtxInfo) -> list[TeamType]:
        ctx = info.context
        return await teams.list_teams(session=ctx.session, principal=ctx.principal)  # type: ignore[return-value]

    @strawberry.field
    async def current_team(self, info: CtxInfo) -> TeamType:
        ctx = info.context
        return await teams.current_team(session=ctx.session, principal=ctx.principal)  # type: ignore[return-value]

    @strawberry.field
    async def invoices(
        self,
        info: CtxInfo,
        status: InvoiceStatus | None = None,
        search: str | None = None,
        customer_id: strawberry.ID | None = None,
        sort: str | None = None,
        page: int | None = 1,
        per_page: int | None = 15,
    ) -> InvoicePage:
        ctx = info.context
        if customer_id is not None and object_id(customer_id) is None:
            customer_id = strawberry.ID("0")  # names no customer: an empty page
        with reads.declared(rows_read(info, InvoiceType, "invoices", "items", joins=JOINS)):
            result = await invoices.list_invoices(
                session=ctx.session,
                principal=ctx.principal,
                status=status.value if status else None,
                search=search,
                customer_id=object_id(customer_id),
                sort=sort,
                page=page,
                per_page=per_page,
                count="pageInfo" in selected_under(info),
            )
        await prime(info, result.items, InvoiceType, "items")
        return result  # type: ignore[return-value]

    @strawberry.field
    async def invoice(self, info: CtxInfo, id: strawberry.ID) -> InvoiceType | None:
        ctx = info.context
        invoice_id = object_id(id)
        if invoice_id is None:
            return None
        with reads.declared(rows_read(info, InvoiceType, "invoices", joins=JOINS)):
            found = await invoices.find_invoice(
                session=ctx.session, principal=ctx.principal, invoice_id=invoice_id
            )
        await prime(info, [found], InvoiceType)
        return found  # type: ignore[return-value]

    @strawberry.field
    async def customers(
        self,
        info: CtxInfo,
        search: str | None = None,
        page: int | None = 1,
        per_page: int | None = 15,
    ) -> CustomerPage:
        ctx = info.context
        result = await customers.list_customers(
            session=ctx.session,
            principal=ctx.principal,
            search=search,
            page=page,
            per_page=per_page,
            count="pageInfo" in selected_under(info),
        )
        await prime(info, result.items, CustomerType, "items")
        return result  # type: ignore[return-value]

    @strawberry.field
    async def customer(self, info: CtxInfo, id: strawberry.ID) -> CustomerType | None:
        ctx = info.context
        customer_id = object_id(id)
        if customer_id is None:
            return None
        found = await customers.find_customer(
            session=ctx.session, principal=ctx.principal, customer_id=customer_id
        )
        await prime(info, [found], CustomerType)
        return found  # type: ignore[return-value]

    @strawberry.field(metadata={"cap": MAX_LISTED})
    async def api_keys(self, info: CtxInfo) -> list[ApiKeyType]:
        ctx = info.context
        return await api_keys.list_api_keys(session=ctx.session, principal=ctx.principal)  # type: ignore[return-value]

    @strawberry.field
    async def products(
        self,
        info: CtxInfo,
        search: str | None = None,
        type: ProductType | None = None,
        active: bool | None = None,
        page: int | None = 1,
        per_page: int | None = 15,
    ) -> ProductPage:
        ctx = info.context
        result = await products.list_products(
            session=ctx.session,
            principal=ctx.principal,
            search=search,
            type=type.value if type else None,
            active=active,
            page=page,
            per_page=per_page,
            count="pageInfo" in selected_under(info),
        )
        await prime(info, result.items, ProductType_, "items")
        return result  # type: ignore[return-value]

    @strawberry.field
    async def product(self, info: CtxInfo, id: strawberry.ID) -> ProductType_ | None:
        ctx = info.context
        product_id = object_id(id)
        if product_id is None:
            return None
        found = await products.find_product(
            session=ctx.session, principal=ctx.principal, product_id=product_id
        )
        await prime(info, [found], ProductType_)
        return found  # type: ignore[return-value]

    @strawberry.field
    async def estimates(
        self,
        info: CtxInfo,
        status: EstimateStatus | None = None,
        search: str | None = None,
        customer_id: strawberry.ID | None = None,
        page: int | None = 1,
        per_page: int | None = 15,
    ) -> EstimatePage:
        ctx = info.context
        if customer_id is not None and object_id(customer_id) is None:
            customer_id = strawberry.ID("0")  # names no customer: an empty page
        result = await estimates.list_estimates(
            session=ctx.session,
            principal=ctx.principal,
            status=status.value if status else None,
            search=search,
            customer_id=object_id(customer_id),
            page=page,
            per_page=per_page,
            count="pageInfo" in selected_under(info),
        )
        await prime(info, result.items, EstimateType, "items")
        return result  # type: ignore[return-value]

    @strawberry.field
    async def estimate(self, info: CtxInfo, id: strawberry.ID) -> EstimateType | None:
        ctx = info.context
        estimate_id = object_id(id)
        if estimate_id is None:
            return None
        found = await estimates.find_estimate(
            session=ctx.session, principal=ctx.principal, estimate_id=estimate_id
        )
        await prime(info, [found], EstimateType)
        return found  # type: ignore[return-value]

    @strawberry.field
    async def events(
        self,
        info: CtxInfo,
        after: str | None = None,
        first: int | None = events.DEFAULT_PER_PAGE,
        types: list[str] | None = None,
        object_type: str | None = None,
        object_id: strawberry.ID | None = None,
    ) -> EventConnection:
        ctx = info.context
        start = sequence_of(after)
        wanted = None if object_id is None else id_from_text(str(object_id))
        if object_id is not None and wanted is None:  # names nothing: an empty page
            return EventConnection.of(events.EventPage([], False, start))
        page = await events.list_events(
            session=ctx.session,
            principal=ctx.principal,
            after=start,
            types=types,
            object_type=object_type,
            object_id=wanted,
            per_page=first,
        )
        return EventConnection.of(page)

    @strawberry.field
    async def event(self, info: CtxInfo, id: strawberry.ID) -> EventType | None:
        ctx = info.context
        found = await events.find_event(
            session=ctx.session, principal=ctx.principal, event_id=str(id)
        )
        return found  # type: ignore[return-value]

    @strawberry.field(metadata={"cap": webhooks.MAX_ENDPOINTS})
    async def webhook_endpoints(self, info: CtxInfo) -> list[WebhookEndpointType]:
        ctx = info.context
        return await webhooks.list_endpoints(  # type: ignore[return-value]
            session=ctx.session, principal=ctx.principal
        )

    @strawberry.field
    async def webhook_endpoint(
        self, info: CtxInfo, id: strawberry.ID
    ) -> WebhookEndpointType | None:
        ctx = info.context
        endpoint_id = object_id(id)
        if endpoint_id is None:
            return None
        found = await webhooks.find_endpoint(
            session=ctx.session, principal=ctx.principal, endpoint_id=endpoint_id
        )
        return found  # type: ignore[return-value]
