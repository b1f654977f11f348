"""Payments against invoices over REST and GraphQL (API.md §3): draft -> sent -> partial ->
paid, never above the balance due, never on draft or cancelled invoices, and the customer's
payment history."""

from __future__ import annotations

from typing import Any

import pytest

from invoiceflow.models import Payment
from invoiceflow.services import Services
from tests.catalog_support import count_rows, gql_data, gql_error, gql_fields, sent_invoice
from tests.conftest import Api
from tests.rest_support import data, day, error, field_errors, ok, parse_timestamp, today

PAY = "/invoices/{id}/payments"
INVOICE = "/invoices/{id}"
METHODS = ["bank_transfer", "card", "cash", "check", "stripe", "other"]
PAYMENT_FIELDS = {"id", "invoice_id", "amount", "paid_at", "method", "reference", "created_at"}

RECORD = """mutation($invoiceId: ID!, $input: PaymentInput!) {
  recordPayment(invoiceId: $invoiceId, input: $input) {
    id invoiceId amount paidAt method reference
    invoice { status amountPaid balanceDue paidAt payments { amount } } } }"""
HISTORY = """query($invoice: ID!, $customer: ID!) {
  invoice(id: $invoice) { payments { amount method } }
  customer(id: $customer) { payments { amount paidAt } recentInvoices { invoiceNumber } } }"""


async def pay(api: Api, invoice: dict[str, Any], **body: Any) -> Any:
    return await api.post(PAY.format(id=invoice["id"]), body)


async def test_a_draft_invoice_takes_no_payment(alice: Api, services: Services) -> None:
    # given
    invoice = await alice.create_invoice((await alice.create_customer())["id"])
    # when
    response = await pay(alice, invoice, amount=100)
    # then
    error(response, 409, "invalid_state")
    assert await count_rows(services, Payment) == 0
    assert data(await alice.get(INVOICE.format(id=invoice["id"]))) == invoice


async def test_draft_sent_partial_paid(alice: Api) -> None:
    # given: a draft of 6000.00 due in 30 days, sent by an update
    draft = await alice.create_invoice((await alice.create_customer())["id"], due_date=day(30))
    sent = data(await alice.patch(INVOICE.format(id=draft["id"]), {"status": "sent"}))
    assert (draft["status"], sent["status"]) == ("draft", "sent")
    # when
    first = await pay(alice, sent, amount="2000.50", paid_at="2025-02-01")
    final = await pay(alice, sent, amount=3999.5, method="bank_transfer", reference="TX-9")
    # then
    envelope = ok(first, 201)
    assert envelope["message"] == "Payment recorded"
    payment = envelope["data"]
    assert set(payment) == PAYMENT_FIELDS | {"invoice"}
    assert (payment["invoice_id"], payment["amount"], payment["method"]) == (
        sent["id"],
        2000.5,
        "other",
    )
    assert (payment["paid_at"], payment["reference"]) == ("2025-02-01", None)
    parse_timestamp(payment["created_at"])
    partial = payment["invoice"]
    assert (partial["status"], partial["amount_paid"], partial["balance_due"]) == (
        "partial",
        2000.5,
        3999.5,
    )
    assert partial["paid_at"] is None
    assert [p["id"] for p in partial["payments"]] == [payment["id"]]
    closing = data(final, 201)
    assert (closing["amount"], closing["method"]) == (3999.5, "bank_transfer")
    assert (closing["paid_at"], closing["reference"]) == (today().isoformat(), "TX-9")
    paid = closing["invoice"]
    assert (paid["status"], paid["amount_paid"], paid["balance_due"]) == ("paid", 6000.0, 0.0)
    parse_timestamp(paid["paid_at"])  # set when the invoice became paid
    assert [p["id"] for p in paid["payments"]] == [closing["id"], payment["id"]]
    assert data(await alice.get(INVOICE.format(id=sent["id"]))) == paid


async def test_a_paid_invoice_refuses_updates_deletes_and_more_money(alice: Api) -> None:
    # given
    invoice = await sent_invoice(alice)
    paid = data(await pay(alice, invoice, amount=6000), 201)["invoice"]
    path = INVOICE.format(id=invoice["id"])
    # when
    put = await alice.put(path, {"notes": "Changed"})
    patch = await alice.patch(path, {"status": "cancelled"})
    delete = await alice.delete(path)
    more = await pay(alice, invoice, amount="0.01")
    # then
    error(put, 409, "invalid_state")
    error(patch, 409, "invalid_state")
    error(delete, 409, "invalid_state")
    assert set(field_errors(more)) == {"amount"}
    assert data(await alice.get(path)) == paid


async def test_a_payment_on_an_overdue_invoice_keeps_it_overdue_until_paid(alice: Api) -> None:
    # given: sent, due 2025-02-15 (long past)
    invoice = await sent_invoice(alice)
    assert invoice["status"] == "overdue"
    # when
    partial = data(await pay(alice, invoice, amount=1000), 201)["invoice"]
    paid = data(await pay(alice, invoice, amount=5000), 201)["invoice"]
    # then
    assert (partial["status"], partial["balance_due"]) == ("overdue", 5000.0)
    assert (paid["status"], paid["balance_due"]) == ("paid", 0.0)


async def test_a_payment_above_the_balance_due_records_nothing(
    alice: Api, services: Services
) -> None:
    # given
    invoice = await sent_invoice(alice)
    data(await pay(alice, invoice, amount=5000), 201)
    before = data(await alice.get(INVOICE.format(id=invoice["id"])))
    # when
    response = await pay(alice, invoice, amount="1000.01")
    # then
    assert set(field_errors(response)) == {"amount"}
    assert await count_rows(services, Payment) == 1
    assert data(await alice.get(INVOICE.format(id=invoice["id"]))) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": "10.005"}, "amount"),
        ({"amount": 10.005}, "amount"),
        ({"amount": "ten"}, "amount"),
        ({}, "amount"),
        ({"amount": 10, "method": "paypal"}, "method"),
        ({"amount": 10, "paid_at": "01/02/2025"}, "paid_at"),
    ],
)
async def test_invalid_payments_are_refused(
    alice: Api, services: Services, body: dict[str, Any], field: str
) -> None:
    # given
    invoice = await sent_invoice(alice)
    # when
    response = await alice.post(PAY.format(id=invoice["id"]), body)
    # then
    assert set(field_errors(response)) == {field}
    assert await count_rows(services, Payment) == 0


async def test_a_cancelled_invoice_takes_no_payment(alice: Api, services: Services) -> None:
    # given
    invoice = await sent_invoice(alice)
    data(await alice.patch(INVOICE.format(id=invoice["id"]), {"status": "cancelled"}))
    # when
    response = await pay(alice, invoice, amount=10)
    # then
    error(response, 409, "invalid_state")
    assert await count_rows(services, Payment) == 0


async def test_a_deleted_invoice_is_not_found(alice: Api, services: Services) -> None:
    # given
    invoice = await sent_invoice(alice)
    ok(await alice.delete(INVOICE.format(id=invoice["id"])))
    # when
    response = await pay(alice, invoice, amount=10)
    # then
    error(response, 404, "not_found")
    assert await count_rows(services, Payment) == 0


@pytest.mark.parametrize("method", METHODS)
async def test_every_method_is_accepted(alice: Api, method: str) -> None:
    # given
    invoice = await sent_invoice(alice)
    # when
    payment = data(await pay(alice, invoice, amount=10, method=method), 201)
    # then
    assert payment["method"] == method
    assert data(await alice.get(INVOICE.format(id=invoice["id"])))["payments"][0]["method"] == (
        method
    )


async def test_the_customer_shows_its_payments_newest_first_and_recent_invoices(
    alice: Api,
) -> None:
    # given: eleven invoices, three payments on two of them
    customer = await alice.create_customer()
    first = await sent_invoice(alice, customer["id"])
    second = await sent_invoice(alice, customer["id"])
    made = [first, second]
    for _ in range(9):
        made.append(await alice.create_invoice(customer["id"]))
    p1 = data(await pay(alice, first, amount=100, paid_at="2025-01-20"), 201)
    p2 = data(await pay(alice, second, amount=200, paid_at="2025-02-20", method="card"), 201)
    p3 = data(await pay(alice, first, amount=300, paid_at="2025-03-20"), 201)
    # when
    shown = data(await alice.get(f"/customers/{customer['id']}"))
    # then
    assert [p["id"] for p in shown["payments"]] == [p3["id"], p2["id"], p1["id"]]
    assert shown["payments"][1] == {k: p2[k] for k in PAYMENT_FIELDS}
    assert [i["id"] for i in shown["recent_invoices"]] == [i["id"] for i in made[:0:-1]]
    assert shown["recent_invoices"][-1]["status"] == "overdue"  # second: sent, paid in part


async def test_graphql_record_payment_twins(alice: Api, services: Services) -> None:
    # given
    draft = await alice.create_invoice((await alice.create_customer())["id"], due_date=day(30))
    invoice_id = str(draft["id"])
    # when
    refused = await alice.graphql(RECORD, {"invoiceId": invoice_id, "input": {"amount": "10"}})
    data(await alice.patch(INVOICE.format(id=draft["id"]), {"status": "sent"}))
    early = {"amount": "1000", "paidAt": "2025-02-01"}
    partial = await alice.graphql(RECORD, {"invoiceId": invoice_id, "input": early})
    too_much = await alice.graphql(RECORD, {"invoiceId": invoice_id, "input": {"amount": 5001}})
    rest = {"amount": 5000, "method": "CASH", "reference": "R"}
    final = await alice.graphql(RECORD, {"invoiceId": invoice_id, "input": rest})
    # then
    gql_error(refused, "INVALID_STATE")
    first = gql_data(partial)["recordPayment"]
    assert {k: v for k, v in first.items() if k != "id"} == {
        "invoiceId": invoice_id,
        "amount": "1000.00",
        "paidAt": "2025-02-01",
        "method": "OTHER",
        "reference": None,
        "invoice": {
            "status": "PARTIAL",
            "amountPaid": "1000.00",
            "balanceDue": "5000.00",
            "paidAt": None,
            "payments": [{"amount": "1000.00"}],
        },
    }
    assert set(gql_fields(too_much)) == {"amount"}
    last = gql_data(final)["recordPayment"]
    assert (last["amount"], last["method"], last["reference"]) == ("5000.00", "CASH", "R")
    assert last["paidAt"] == today().isoformat()  # the default
    assert last["invoice"]["status"] == "PAID"
    assert last["invoice"]["balanceDue"] == "0.00"
    parse_timestamp(last["invoice"]["paidAt"])
    assert last["invoice"]["payments"] == [{"amount": "5000.00"}, {"amount": "1000.00"}]
    assert await count_rows(services, Payment) == 2
    history = await alice.graphql(
        HISTORY, {"invoice": invoice_id, "customer": str(draft["customer_id"])}
    )
    shown = gql_data(history)
    assert shown["invoice"]["payments"] == [
        {"amount": "5000.00", "method": "CASH"},
        {"amount": "1000.00", "method": "OTHER"},
    ]
    assert shown["customer"]["payments"] == [
        {"amount": "5000.00", "paidAt": today().isoformat()},
        {"amount": "1000.00", "paidAt": "2025-02-01"},
    ]
    assert shown["customer"]["recentInvoices"] == [{"invoiceNumber": "INV-0001"}]


@pytest.mark.parametrize("amount", ["0", "-1", "1.001"])
async def test_graphql_refuses_bad_amounts(alice: Api, amount: str) -> None:
    # given
    invoice = await sent_invoice(alice)
    # when
    body = await alice.graphql(
        RECORD, {"invoiceId": str(invoice["id"]), "input": {"amount": amount}}
    )
    # then
    assert set(gql_fields(body)) == {"amount"}
