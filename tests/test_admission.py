"""A worker runs at most INVOICEFLOW_CONCURRENT_REQUESTS requests at once (admission.py); the
others wait their turn, and one that gets none in time is a 503 in its API's own shape. A
request that waits on the outside world gives its turn up; one whose client leaves while it
waits is never run."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from invoiceflow.resolvers import customers
from invoiceflow.services import Services
from tests.getting_paid_support import paid_app, smtp_sink
from tests.rest_support import error
from tests.server_support import post_scope, served

LIST_GQL = "{ customers { items { id } } }"


@pytest.fixture
def slow_lists(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Each customer list takes ``seconds`` longer; ``most`` is the most at once."""
    seen: dict[str, Any] = {"at_work": 0, "most": 0, "seconds": 0.2}
    original = customers.paginate

    async def slow(*args: Any, **kwargs: Any) -> Any:
        seen["at_work"] += 1
        seen["most"] = max(seen["most"], seen["at_work"])
        try:
            await asyncio.sleep(seen["seconds"])
            return await original(*args, **kwargs)
        finally:
            seen["at_work"] -= 1

    monkeypatch.setattr(customers, "paginate", slow)
    return seen


async def test_at_most_the_configured_requests_are_at_work(
    services: Services, slow_lists: dict[str, Any]
) -> None:
    async with paid_app(services, concurrent_requests=2) as app:
        alice = await app.api("alice@a.example", "Team A")
        await alice.create_customer()
        rest = [alice.get("/customers") for _ in range(5)]
        graphql = [alice.graphql(LIST_GQL) for _ in range(3)]
        answers = await asyncio.gather(*rest, *graphql)
    assert [r.status_code for r in answers[:5]] == [200] * 5
    assert all(len(body["data"]["customers"]["items"]) == 1 for body in answers[5:])
    assert slow_lists["most"] == 2


async def test_no_turn_in_time_is_a_503_in_each_apis_shape(
    services: Services, slow_lists: dict[str, Any]
) -> None:
    slow_lists["seconds"] = 1.0
    async with paid_app(services, concurrent_requests=1, db_timeout=0.3) as app:
        alice = await app.api("alice@a.example", "Team A")

        async def after_it(request: Any) -> Any:
            await asyncio.sleep(0.05)  # the slow list has the one turn
            return await request

        held, rest, graphql = await asyncio.gather(
            alice.get("/customers"),
            after_it(alice.get("/invoices")),
            after_it(alice.graphql_response("{ __typename }")),
        )
    assert held.status_code == 200
    error(rest, 503, "service_unavailable")
    assert graphql.status_code == 503
    assert graphql.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"


async def test_a_request_waiting_on_the_mail_server_gives_its_turn_up(
    services: Services,
) -> None:
    with smtp_sink(delay=1.0) as smtp:
        async with paid_app(
            services, smtp_url=smtp.url, concurrent_requests=1, db_timeout=0.5
        ) as app:
            alice = await app.api("alice@a.example", "Team A")
            customer = await alice.create_customer(email="ap@acme.example")
            invoice = await alice.create_invoice(customer["id"])
            sending = asyncio.create_task(alice.post(f"/invoices/{invoice['id']}/send-email"))
            # the mail is with the server, which takes a second to accept it
            assert await asyncio.to_thread(smtp.handler.receiving.wait, 10)
            listed = await alice.get("/customers")
            pending = not sending.done()
            sent = await sending
    assert listed.status_code == 200 and pending  # served while the mail was on its way
    assert sent.status_code == 200, sent.text
    assert smtp.recipients == [["ap@acme.example"]]


async def test_a_slow_upload_holds_no_turn(services: Services) -> None:
    async with paid_app(services, concurrent_requests=1, db_timeout=0.3) as app:
        alice = await app.api("alice@a.example", "Team A")
        body = b'{"company_name": "Slow Upload Ltd"}'
        answer: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            if not answer:  # the first half now, the rest a second later
                answer.append({})
                return {"type": "http.request", "body": body[:10], "more_body": True}
            await asyncio.sleep(1.0)
            return {"type": "http.request", "body": body[10:], "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer.append(message)

        scope = post_scope("/api/v1/customers", alice.key, body)
        uploading = asyncio.create_task(app.asgi(scope, receive, send))
        await asyncio.sleep(0.2)  # half the body is in; the rest takes a second
        listed = await alice.get("/customers")
        await uploading
        names = [c["company_name"] for c in (await alice.get("/customers")).json()["data"]]
    assert listed.status_code == 200 and listed.json()["data"] == []
    assert answer[-1]["status"] == 201
    assert names == ["Slow Upload Ltd"]


async def test_a_request_whose_client_leaves_while_it_waits_is_never_run(
    services: Services, slow_lists: dict[str, Any]
) -> None:
    slow_lists["seconds"] = 1.0
    async with paid_app(services, concurrent_requests=1) as app, served(app.asgi) as port:
        alice = await app.api("alice@a.example", "Team A")
        body = b'{"company_name": "Gone Ltd"}'
        request = (
            b"POST /api/v1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Authorization: Bearer " + alice.key.encode() + b"\r\n"
            b"Content-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        headers = {"Authorization": f"Bearer {alice.key}"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers) as http:
            # given the one turn held by a list that takes a second
            held = asyncio.create_task(http.get("/api/v1/customers"))
            await asyncio.sleep(0.2)
            # when a create arrives, waits for the turn, and its client hangs up
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            await writer.drain()
            await asyncio.sleep(0.2)
            writer.close()
            await writer.wait_closed()
            # then the next request is served after the list: no turn was lost
            listed = await http.get("/api/v1/customers")
            assert (await held).status_code == 200
    # and the create never ran
    assert listed.status_code == 200 and listed.json()["data"] == []


async def test_a_graphql_request_whose_client_leaves_is_answered_nowhere(
    services: Services, slow_lists: dict[str, Any]
) -> None:
    slow_lists["seconds"] = 0.6
    async with paid_app(services, concurrent_requests=1) as app:
        alice = await app.api("alice@a.example", "Team A")
        body = (
            b'{"query": "mutation { createCustomer(input: {companyName: \\"Gone Ltd\\"}) { id } }"}'
        )
        sent: list[dict[str, Any]] = []
        gone = asyncio.Event()

        async def receive() -> dict[str, Any]:
            if not sent:
                sent.append({})
                return {"type": "http.request", "body": body, "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = post_scope("/graphql", alice.key, body)
        held = asyncio.create_task(alice.graphql(LIST_GQL))
        await asyncio.sleep(0.1)  # the list has the one turn
        mutation = asyncio.create_task(app.asgi(scope, receive, send))
        await asyncio.sleep(0.1)
        gone.set()  # the mutation's client hangs up while it waits
        behind = asyncio.create_task(alice.graphql(LIST_GQL))  # in line after the mutation
        await mutation
        assert (await held)["data"]["customers"]["items"] == []
        listed = await behind
    assert sent[1]["status"] == 499  # answered to nobody
    assert listed["data"]["customers"]["items"] == []  # served, and the mutation never ran


async def test_a_turn_comes_back_however_the_asking_ends(
    services: Services, slow_lists: dict[str, Any]
) -> None:
    slow_lists["seconds"] = 0.3
    async with paid_app(services, concurrent_requests=1, db_timeout=2.0) as app:
        alice = await app.api("alice@a.example", "Team A")
        body = b'{"company_name": "Broken Ltd"}'
        asked: list[int] = []

        async def receive() -> dict[str, Any]:
            asked.append(len(asked))
            if len(asked) == 1:
                return {"type": "http.request", "body": body, "more_body": False}
            raise OSError("the connection broke")  # asked whether the client is there

        async def send(message: dict[str, Any]) -> None:
            pass

        held = asyncio.create_task(alice.get("/customers"))
        await asyncio.sleep(0.1)  # the list has the one turn
        with pytest.raises(OSError):
            await app.asgi(post_scope("/api/v1/customers", alice.key, body), receive, send)
        listed = await alice.get("/customers")  # the broken request's turn came back
        assert (await held).status_code == 200
    assert listed.status_code == 200 and listed.json()["data"] == []
