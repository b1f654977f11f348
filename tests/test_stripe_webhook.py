"""POST /webhooks/stripe (issue 4, API.md §1 and §3): Stripe-signed events only, each event id
processed once however often it arrives, a completed checkout becoming one payment."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from invoiceflow.models import Invoice, Payment, StripeEvent
from invoiceflow.services import Services
from tests.conftest import Api
from tests.getting_paid_support import (
    PaidApp,
    checkout_completed,
    count,
    paid_app,
    stripe_signature,
)
from tests.rest_support import data, day, error, parse_timestamp

WEBHOOK = "/webhooks/stripe"


@dataclass
class Shop:
    app: PaidApp
    alice: Api
    invoice: dict[str, Any]  # sent, 6000.00 due in 30 days
    team_id: int

    async def deliver(self, payload: str, signature: str | None = None) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        headers["Stripe-Signature"] = signature or stripe_signature(payload)
        return await self.app.http.post(WEBHOOK, content=payload, headers=headers)

    def completed(self, event_id: str, amount_minor: int, intent: str = "pi_123") -> str:
        return checkout_completed(
            event_id, self.invoice["id"], self.team_id, amount_minor, payment_intent=intent
        )

    async def stored(self) -> dict[str, Any]:
        return dict(data(await self.alice.get(f"/invoices/{self.invoice['id']}")))


@asynccontextmanager
async def shop(services: Services) -> AsyncIterator[Shop]:
    async with paid_app(services) as app:
        alice = await app.api("alice@a.example", "Team A")
        customer = await alice.create_customer(email="billing@acme.example")
        draft = await alice.create_invoice(customer["id"], due_date=day(30))
        invoice = data(await alice.patch(f"/invoices/{draft['id']}", {"status": "sent"}))
        team_id = int(data(await alice.get("/teams/current"))["id"])
        yield Shop(app, alice, invoice, team_id)


def received(response: httpx.Response, *, duplicate: bool) -> None:
    assert response.status_code == 200, response.text
    assert response.json() == {"received": True, "duplicate": duplicate}


async def test_a_completed_checkout_pays_the_invoice(services: Services) -> None:
    async with shop(services) as s:
        # given
        payload = s.completed("evt_full", 600000)
        # when
        response = await s.deliver(payload)
        # then
        received(response, duplicate=False)
        paid = await s.stored()
        assert (paid["status"], paid["amount_paid"], paid["balance_due"]) == ("paid", 6000.0, 0.0)
        parse_timestamp(paid["paid_at"])
        (payment,) = paid["payments"]
        assert (payment["amount"], payment["method"], payment["reference"]) == (
            6000.0,
            "stripe",
            "pi_123",
        )


async def test_a_partial_checkout_makes_the_invoice_partial(services: Services) -> None:
    async with shop(services) as s:
        # when
        received(await s.deliver(s.completed("evt_part", 100000)), duplicate=False)
        # then
        partial = await s.stored()
        assert (partial["status"], partial["amount_paid"], partial["balance_due"]) == (
            "partial",
            1000.0,
            5000.0,
        )
        assert [(p["amount"], p["method"]) for p in partial["payments"]] == [(1000.0, "stripe")]


async def test_ten_deliveries_in_a_row_record_one_payment(services: Services) -> None:
    async with shop(services) as s:
        # given: 1000.00 of 6000.00, so a second recording would fit in the balance
        payload = s.completed("evt_seq", 100000)
        # when
        responses = [await s.deliver(payload) for _ in range(10)]
        # then
        received(responses[0], duplicate=False)
        for response in responses[1:]:
            received(response, duplicate=True)
        assert await count(s.app.services, Payment) == 1
        assert (await s.stored())["amount_paid"] == 1000.0


async def test_ten_concurrent_deliveries_record_one_payment(services: Services) -> None:
    async with shop(services) as s:
        # given
        payload = s.completed("evt_gather", 100000)
        # when
        async with asyncio.timeout(60):
            responses = await asyncio.gather(*(s.deliver(payload) for _ in range(10)))
        # then
        assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
        assert sorted(r.json()["duplicate"] for r in responses) == [False] + [True] * 9
        assert await count(s.app.services, Payment) == 1
        stored = await s.stored()
        assert (stored["status"], stored["amount_paid"]) == ("partial", 1000.0)


async def test_a_bad_signature_is_400_and_stores_nothing(services: Services) -> None:
    async with shop(services) as s:
        # given
        payload = s.completed("evt_sig", 100000)
        tampered = payload.replace("100000", "600000")
        assert tampered != payload
        # when
        wrong_secret = await s.deliver(payload, stripe_signature(payload, "whsec_other"))
        altered = await s.deliver(tampered, stripe_signature(payload))
        garbage = await s.deliver(payload, "t=1,v1=deadbeef")
        unsigned = await s.app.http.post(WEBHOOK, content=payload)
        # then
        for response in (wrong_secret, altered, garbage, unsigned):
            error(response, 400, "bad_request")
        assert await count(s.app.services, Payment) == 0
        assert await s.stored() == s.invoice
        # the event id was not consumed: the genuine delivery still counts
        received(await s.deliver(payload), duplicate=False)
        assert await count(s.app.services, Payment) == 1


async def test_a_signature_older_than_300_seconds_is_400(services: Services) -> None:
    async with shop(services) as s:
        # given
        payload = s.completed("evt_old", 100000)
        now = int(time.time())
        # when
        stale = await s.deliver(payload, stripe_signature(payload, at=now - 301))
        very_stale = await s.deliver(payload, stripe_signature(payload, at=now - 3600))
        # then
        error(stale, 400, "bad_request")
        error(very_stale, 400, "bad_request")
        assert await count(s.app.services, Payment) == 0
        assert await s.stored() == s.invoice
        # a retry Stripe signs afresh (within the tolerance) is taken
        received(await s.deliver(payload, stripe_signature(payload, at=now - 200)), duplicate=False)
        assert await count(s.app.services, Payment) == 1


async def test_unknown_event_types_are_acknowledged_and_ignored(services: Services) -> None:
    async with shop(services) as s:
        # given: a payload that would pay the invoice, under a type we do not handle
        event = json.loads(s.completed("evt_other", 600000))
        event["type"] = "customer.subscription.updated"
        payload = json.dumps(event)
        # when
        response = await s.deliver(payload)
        again = await s.deliver(payload)
        # then
        received(response, duplicate=False)
        received(again, duplicate=True)
        assert await count(s.app.services, Payment) == 0
        assert await s.stored() == s.invoice


async def test_an_event_naming_another_team_is_refused_and_records_nothing(
    services: Services,
) -> None:
    async with shop(services) as s:
        # given: bob's team id with alice's invoice id
        bob = await s.app.api("bob@b.example", "Team B")
        bob_team = int(data(await bob.get("/teams/current"))["id"])
        assert bob_team != s.team_id
        payload = checkout_completed("evt_cross", s.invoice["id"], bob_team, 600000)
        # when
        response = await s.deliver(payload)
        # then: no such invoice in that team (API.md §6: an unknown invoice id is a 400)
        error(response, 400, "bad_request")
        assert await count(s.app.services, Payment) == 0
        assert await count(s.app.services, StripeEvent) == 0
        assert await s.stored() == s.invoice


async def test_an_unpaid_checkout_records_nothing(services: Services) -> None:
    async with shop(services) as s:
        # given: a completed session whose (delayed) payment has not arrived yet
        event = json.loads(s.completed("evt_unpaid", 600000))
        event["data"]["object"]["payment_status"] = "unpaid"
        # when
        response = await s.deliver(json.dumps(event))
        # then
        received(response, duplicate=False)
        assert await count(s.app.services, Payment) == 0
        assert await s.stored() == s.invoice


# --- malformed events, the clock, overpayment (API.md §6) -------------------------------------


def _event(s: Shop, event_id: str = "evt_bad", amount_minor: Any = 100000) -> dict[str, Any]:
    return dict(json.loads(s.completed(event_id, amount_minor)))


def _with(event: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``event`` with the value at a dotted ``path`` replaced (or removed, for ``...``)."""
    node: Any = event
    *parents, last = path.split(".")
    for part in parents:
        node = node[part]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return event


MALFORMED = {
    "no data": ("data", ...),
    "data not an object": ("data", "checkout"),
    "data.object null": ("data.object", None),
    "no id": ("id", ...),
    "an id of 10,000 characters": ("id", "evt_" + "x" * 10_000),
    "no type": ("type", ...),
    "a type of 200 characters": ("type", "checkout." + "x" * 200),
    "amount_total not a number": ("data.object.amount_total", "abc"),
    "amount_total a fraction": ("data.object.amount_total", 100.5),
    "amount_total negative": ("data.object.amount_total", -100),
    "amount_total a boolean": ("data.object.amount_total", True),
    "amount_total of 30 digits": ("data.object.amount_total", 10**30),
    "amount_total missing": ("data.object.amount_total", ...),
    "an invoice id of 30 digits": ("data.object.metadata.invoice_id", "1" * 30),
    "an invoice id not a number": ("data.object.metadata.invoice_id", "INV-0001"),
    "no team id": ("data.object.metadata.team_id", ...),
    "a currency of 5 letters": ("data.object.currency", "dollar"),
    "a currency not a string": ("data.object.currency", 840),
    "a payment intent of 300 characters": ("data.object.payment_intent", "pi_" + "x" * 300),
}


@pytest.mark.parametrize("case", list(MALFORMED))
async def test_a_signed_but_malformed_event_is_400_and_records_nothing(
    case: str, services: Services
) -> None:
    async with shop(services) as s:
        # given: a correctly signed event with one thing wrong
        path, value = MALFORMED[case]
        payload = json.dumps(_with(_event(s), path, value))
        # when
        response = await s.deliver(payload)
        # then
        error(response, 400, "bad_request")
        assert await count(s.app.services, Payment) == 0
        assert await count(s.app.services, StripeEvent) == 0
        assert await s.stored() == s.invoice
        # and the genuine event is still taken
        received(await s.deliver(json.dumps(_event(s))), duplicate=False)
        assert (await s.stored())["amount_paid"] == 1000.0


@pytest.mark.parametrize(
    "payload",
    ["[" * 100_000 + "]" * 100_000, '["an", "array"]', '"a string"', "{not json"],
    ids=["deep", "array", "string", "not json"],
)
async def test_a_signed_body_that_is_no_event_object_is_400(
    payload: str, services: Services
) -> None:
    async with shop(services) as s:
        # when
        response = await s.deliver(payload)
        # then
        error(response, 400, "bad_request")
        assert await count(s.app.services, StripeEvent) == 0


async def test_a_checkout_that_is_not_ours_is_acknowledged(services: Services) -> None:
    async with shop(services) as s:
        # given: a checkout of the same account made by something else (no invoice metadata)
        payload = json.dumps(_with(_event(s, "evt_theirs"), "data.object.metadata", {}))
        # when
        response = await s.deliver(payload)
        # then
        received(response, duplicate=False)
        assert await count(s.app.services, Payment) == 0


async def test_a_signature_dated_in_the_future_is_refused(services: Services) -> None:
    async with shop(services) as s:
        # given
        payload = s.completed("evt_future", 100000)
        now = int(time.time())
        # when
        ahead = await s.deliver(payload, stripe_signature(payload, at=now + 301))
        far_ahead = await s.deliver(payload, stripe_signature(payload, at=now + 86_400))
        # then
        error(ahead, 400, "bad_request")
        error(far_ahead, 400, "bad_request")
        assert await count(s.app.services, Payment) == 0
        # a clock a little ahead (within the tolerance) is taken
        received(await s.deliver(payload, stripe_signature(payload, at=now + 200)), duplicate=False)


async def test_a_payment_over_the_balance_keeps_the_excess_on_the_invoice(
    services: Services,
) -> None:
    async with shop(services) as s:
        # given: 1,000.00 paid of 6,000.00
        received(await s.deliver(s.completed("evt_first", 100000)), duplicate=False)
        # when: 7,000.00 more arrive through Stripe (5,000.00 were due)
        received(await s.deliver(s.completed("evt_over", 700000, "pi_2")), duplicate=False)
        # then: the whole amount is recorded; the invoice takes its balance, keeps the rest
        paid = await s.stored()
        assert (paid["status"], paid["amount_paid"], paid["balance_due"]) == ("paid", 6000.0, 0.0)
        assert paid["amount_overpaid"] == 2000.0
        assert [p["amount"] for p in paid["payments"]] == [7000.0, 1000.0]
        # and a second, duplicate payment of a paid invoice is kept whole as well
        received(await s.deliver(s.completed("evt_twice", 600000, "pi_3")), duplicate=False)
        twice = await s.stored()
        assert (twice["status"], twice["amount_paid"]) == ("paid", 6000.0)
        assert twice["amount_overpaid"] == 8000.0
        assert sum(p["amount"] for p in twice["payments"]) == 14000.0
        body = await s.alice.graphql(
            "query ($id: ID!) { invoice(id: $id) { amountPaid amountOverpaid balanceDue } }",
            {"id": str(s.invoice["id"])},
        )
        assert body["data"]["invoice"] == {
            "amountPaid": "6000.00",
            "amountOverpaid": "8000.00",
            "balanceDue": "0.00",
        }


async def test_an_api_payment_over_the_balance_is_still_422(services: Services) -> None:
    async with shop(services) as s:
        # when
        response = await s.alice.post(f"/invoices/{s.invoice['id']}/payments", {"amount": 6000.01})
        # then
        assert response.status_code == 422, response.text
        assert "amount" in response.json()["errors"]
        assert (await s.stored())["amount_overpaid"] == 0.0


async def test_one_payment_intent_is_recorded_once_whatever_its_events(
    services: Services,
) -> None:
    async with shop(services) as s:
        # when: two events (ids of their own) of one payment intent, pi_123
        received(await s.deliver(s.completed("evt_one", 100000)), duplicate=False)
        received(await s.deliver(s.completed("evt_two", 100000)), duplicate=False)
        # then
        assert await count(s.app.services, Payment) == 1
        assert (await s.stored())["amount_paid"] == 1000.0


async def test_a_payment_for_a_deleted_invoice_is_kept_as_overpaid(services: Services) -> None:
    async with shop(services) as s:
        # given: the invoice deleted after its payment link went out (a draft: deletable)
        draft = await s.alice.create_invoice(
            (await s.alice.create_customer(email="x@x.example"))["id"]
        )
        assert (await s.alice.delete(f"/invoices/{draft['id']}")).status_code == 200
        payload = checkout_completed("evt_deleted", draft["id"], s.team_id, 50000)
        # when
        response = await s.deliver(payload)
        # then: the money is recorded, all of it beyond what the invoice takes
        received(response, duplicate=False)
        async with s.app.services.db.read_sessions() as session:
            invoice = await session.get(Invoice, draft["id"])
            assert invoice is not None
            assert (invoice.amount_paid, invoice.amount_overpaid) == (0, 500)
        assert await count(s.app.services, Payment) == 1


async def test_a_stripe_payment_is_an_event_of_stripe_written_once(services: Services) -> None:
    async with shop(services) as s:
        payload = s.completed("evt_evented", 600000)
        for _ in range(3):  # redelivered by Stripe: one payment, one set of events
            assert (await s.deliver(payload)).status_code == 200
        feed = data(await s.alice.get("/events?type=invoice.paid&type=payment.created"))
        assert [e["type"] for e in feed] == ["payment.created", "invoice.paid"]
        for event in feed:
            assert event["actor"] == {
                "type": "stripe",
                "id": None,
                "name": "Stripe",
                "user_id": None,
            }
        paid = feed[1]
        assert paid["data"]["object"] == await s.stored()
        assert paid["data"]["previous_attributes"]["status"] == "sent"
        assert paid["data"]["previous_attributes"]["amount_paid"] == 0.0
