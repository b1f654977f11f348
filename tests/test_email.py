"""Invoices by email (issue 4, API.md §3 Email): a real SMTP server in the test process
receives the message and its PDF; every attempt is recorded; a dead server changes nothing."""

from __future__ import annotations

from typing import Any

from invoiceflow.models import EmailDelivery
from invoiceflow.services import Services
from tests.conftest import Api
from tests.getting_paid_support import (
    PaidApp,
    SmtpSink,
    count,
    gql_data,
    gql_error,
    paid_app,
    parts,
    pdf_text,
    smtp_sink,
)
from tests.rest_support import data, day, error, field_errors, ok, parse_timestamp

SEND = "/invoices/{id}/send-email"
COMPANY = "Ёлка и Партнёры ООО"
EMAIL = "billing@elka.example"
LINES = [{"description": "Web Development", "quantity": 40, "unit_price": 150, "tax_rate": 10}]

SEND_GQL = """mutation($id: ID!) {
  sendInvoiceEmail(id: $id) { recipient invoice { id status sentAt } } }"""
EMAILS = """query($id: ID!) {
  invoice(id: $id) { status sentAt emails { kind recipient subject status error } } }"""


async def draft(api: Api, email: str | None = EMAIL) -> dict[str, Any]:
    """A draft of 6600.00 (6000.00 + 10% tax), due in 30 days, for a Cyrillic-named customer."""
    customer = await api.create_customer(
        company_name=COMPANY, contact_name="Анна Смирнова", email=email
    )
    return await api.create_invoice(customer["id"], items=LINES, due_date=day(30))


async def emails_of(api: Api, invoice_id: int) -> dict[str, Any]:
    return dict(gql_data(await api.graphql(EMAILS, {"id": str(invoice_id)}))["invoice"])


async def test_send_email_delivers_the_invoice_with_its_pdf(services: Services) -> None:
    with smtp_sink() as smtp:
        async with paid_app(services, smtp_url=smtp.url) as app:
            # given
            alice = await app.api("alice@a.example", "Team A")
            invoice = await draft(alice)
            # when
            response = await alice.post(SEND.format(id=invoice["id"]))
            # then: the answer
            envelope = ok(response)
            assert envelope["message"] == f"Invoice sent to {EMAIL}"
            assert envelope["data"]["recipient"] == EMAIL
            sent = envelope["data"]["invoice"]
            assert sent["status"] == "sent"
            parse_timestamp(sent["sent_at"])
            assert data(await alice.get(f"/invoices/{invoice['id']}")) == sent
            # then: what the SMTP server received
            assert_invoice_mail(smtp, "INV-0001")
            # then: the delivery, as GraphQL shows it
            assert await emails_of(alice, invoice["id"]) == {
                "status": "SENT",
                "sentAt": sent["sent_at"],
                "emails": [
                    {
                        "kind": "invoice",
                        "recipient": EMAIL,
                        "subject": "Invoice INV-0001 from Team A",
                        "status": "SENT",
                        "error": None,
                    }
                ],
            }


def assert_invoice_mail(smtp: SmtpSink, number: str) -> None:
    assert smtp.recipients == [[EMAIL]]
    (message,) = smtp.messages
    assert message["To"] == EMAIL
    assert message["From"] == "invoices@localhost"
    assert number in message["Subject"]
    found = parts(message)
    (plain,) = found["text/plain"]
    (html,) = found["text/html"]
    for body in (plain.get_content(), html.get_content()):
        assert number in body and "Анна Смирнова" in body and "$6,600.00" in body, body
    assert "<p>" in html.get_content()
    (attachment,) = found["application/pdf"]
    assert attachment.get_filename() == f"{number}.pdf"
    assert attachment.get_content_disposition() == "attachment"
    text = pdf_text(attachment.get_content())
    for expected in (number, COMPANY, "$6,600.00"):
        assert expected in text, (expected, text)


async def test_sending_again_mails_again_and_keeps_the_first_sent_at(services: Services) -> None:
    with smtp_sink() as smtp:
        async with paid_app(services, smtp_url=smtp.url) as app:
            # given
            alice = await app.api("alice@a.example", "Team A")
            invoice = await draft(alice)
            first = data(await alice.post(SEND.format(id=invoice["id"])))["invoice"]
            # when
            second = data(await alice.post(SEND.format(id=invoice["id"])))["invoice"]
            # then
            assert second["sent_at"] == first["sent_at"]
            assert second["status"] == "sent"
            assert smtp.recipients == [[EMAIL], [EMAIL]]
            shown = await emails_of(alice, invoice["id"])
            assert [e["status"] for e in shown["emails"]] == ["SENT", "SENT"]


async def test_a_customer_without_email_is_a_422_on_email(services: Services) -> None:
    with smtp_sink() as smtp:
        async with paid_app(services, smtp_url=smtp.url) as app:
            # given
            alice = await app.api("alice@a.example", "Team A")
            invoice = await draft(alice, email=None)
            # when
            response = await alice.post(SEND.format(id=invoice["id"]))
            gql = await alice.graphql(SEND_GQL, {"id": str(invoice["id"])})
            # then
            assert set(field_errors(response)) == {"email"}
            assert set(gql_error(gql, "VALIDATION_ERROR")["extensions"]["fields"]) == {"email"}
            assert smtp.recipients == []
            assert await count(app.services, EmailDelivery) == 0
            assert data(await alice.get(f"/invoices/{invoice['id']}")) == invoice


async def test_without_smtp_the_mail_is_logged_and_the_call_succeeds(services: Services) -> None:
    async with paid_app(services, smtp_url=None) as app:
        # given
        alice = await app.api("alice@a.example", "Team A")
        invoice = await draft(alice)
        # when
        response = await alice.post(SEND.format(id=invoice["id"]))
        # then
        sent = data(response)["invoice"]
        assert sent["status"] == "sent"
        parse_timestamp(sent["sent_at"])
        shown = await emails_of(alice, invoice["id"])
        assert shown["status"] == "SENT"
        assert [(e["recipient"], e["status"]) for e in shown["emails"]] == [(EMAIL, "LOGGED")]


async def assert_failure_recorded(app: PaidApp, alice: Api, invoice: dict[str, Any]) -> None:
    """502, the invoice unchanged, and one FAILED delivery with its reason."""
    response = await alice.post(SEND.format(id=invoice["id"]))
    error(response, 502, "upstream_error")
    assert data(await alice.get(f"/invoices/{invoice['id']}")) == invoice
    shown = await emails_of(alice, invoice["id"])
    assert (shown["status"], shown["sentAt"]) == ("DRAFT", None)
    (failed,) = shown["emails"]
    assert (failed["recipient"], failed["status"]) == (EMAIL, "FAILED")
    assert failed["subject"] == "Invoice INV-0001 from Team A"
    assert failed["error"]
    assert await count(app.services, EmailDelivery) == 1


async def test_a_stopped_smtp_server_gives_502_and_a_recorded_failure(
    services: Services,
) -> None:
    # given: the server's address, after it stopped
    with smtp_sink() as smtp:
        url = smtp.url
    async with paid_app(services, smtp_url=url) as app:
        alice = await app.api("alice@a.example", "Team A")
        invoice = await draft(alice)
        # when / then
        await assert_failure_recorded(app, alice, invoice)


async def test_a_refusing_smtp_server_gives_502_and_a_recorded_failure(
    services: Services,
) -> None:
    with smtp_sink(refuse=True) as smtp:
        async with paid_app(services, smtp_url=smtp.url) as app:
            # given
            alice = await app.api("alice@a.example", "Team A")
            invoice = await draft(alice)
            # when / then
            await assert_failure_recorded(app, alice, invoice)
            assert smtp.recipients == []


async def test_graphql_send_invoice_email(services: Services) -> None:
    with smtp_sink() as smtp:
        async with paid_app(services, smtp_url=smtp.url) as app:
            # given
            alice = await app.api("alice@a.example", "Team A")
            invoice = await draft(alice)
            # when
            body = await alice.graphql(SEND_GQL, {"id": str(invoice["id"])})
            # then
            payload = gql_data(body)["sendInvoiceEmail"]
            assert payload["recipient"] == EMAIL
            assert payload["invoice"]["id"] == str(invoice["id"])
            assert payload["invoice"]["status"] == "SENT"
            parse_timestamp(payload["invoice"]["sentAt"])
            assert_invoice_mail(smtp, "INV-0001")
            shown = await emails_of(alice, invoice["id"])
            assert [(e["kind"], e["status"]) for e in shown["emails"]] == [("invoice", "SENT")]


async def test_graphql_send_with_a_stopped_server_is_upstream_error(services: Services) -> None:
    with smtp_sink() as smtp:
        url = smtp.url
    async with paid_app(services, smtp_url=url) as app:
        # given
        alice = await app.api("alice@a.example", "Team A")
        invoice = await draft(alice)
        # when
        body = await alice.graphql(SEND_GQL, {"id": str(invoice["id"])})
        # then
        gql_error(body, "UPSTREAM_ERROR")
        shown = await emails_of(alice, invoice["id"])
        assert shown["status"] == "DRAFT"
        assert [e["status"] for e in shown["emails"]] == ["FAILED"]


async def test_a_viewer_may_not_send_and_another_team_cannot_see(services: Services) -> None:
    with smtp_sink() as smtp:
        async with paid_app(services, smtp_url=smtp.url) as app:
            # given
            alice = await app.api("alice@a.example", "Team A")
            viewer = await app.api("vera@a.example", "Team A", role="viewer")
            bob = await app.api("bob@b.example", "Team B")
            invoice = await draft(alice)
            variables = {"id": str(invoice["id"])}
            # when
            by_viewer = await viewer.post(SEND.format(id=invoice["id"]))
            gql_viewer = await viewer.graphql(SEND_GQL, variables)
            by_bob = await bob.post(SEND.format(id=invoice["id"]))
            gql_bob = await bob.graphql(SEND_GQL, variables)
            # then
            error(by_viewer, 403, "forbidden")
            gql_error(gql_viewer, "FORBIDDEN")
            error(by_bob, 404, "not_found")
            gql_error(gql_bob, "NOT_FOUND")
            assert smtp.recipients == []
            assert await count(app.services, EmailDelivery) == 0
            assert data(await alice.get(f"/invoices/{invoice['id']}")) == invoice
            hidden = await bob.graphql(EMAILS, variables)
            assert gql_data(hidden)["invoice"] is None
