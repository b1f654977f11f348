"""Stripe payment links (issue 4, API.md §3 Payment link, §5): the real `stripe` SDK talks HTTP
to a stand-in started here; the test reads the request it sent and what the invoice keeps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from invoiceflow.models import EmailDelivery
from invoiceflow.services import Services
from tests.conftest import Api
from tests.getting_paid_support import (
    STRIPE_KEY,
    PaidApp,
    SmtpSink,
    StripeStandIn,
    count,
    gql_data,
    gql_error,
    paid_app,
    parts,
    pdf_text,
    smtp_sink,
    stripe_stand_in,
)
from tests.rest_support import data, day, error, field_errors, ok, parse_timestamp

# The stripe SDK hands httpx its form body as ``data=<bytes>``, which httpx 0.28 deprecates;
# under this suite's warnings-as-errors that warning would become a connection error.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Use 'content=<...>' to upload raw bytes/text content.:DeprecationWarning"
)

LINK = "/invoices/{id}/send-payment-link"
ACCOUNT = "acct_1TeamA"
EMAIL = "billing@elka.example"
CHECKOUT_URL = "https://checkout.stripe.test/c/pay/cs_test_1"
UNIT_AMOUNT = "line_items[0][price_data][unit_amount]"
CURRENCY = "line_items[0][price_data][currency]"

LINK_GQL = """mutation($id: ID!) {
  sendInvoicePaymentLink(id: $id) { url invoice { status paymentLinkUrl sentAt } } }"""
SETTINGS_GQL = """mutation($account: String) {
  updateTeamSettings(input: {stripeAccountId: $account}) { stripeAccountId } }"""
EMAILS = """query($id: ID!) { invoice(id: $id) { emails { kind recipient status } } }"""


@dataclass
class World:
    app: PaidApp
    smtp: SmtpSink
    stripe: StripeStandIn
    alice: Api


@asynccontextmanager
async def world(
    services: Services, *, api_key: str | None = STRIPE_KEY, account: str | None = ACCOUNT
) -> AsyncIterator[World]:
    """Mail and Stripe stand-ins, an app pointed at them, and alice with ``account`` set."""
    with smtp_sink() as smtp, stripe_stand_in() as stripe:
        async with paid_app(
            services, smtp_url=smtp.url, stripe_api_key=api_key, stripe_api_base=stripe.base
        ) as app:
            alice = await app.api("alice@a.example", "Team A")
            if account is not None:
                ok(await alice.patch("/teams/current", {"stripe_account_id": account}))
            yield World(app, smtp, stripe, alice)


async def invoice_of(api: Api, *, currency: str = "USD", price: str = "64.92") -> dict[str, Any]:
    customer = await api.create_customer(company_name="Ёлка ООО", email=EMAIL, currency=currency)
    items = [{"description": "Consulting", "quantity": 1, "unit_price": price}]
    return await api.create_invoice(customer["id"], items=items, due_date=day(30))


async def team_id(api: Api) -> int:
    return int(data(await api.get("/teams/current"))["id"])


async def test_a_payment_link_is_made_on_the_teams_account_stored_and_mailed(
    services: Services,
) -> None:
    async with world(services) as w:
        # given: a draft of 64.92 USD
        invoice = await invoice_of(w.alice)
        # when
        response = await w.alice.post(LINK.format(id=invoice["id"]))
        # then: the answer and the stored invoice
        envelope = ok(response)
        assert envelope["message"] == f"Payment link sent to {EMAIL}"
        body = envelope["data"]
        assert (body["url"], body["recipient"]) == (CHECKOUT_URL, EMAIL)
        linked = body["invoice"]
        assert (linked["payment_link_url"], linked["status"]) == (CHECKOUT_URL, "sent")
        parse_timestamp(linked["sent_at"])
        assert data(await w.alice.get(f"/invoices/{invoice['id']}")) == linked
        # then: the request the SDK sent
        (request,) = w.stripe.requests
        assert (request.method, request.path) == ("POST", "/v1/checkout/sessions")
        assert request.headers["stripe-account"] == ACCOUNT
        assert request.headers["authorization"] == f"Bearer {STRIPE_KEY}"
        assert request.headers["idempotency-key"]
        form = request.form
        assert (form[UNIT_AMOUNT], form[CURRENCY]) == ("6492", "usd")
        assert (form["line_items[0][quantity]"], form["mode"]) == ("1", "payment")
        assert form["metadata[invoice_id]"] == str(invoice["id"])
        assert form["metadata[team_id]"] == str(await team_id(w.alice))
        assert form["metadata[invoice_number]"] == "INV-0001"
        assert form["customer_email"] == EMAIL
        # then: the mail with the link
        assert w.smtp.recipients == [[EMAIL]]
        (message,) = w.smtp.messages
        found = parts(message)
        assert CHECKOUT_URL in found["text/plain"][0].get_content()
        assert f'href="{CHECKOUT_URL}"' in found["text/html"][0].get_content()
        assert CHECKOUT_URL in pdf_text(found["application/pdf"][0].get_content())
        shown = gql_data(await w.alice.graphql(EMAILS, {"id": str(invoice["id"])}))
        assert shown["invoice"]["emails"] == [
            {"kind": "payment_link", "recipient": EMAIL, "status": "SENT"}
        ]


async def test_the_link_is_for_the_balance_due(services: Services) -> None:
    async with world(services) as w:
        # given: 6000.00 sent, 1000.00 paid
        invoice = await invoice_of(w.alice, price="6000")
        data(await w.alice.patch(f"/invoices/{invoice['id']}", {"status": "sent"}))
        data(await w.alice.post(f"/invoices/{invoice['id']}/payments", {"amount": 1000}), 201)
        # when
        linked = data(await w.alice.post(LINK.format(id=invoice["id"])))["invoice"]
        # then
        (request,) = w.stripe.requests
        assert request.form[UNIT_AMOUNT] == "500000"
        assert (linked["status"], linked["balance_due"]) == ("partial", 5000.0)


async def test_yen_are_sent_in_whole_units(services: Services) -> None:
    async with world(services) as w:
        # given
        invoice = await invoice_of(w.alice, currency="JPY", price="1000")
        assert (invoice["currency"], invoice["total"]) == ("JPY", 1000.0)
        # when
        data(await w.alice.post(LINK.format(id=invoice["id"])))
        # then
        (request,) = w.stripe.requests
        assert (request.form[UNIT_AMOUNT], request.form[CURRENCY]) == ("1000", "jpy")


async def test_a_stripe_failure_is_502_and_changes_nothing(services: Services) -> None:
    async with world(services) as w:
        # given
        w.stripe.status = 500
        invoice = await invoice_of(w.alice)
        # when
        response = await w.alice.post(LINK.format(id=invoice["id"]))
        # then
        error(response, 502, "upstream_error")
        stored = data(await w.alice.get(f"/invoices/{invoice['id']}"))
        assert stored == invoice
        assert (stored["payment_link_url"], stored["status"]) == (None, "draft")
        assert w.smtp.recipients == []
        assert await count(w.app.services, EmailDelivery) == 0
        # the SDK retried, each time with the same idempotency key
        assert len(w.stripe.requests) >= 2
        keys = {r.headers.get("idempotency-key") for r in w.stripe.requests}
        assert len(keys) == 1 and None not in keys, keys


async def test_without_a_stripe_api_key_it_is_invalid_state(services: Services) -> None:
    async with world(services, api_key=None) as w:
        # given
        invoice = await invoice_of(w.alice)
        # when
        response = await w.alice.post(LINK.format(id=invoice["id"]))
        gql = await w.alice.graphql(LINK_GQL, {"id": str(invoice["id"])})
        # then
        assert "Stripe" in error(response, 409, "invalid_state")["message"]
        assert "Stripe" in gql_error(gql, "INVALID_STATE")["message"]
        assert w.stripe.requests == []
        assert w.smtp.recipients == []
        assert data(await w.alice.get(f"/invoices/{invoice['id']}")) == invoice


async def test_without_a_connected_account_it_is_invalid_state(services: Services) -> None:
    async with world(services, account=None) as w:
        # given
        invoice = await invoice_of(w.alice)
        # when
        response = await w.alice.post(LINK.format(id=invoice["id"]))
        gql = await w.alice.graphql(LINK_GQL, {"id": str(invoice["id"])})
        # then
        assert "Stripe" in error(response, 409, "invalid_state")["message"]
        assert "Stripe" in gql_error(gql, "INVALID_STATE")["message"]
        assert w.stripe.requests == []
        assert w.smtp.recipients == []
        assert data(await w.alice.get(f"/invoices/{invoice['id']}")) == invoice


async def test_graphql_send_invoice_payment_link(services: Services) -> None:
    async with world(services) as w:
        # given
        invoice = await invoice_of(w.alice)
        # when
        body = await w.alice.graphql(LINK_GQL, {"id": str(invoice["id"])})
        # then
        payload = gql_data(body)["sendInvoicePaymentLink"]
        assert payload["url"] == CHECKOUT_URL
        assert payload["invoice"]["paymentLinkUrl"] == CHECKOUT_URL
        assert payload["invoice"]["status"] == "SENT"
        parse_timestamp(payload["invoice"]["sentAt"])
        (request,) = w.stripe.requests
        assert request.headers["stripe-account"] == ACCOUNT
        assert request.form[UNIT_AMOUNT] == "6492"
        assert w.smtp.recipients == [[EMAIL]]


async def test_a_viewer_may_not_and_another_team_cannot_see(services: Services) -> None:
    async with world(services) as w:
        # given
        viewer = await w.app.api("vera@a.example", "Team A", role="viewer")
        bob = await w.app.api("bob@b.example", "Team B")
        ok(await bob.patch("/teams/current", {"stripe_account_id": "acct_1TeamB"}))
        invoice = await invoice_of(w.alice)
        variables = {"id": str(invoice["id"])}
        # when
        by_viewer = await viewer.post(LINK.format(id=invoice["id"]))
        gql_viewer = await viewer.graphql(LINK_GQL, variables)
        by_bob = await bob.post(LINK.format(id=invoice["id"]))
        gql_bob = await bob.graphql(LINK_GQL, variables)
        # then
        error(by_viewer, 403, "forbidden")
        gql_error(gql_viewer, "FORBIDDEN")
        error(by_bob, 404, "not_found")
        gql_error(gql_bob, "NOT_FOUND")
        assert w.stripe.requests == []
        assert data(await w.alice.get(f"/invoices/{invoice['id']}")) == invoice


async def test_a_cancelled_invoice_gets_no_link(services: Services) -> None:
    async with world(services) as w:
        # given
        invoice = await invoice_of(w.alice)
        data(await w.alice.patch(f"/invoices/{invoice['id']}", {"status": "cancelled"}))
        # when
        response = await w.alice.post(LINK.format(id=invoice["id"]))
        # then
        error(response, 409, "invalid_state")
        assert w.stripe.requests == []


async def test_only_an_admin_sets_the_connected_account(services: Services) -> None:
    async with world(services, account=None) as w:
        # given
        member = await w.app.api("mo@a.example", "Team A", role="member")
        viewer = await w.app.api("vera@a.example", "Team A", role="viewer")
        # when
        by_member = await member.patch("/teams/current", {"stripe_account_id": "acct_member"})
        by_viewer = await viewer.patch("/teams/current", {"stripe_account_id": "acct_viewer"})
        gql_member = await member.graphql(SETTINGS_GQL, {"account": "acct_member"})
        not_an_account = await w.alice.patch("/teams/current", {"stripe_account_id": "nope"})
        by_admin = await w.alice.patch("/teams/current", {"stripe_account_id": ACCOUNT})
        # then
        error(by_member, 403, "forbidden")
        error(by_viewer, 403, "forbidden")
        gql_error(gql_member, "FORBIDDEN")
        assert set(field_errors(not_an_account)) == {"stripe_account_id"}
        envelope = ok(by_admin)
        assert envelope["message"] == "Team updated"
        assert envelope["data"]["stripe_account_id"] == ACCOUNT
        assert data(await member.get("/teams/current"))["stripe_account_id"] == ACCOUNT


async def test_graphql_update_team_settings_sets_and_clears_the_account(
    services: Services,
) -> None:
    async with world(services, account=None) as w:
        # given
        invoice = await invoice_of(w.alice)
        # when
        set_body = await w.alice.graphql(SETTINGS_GQL, {"account": ACCOUNT})
        linked = await w.alice.post(LINK.format(id=invoice["id"]))
        cleared = await w.alice.graphql(SETTINGS_GQL, {"account": None})
        refused = await w.alice.post(LINK.format(id=invoice["id"]))
        # then
        assert gql_data(set_body)["updateTeamSettings"] == {"stripeAccountId": ACCOUNT}
        assert data(linked)["url"] == CHECKOUT_URL
        assert gql_data(cleared)["updateTeamSettings"] == {"stripeAccountId": None}
        error(refused, 409, "invalid_state")
        assert [r.headers["stripe-account"] for r in w.stripe.requests] == [ACCOUNT]
