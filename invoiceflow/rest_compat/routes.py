"""The /api/v1 route table: every REST route as one row (see table.py).

Rows name resolvers; nothing here decides anything. ``PUT`` and ``PATCH`` are both partial
updates (API.md §2), so each update is listed under both methods.
"""

from __future__ import annotations

from typing import Any

from invoiceflow.resolvers import (
    customers,
    delivery,
    documents,
    estimates,
    events,
    invoices,
    payments,
    products,
    teams,
    webhooks,
)
from invoiceflow.resolvers.customers import CustomerCreate, CustomerUpdate
from invoiceflow.resolvers.estimates import EstimateCreate, EstimateUpdate
from invoiceflow.resolvers.invoices import SORTS, STATUSES, InvoiceCreate, InvoiceUpdate
from invoiceflow.resolvers.pagination import MAX_SEARCH
from invoiceflow.resolvers.payments import PaymentInput
from invoiceflow.resolvers.products import ProductCreate, ProductUpdate, StockAdjustment
from invoiceflow.resolvers.teams import SwitchInput, TeamSettingsInput
from invoiceflow.resolvers.webhooks import EndpointCreate, EndpointUpdate, RedeliverInput
from invoiceflow.rest_compat import shapes
from invoiceflow.rest_compat.table import (
    Body,
    PathId,
    PathText,
    Query,
    QueryList,
    Route,
    UsesEffects,
    paging,
)

INVOICE = "/invoices/{id}"
CUSTOMER = "/customers/{id}"
PRODUCT = "/products/{id}"
ESTIMATE = "/estimates/{id}"
ENDPOINT = "/webhook-endpoints/{id}"

READ_ONE = (404,)
CREATE = (400, 403, 422)
UPDATE = (400, 403, 404, 409, 422)
DELETE = (403, 404, 409)


def search(description: str) -> Query:
    return Query("search", str, description, max_length=MAX_SEARCH)


def updates(path: str, resolver: Any, summary: str, **row: Any) -> tuple[Route, Route]:
    """The same partial update under PUT and PATCH."""
    return (
        Route("PUT", path, resolver, summary, **row),
        Route("PATCH", path, resolver, summary, **row),
    )


def feed(**args: Any) -> dict[str, Any]:
    """A feed's arguments: after a sequence, pages of up to 100 (50 unless said)."""
    return {
        **args,
        "after": Query("after", int, "Only events after this sequence (next_after).", minimum=0),
        "per_page": Query(
            "per_page",
            int,
            "Results per page (default 50; more than 100 reads as 100).",
            minimum=1,
            clamp=events.MAX_PER_PAGE,
        ),
    }


def object_events(path: str, object_type: str, tag: str) -> Route:
    return Route(
        "GET",
        f"{path}/events",
        events.events_of(object_type),
        f"The {object_type}'s events, oldest first",
        args=feed(object_id=PathId()),
        shape=shapes.events,
        feed=True,
        errors=(404, 422),
        tag=tag,
    )


# fmt: off
ROUTES: tuple[Route, ...] = (
    # --- invoices -------------------------------------------------------------------------
    Route("GET", "/invoices", invoices.list_invoices, "List invoices", args={
        "status": Query("status", str, "Filter by status.", enum=STATUSES),
        "search": search("Invoice number or customer name contains."),
        "customer_id": Query("customer_id", int, "Only this customer's invoices."),
        "sort": Query("sort", str, "Sort field; '-' prefix for descending.",
                      enum=(*SORTS, *(f"-{s}" for s in SORTS))),
        **paging(),
    }, shape=shapes.invoice_summaries,
          many=True, errors=(422,), tag="Invoices"),
    Route("POST", "/invoices", invoices.create_invoice, "Create an invoice",
          args={"data": Body(InvoiceCreate)}, shape=shapes.invoice_detail, status=201,
          message="Invoice created", errors=CREATE, tag="Invoices"),
    Route("GET", INVOICE, invoices.get_invoice, "Get invoice details",
          args={"invoice_id": PathId()}, shape=shapes.invoice_detail, errors=READ_ONE,
          tag="Invoices"),
    *updates(INVOICE, invoices.update_invoice, "Update an invoice (partial)",
             args={"invoice_id": PathId(), "data": Body(InvoiceUpdate)},
             shape=shapes.invoice_detail, message="Invoice updated", errors=UPDATE,
             tag="Invoices"),
    Route("DELETE", INVOICE, invoices.delete_invoice, "Delete an invoice (soft)",
          args={"invoice_id": PathId()}, message="Invoice deleted", errors=DELETE,
          tag="Invoices"),
    Route("POST", f"{INVOICE}/payments", payments.record_payment,
          "Record a payment (an InvoiceFlow addition to the reference)",
          args={"invoice_id": PathId(), "data": Body(PaymentInput)},
          shape=shapes.payment_with_invoice, status=201, message="Payment recorded",
          errors=UPDATE, tag="Invoices"),
    Route("POST", f"{INVOICE}/send-email", delivery.send_invoice_email,
          "Send invoice via email (with the PDF attached)",
          args={"invoice_id": PathId(), "effects": UsesEffects()}, shape=shapes.delivered,
          message=lambda sent: f"Invoice sent to {sent.recipient}",
          errors=(403, 404, 409, 422, 502), tag="Invoices"),
    Route("POST", f"{INVOICE}/send-payment-link", delivery.send_payment_link,
          "Send Stripe payment link (needs a connected Stripe account)",
          args={"invoice_id": PathId(), "effects": UsesEffects()}, shape=shapes.payment_link,
          message=lambda link: f"Payment link sent to {link.recipient}",
          errors=(403, 404, 409, 422, 502), tag="Invoices"),
    Route("GET", f"{INVOICE}/pdf", documents.invoice_pdf,
          "Download the invoice as a PDF (an InvoiceFlow addition)",
          args={"invoice_id": PathId()}, media_type="application/pdf", errors=READ_ONE,
          tag="Invoices"),
    # --- customers ------------------------------------------------------------------------
    Route("GET", "/customers", customers.list_customers, "List customers", args={
        "search": search("Company, contact or email contains."), **paging(),
    }, shape=shapes.customer_summaries, many=True, errors=(422,), tag="Customers"),
    Route("POST", "/customers", customers.create_customer, "Create a customer",
          args={"data": Body(CustomerCreate)}, shape=shapes.customer_detail, status=201,
          message="Customer created", errors=CREATE, tag="Customers"),
    Route("GET", CUSTOMER, customers.get_customer,
          "Get a customer with recent invoices and payment history",
          args={"customer_id": PathId()}, shape=shapes.customer_detail, errors=READ_ONE,
          tag="Customers"),
    *updates(CUSTOMER, customers.update_customer, "Update a customer (partial)",
             args={"customer_id": PathId(), "data": Body(CustomerUpdate)},
             shape=shapes.customer_detail, message="Customer updated",
             errors=(400, 403, 404, 422), tag="Customers"),
    Route("DELETE", CUSTOMER, customers.delete_customer,
          "Delete a customer (soft; refused while it has unpaid invoices)",
          args={"customer_id": PathId()}, message="Customer deleted", errors=DELETE,
          tag="Customers"),
    # --- products -------------------------------------------------------------------------
    Route("GET", "/products", products.list_products, "List products and services", args={
        "search": search("Name, SKU or description contains."),
        "type": Query("type", str, "product or service.", enum=products.TYPES),
        "active": Query("active", bool, "Only active (true) or inactive (false) ones."),
        **paging(),
    }, shape=shapes.products, many=True, errors=(422,), tag="Products"),
    Route("POST", "/products", products.create_product, "Create a product or service",
          args={"data": Body(ProductCreate)}, shape=shapes.product, status=201,
          message="Product created", errors=CREATE, tag="Products"),
    Route("GET", PRODUCT, products.get_product, "Get a product",
          args={"product_id": PathId()}, shape=shapes.product, errors=READ_ONE,
          tag="Products"),
    *updates(PRODUCT, products.update_product, "Update a product (partial)",
             args={"product_id": PathId(), "data": Body(ProductUpdate)},
             shape=shapes.product, message="Product updated", errors=(400, 403, 404, 422),
             tag="Products"),
    Route("DELETE", PRODUCT, products.delete_product, "Delete a product (soft)",
          args={"product_id": PathId()}, message="Product deleted", errors=(403, 404),
          tag="Products"),
    Route("POST", f"{PRODUCT}/adjust-stock", products.adjust_stock, "Adjust inventory",
          args={"product_id": PathId(), "data": Body(StockAdjustment)},
          shape=shapes.stock_adjusted, message="Stock adjusted", errors=UPDATE,
          tag="Products"),
    # --- estimates ------------------------------------------------------------------------
    Route("GET", "/estimates", estimates.list_estimates, "List estimates", args={
        "status": Query("status", str, "Filter by status.", enum=estimates.STATUSES),
        "search": search("Estimate number or customer name contains."),
        "customer_id": Query("customer_id", int, "Only this customer's estimates."),
        **paging(),
    }, shape=shapes.estimate_summaries,
          many=True, errors=(422,), tag="Estimates"),
    Route("POST", "/estimates", estimates.create_estimate, "Create an estimate",
          args={"data": Body(EstimateCreate)}, shape=shapes.estimate_detail, status=201,
          message="Estimate created", errors=CREATE, tag="Estimates"),
    Route("GET", ESTIMATE, estimates.get_estimate, "Get an estimate",
          args={"estimate_id": PathId()}, shape=shapes.estimate_detail, errors=READ_ONE,
          tag="Estimates"),
    *updates(ESTIMATE, estimates.update_estimate, "Update an estimate (partial)",
             args={"estimate_id": PathId(), "data": Body(EstimateUpdate)},
             shape=shapes.estimate_detail, message="Estimate updated", errors=UPDATE,
             tag="Estimates"),
    Route("DELETE", ESTIMATE, estimates.delete_estimate, "Delete an estimate (soft)",
          args={"estimate_id": PathId()}, message="Estimate deleted", errors=(403, 404),
          tag="Estimates"),
    Route("POST", f"{ESTIMATE}/convert-to-invoice", estimates.convert_estimate,
          "Convert to invoice", args={"estimate_id": PathId()}, shape=shapes.conversion,
          status=201, message="Estimate converted to invoice", errors=(403, 404, 409),
          tag="Estimates"),
    Route("GET", f"{ESTIMATE}/pdf", documents.estimate_pdf,
          "Download the estimate as a PDF (an InvoiceFlow addition)",
          args={"estimate_id": PathId()}, media_type="application/pdf", errors=READ_ONE,
          tag="Estimates"),
    # --- events ---------------------------------------------------------------------------
    Route("GET", "/events", events.list_events, "List the team's events, oldest first",
          args=feed(
              types=QueryList("type", str, "Only these types (may repeat; invoice.* for a "
                              "kind).", enum=events.FILTERS),
              object_type=Query("object_type", str, "Only events of this kind of object.",
                                enum=events.OBJECT_TYPES),
              object_id=Query("object_id", int, "Only events of the object with this id.",
                              minimum=1),
          ), shape=shapes.events, feed=True, errors=(422,), tag="Events"),
    Route("GET", "/events/{id}", events.get_event, "Get an event",
          args={"event_id": PathText()}, shape=shapes.event, errors=READ_ONE, tag="Events"),
    Route("POST", "/events/{id}/redeliver", webhooks.redeliver_event,
          "Deliver an event again (to one endpoint, or to every one that takes it)",
          args={"event_id": PathText(), "data": Body(RedeliverInput)},
          shape=shapes.redelivered, status=201, message="Event redelivered",
          errors=(400, 403, 404, 422), tag="Events"),
    object_events(INVOICE, "invoice", "Invoices"),
    object_events(CUSTOMER, "customer", "Customers"),
    object_events(PRODUCT, "product", "Products"),
    object_events(ESTIMATE, "estimate", "Estimates"),
    # --- webhook endpoints ------------------------------------------------------------------
    Route("GET", "/webhook-endpoints", webhooks.list_endpoints, "List webhook endpoints",
          shape=shapes.webhook_endpoints, errors=(403,), tag="Webhooks"),
    Route("POST", "/webhook-endpoints", webhooks.create_endpoint,
          "Create a webhook endpoint (its secret is answered here only)",
          args={"data": Body(EndpointCreate), "effects": UsesEffects()},
          shape=shapes.new_webhook_endpoint, status=201, message="Webhook endpoint created",
          errors=(*CREATE, 409), tag="Webhooks"),
    Route("GET", ENDPOINT, webhooks.get_endpoint, "Get a webhook endpoint",
          args={"endpoint_id": PathId()}, shape=shapes.webhook_endpoint,
          errors=(403, 404), tag="Webhooks"),
    Route("PATCH", ENDPOINT, webhooks.update_endpoint, "Update a webhook endpoint (partial)",
          args={"endpoint_id": PathId(), "data": Body(EndpointUpdate), "effects": UsesEffects()},
          shape=shapes.webhook_endpoint, message="Webhook endpoint updated",
          errors=(400, 403, 404, 422), tag="Webhooks"),
    Route("DELETE", ENDPOINT, webhooks.delete_endpoint, "Delete a webhook endpoint",
          args={"endpoint_id": PathId()}, message="Webhook endpoint deleted",
          errors=(403, 404), tag="Webhooks"),
    Route("POST", f"{ENDPOINT}/rotate-secret", webhooks.rotate_secret,
          "A new signing secret (answered here only)", args={"endpoint_id": PathId()},
          shape=shapes.new_webhook_endpoint, message="Secret rotated", errors=(403, 404),
          tag="Webhooks"),
    Route("GET", f"{ENDPOINT}/deliveries", webhooks.list_deliveries,
          "The endpoint's last 100 deliveries, newest first, with their attempts",
          args={"endpoint_id": PathId(),
                "status": Query("status", str, "Only deliveries in this status.",
                                enum=webhooks.DELIVERY_STATUSES)},
          shape=shapes.webhook_deliveries, errors=(403, 404, 422), tag="Webhooks"),
    # --- teams ----------------------------------------------------------------------------
    Route("GET", "/teams", teams.list_teams, "List your teams", shape=shapes.teams,
          tag="Teams"),
    Route("GET", "/teams/current", teams.current_team, "Get the current team",
          shape=shapes.team, tag="Teams"),
    Route("PATCH", "/teams/current", teams.update_team_settings,
          "Update the current team's settings (owner or admin)",
          args={"data": Body(TeamSettingsInput)}, shape=shapes.team, message="Team updated",
          errors=(400, 403, 422), tag="Teams"),
    Route("POST", "/teams/switch", teams.switch_team, "Switch the current team",
          args={"data": Body(SwitchInput)}, shape=shapes.team,
          message=lambda view: f"Switched to {view.name}", errors=(400, 404, 422),
          tag="Teams"),
)
# fmt: on
