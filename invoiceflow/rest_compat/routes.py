"""The /api/v1 route table: every REST route as one row (see table.py)."""

from __future__ import annotations

from invoiceflow.resolvers import customers, invoices, teams
from invoiceflow.resolvers.customers import CustomerCreate, CustomerUpdate
from invoiceflow.resolvers.invoices import SORTS, STATUSES, InvoiceCreate, InvoiceUpdate
from invoiceflow.resolvers.teams import SwitchInput, TeamSettingsInput
from invoiceflow.rest_compat import shapes
from invoiceflow.rest_compat.table import Body, PathId, Query, Route, paging

INVOICE = "/invoices/{id}"
CUSTOMER = "/customers/{id}"

ROUTES: tuple[Route, ...] = (
    # --- invoices -----------------------------------------------------------------------
    Route(
        "GET",
        "/invoices",
        invoices.list_invoices,
        "List invoices",
        args={
            "status": Query("status", str, "Filter by status.", enum=STATUSES),
            "search": Query("search", str, "Invoice number or customer name contains."),
            "customer_id": Query("customer_id", int, "Only this customer's invoices."),
            "sort": Query(
                "sort",
                str,
                "Sort field, '-' prefix for descending.",
                enum=tuple(SORTS) + tuple(f"-{s}" for s in SORTS),
            ),
            **paging(),
        },
        shape=shapes.invoice_summary,
        many=True,
        errors=(422,),
        tag="Invoices",
    ),
    Route(
        "POST",
        "/invoices",
        invoices.create_invoice,
        "Create an invoice",
        args={"data": Body(InvoiceCreate)},
        shape=shapes.invoice_detail,
        status=201,
        message="Invoice created",
        errors=(400, 403, 422),
        tag="Invoices",
    ),
    Route(
        "GET",
        INVOICE,
        invoices.get_invoice,
        "Get invoice details",
        args={"invoice_id": PathId()},
        shape=shapes.invoice_detail,
        errors=(404,),
        tag="Invoices",
    ),
    *(
        Route(
            method,
            INVOICE,
            invoices.update_invoice,
            "Update an invoice (partial)",
            args={"invoice_id": PathId(), "data": Body(InvoiceUpdate)},
            shape=shapes.invoice_detail,
            message="Invoice updated",
            errors=(400, 403, 404, 409, 422),
            tag="Invoices",
        )
        for method in ("PUT", "PATCH")
    ),
    Route(
        "DELETE",
        INVOICE,
        invoices.delete_invoice,
        "Delete an invoice (soft)",
        args={"invoice_id": PathId()},
        message="Invoice deleted",
        errors=(403, 404, 409),
        tag="Invoices",
    ),
    # --- customers ----------------------------------------------------------------------
    Route(
        "GET",
        "/customers",
        customers.list_customers,
        "List customers",
        args={"search": Query("search", str, "Company, contact or email contains."), **paging()},
        shape=shapes.customer_summary,
        many=True,
        errors=(422,),
        tag="Customers",
    ),
    Route(
        "POST",
        "/customers",
        customers.create_customer,
        "Create a customer",
        args={"data": Body(CustomerCreate)},
        shape=shapes.customer_detail,
        status=201,
        message="Customer created",
        errors=(400, 403, 422),
        tag="Customers",
    ),
    Route(
        "GET",
        CUSTOMER,
        customers.get_customer,
        "Get a customer with recent invoices and payment history",
        args={"customer_id": PathId()},
        shape=shapes.customer_detail,
        errors=(404,),
        tag="Customers",
    ),
    *(
        Route(
            method,
            CUSTOMER,
            customers.update_customer,
            "Update a customer (partial)",
            args={"customer_id": PathId(), "data": Body(CustomerUpdate)},
            shape=shapes.customer_detail,
            message="Customer updated",
            errors=(400, 403, 404, 422),
            tag="Customers",
        )
        for method in ("PUT", "PATCH")
    ),
    Route(
        "DELETE",
        CUSTOMER,
        customers.delete_customer,
        "Delete a customer (soft)",
        args={"customer_id": PathId()},
        message="Customer deleted",
        errors=(403, 404, 409),
        tag="Customers",
    ),
    # --- teams --------------------------------------------------------------------------
    Route("GET", "/teams", teams.list_teams, "List your teams", shape=shapes.team, tag="Teams"),
    Route(
        "GET",
        "/teams/current",
        teams.current_team,
        "Get the current team",
        shape=shapes.team,
        tag="Teams",
    ),
    Route(
        "PATCH",
        "/teams/current",
        teams.update_team_settings,
        "Update the current team's settings (owner or admin)",
        args={"data": Body(TeamSettingsInput)},
        shape=shapes.team,
        message="Team updated",
        errors=(400, 403, 422),
        tag="Teams",
    ),
    Route(
        "POST",
        "/teams/switch",
        teams.switch_team,
        "Switch the current team",
        args={"data": Body(SwitchInput)},
        shape=shapes.team,
        message=lambda view: f"Switched to {view.name}",
        errors=(400, 404, 422),
        tag="Teams",
    ),
)
