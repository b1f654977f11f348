"""Webhook endpoints and deliveries (API-events.md §3, §4): a real HTTP receiver on a real
socket, the real job queue and worker, signatures checked by the `standardwebhooks` package."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from invoiceflow import webhooks_out, work
from invoiceflow.app import create_app
from invoiceflow.resolvers import webhooks
from invoiceflow.services import Services
from invoiceflow.webhooks_out import USER_AGENT
from tests.conftest import Api, KeyFactory, services_on
from tests.rest_support import data, error, field_errors, ok
from tests.server_support import served


@dataclass
class Receiver:
    """An HTTP endpoint that answers each POST with the next of ``answers`` (then 200)."""

    answers: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    delay: float = 0.0
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.received.append((headers, body))
        if self.delay:
            await asyncio.sleep(self.delay)
        status = self.answers.pop(0) if self.answers else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"thanks" if status < 300 else b"no"})

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _headers, body in self.received]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    async with served(found) as port:
        found.port = port
        yield found


@pytest.fixture
async def hooked(database_url: str) -> AsyncIterator[Services]:
    """Services whose endpoints may be on this machine, retried at once."""
    async with services_on(
        database_url,
        webhook_allow_private=True,
        webhook_retry_schedule="0.2,0.2",
        webhook_timeout=2,
        job_poll_seconds=0.05,
    ) as services:
        yield services


@pytest.fixture
async def owner(hooked: Services) -> AsyncIterator[Api]:
    app = create_app(services=hooked)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield await KeyFactory(hooked, http).api("olive@o.example", "Team O")


@contextlib.asynccontextmanager
async def worker(services: Services) -> AsyncIterator[None]:
    task = asyncio.create_task(work.run_worker(services))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def until(check: Any, seconds: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while not await check():
        assert loop.time() < end, "timed out"
        await asyncio.sleep(0.05)


async def endpoint(api: Api, url: str, events: list[str] | None = None) -> dict[str, Any]:
    body = {"url": url, "events": events or ["*"]}
    return dict(data(await api.post("/webhook-endpoints", body), 201))


async def deliveries(api: Api, endpoint_id: int) -> list[dict[str, Any]]:
    return list(data(await api.get(f"/webhook-endpoints/{endpoint_id}/deliveries")))


async def test_an_event_is_delivered_signed_as_the_feed_shows_it(
    owner: Api, hooked: Services, receiver: Receiver
) -> None:
    made = await endpoint(owner, receiver.url, ["invoice.*"])
    assert made["secret"].startswith("whsec_") and len(made["secret"]) == 6 + 44
    async with worker(hooked):
        customer = await owner.create_customer()  # not asked for: never sent
        invoice = await owner.create_invoice(customer["id"])
        await until(lambda: _count(receiver, 1))
        (sent,) = await deliveries(owner, made["id"])
        await until(lambda: _status(owner, made["id"], "succeeded"))
    headers, body = receiver.received[0]
    verified = Webhook(made["secret"]).verify(body, headers)
    (event,) = data(await owner.get("/events?type=invoice.created"))
    assert verified == event
    assert headers["webhook-id"] == event["id"]
    assert headers["user-agent"] == USER_AGENT
    assert headers["content-type"] == "application/json"
    assert verified["data"]["object"]["id"] == invoice["id"]
    assert sent["event_id"] == event["id"] and sent["event_type"] == "invoice.created"
    (done,) = await deliveries(owner, made["id"])
    assert done["attempts"][0]["response_status"] == 200
    assert done["attempts"][0]["response_body"] == "thanks"
    assert "secret" not in data(await owner.get(f"/webhook-endpoints/{made['id']}"))


async def _count(receiver: Receiver, n: int) -> bool:
    return len(receiver.received) >= n


async def _status(api: Api, endpoint_id: int, status: str) -> bool:
    found = await deliveries(api, endpoint_id)
    return bool(found) and all(d["status"] == status for d in found)


async def test_a_failed_attempt_is_retried_on_the_schedule_then_failed(
    owner: Api, hooked: Services, receiver: Receiver
) -> None:
    receiver.answers = [500, 503, 500]
    made = await endpoint(owner, receiver.url, ["customer.created"])
    async with worker(hooked):
        await owner.create_customer()
        await until(lambda: _status(owner, made["id"], "failed"))
    (failed,) = await deliveries(owner, made["id"])
    assert [a["response_status"] for a in failed["attempts"]] == [500, 503, 500]
    assert [a["number"] for a in failed["attempts"]] == [1, 2, 3]
    assert len(receiver.received) == 3  # the first, and one per step of "0.2,0.2"
    assert len({h["webhook-id"] for h, _b in receiver.received}) == 1  # the same id each time


async def test_a_retry_that_succeeds_ends_the_delivery(
    owner: Api, hooked: Services, receiver: Receiver
) -> None:
    receiver.answers = [500]
    made = await endpoint(owner, receiver.url, ["customer.created"])
    async with worker(hooked):
        await owner.create_customer()
        await until(lambda: _status(owner, made["id"], "succeeded"))
    (done,) = await deliveries(owner, made["id"])
    assert [a["response_status"] for a in done["attempts"]] == [500, 200]


async def test_410_disables_the_endpoint_and_says_so(
    owner: Api, hooked: Services, receiver: Receiver
) -> None:
    receiver.answers = [410]
    made = await endpoint(owner, receiver.url, ["customer.*"])
    async with worker(hooked):
        await owner.create_customer()
        await until(lambda: _status(owner, made["id"], "failed"))
        await owner.create_customer()  # a disabled endpoint gets nothing new
        await asyncio.sleep(0.3)
    shown = data(await owner.get(f"/webhook-endpoints/{made['id']}"))
    assert shown["enabled"] is False and "410" in shown["disabled_reason"]
    assert len(receiver.received) == 1
    (disabled,) = data(await owner.get("/events?type=webhook_endpoint.disabled"))
    assert disabled["actor"]["type"] == "system"
    assert disabled["data"]["previous_attributes"]["enabled"] is True


async def test_two_workers_never_send_the_same_attempt(
    owner: Api, hooked: Services, receiver: Receiver
) -> None:
    receiver.delay = 0.3
    made = await endpoint(owner, receiver.url, ["customer.created"])
    await owner.create_customer()
    (pending,) = await deliveries(owner, made["id"])
    await asyncio.gather(*(webhooks_out.attempt(hooked, pending["id"]) for _ in range(4)))
    assert len(receiver.received) == 1
    (done,) = await deliveries(owner, made["id"])
    assert done["status"] == "succeeded" and len(done["attempts"]) == 1


async def test_a_delivery_waits_in_its_table_for_a_worker(
    owner: Api, hooked: Services, receiver: Receiver
) -> None:
    """Committed with no worker running (the queue may be lost with its process): the next
    worker's first sweep sends it."""
    made = await endpoint(owner, receiver.url, ["customer.created"])
    await owner.create_customer()
    await hooked.jobs.close()
    hooked.jobs = type(hooked.jobs)(hooked.settings.database_url)  # a queue that never saw it
    async with worker(hooked):
        await until(lambda: _status(owner, made["id"], "succeeded"))
    assert len(receiver.received) == 1


async def test_redeliver_sends_an_event_again(
    owner: Api, hooked: Services, receiver: Receiver
) -> None:
    await endpoint(owner, receiver.url, ["customer.created"])
    async with worker(hooked):
        await owner.create_customer()
        await until(lambda: _count(receiver, 1))
        (event,) = data(await owner.get("/events?type=customer.created"))
        again = data(await owner.post(f"/events/{event['id']}/redeliver", {}), 201)
        assert again == {"deliveries": 1}
        await until(lambda: _count(receiver, 2))
    assert [b["id"] for b in receiver.bodies()] == [event["id"], event["id"]]
    error(await owner.post("/events/evt_nothing/redeliver", {}), 404, "not_found")


async def test_endpoints_are_managed_by_owners_and_admins(
    owner: Api, hooked: Services, receiver: Receiver
) -> None:
    made = await endpoint(owner, receiver.url)
    changed = data(
        await owner.patch(
            f"/webhook-endpoints/{made['id']}",
            {"events": ["invoice.paid"], "description": "Accounting"},
        )
    )
    assert changed["events"] == ["invoice.paid"] and changed["description"] == "Accounting"
    rotated = data(await owner.post(f"/webhook-endpoints/{made['id']}/rotate-secret", {}))
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != made["secret"]
    assert [e["id"] for e in data(await owner.get("/webhook-endpoints"))] == [made["id"]]
    ok(await owner.delete(f"/webhook-endpoints/{made['id']}"))
    assert data(await owner.get("/webhook-endpoints")) == []
    types = [e["type"] for e in data(await owner.get("/events?type=webhook_endpoint.*"))]
    assert types == [
        "webhook_endpoint.created",
        "webhook_endpoint.updated",
        "webhook_endpoint.deleted",
    ]
    for shown in data(await owner.get("/events?type=webhook_endpoint.*")):
        assert "secret" not in shown["data"]["object"]


async def test_members_and_viewers_may_not_manage_endpoints(
    hooked: Services, receiver: Receiver, owner: Api
) -> None:
    app = create_app(services=hooked)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        keys = KeyFactory(hooked, http)
        member = await keys.api("mo@o.example", "Team O", role="member")
        viewer = await keys.api("vi@o.example", "Team O", role="viewer")
        for api in (member, viewer):
            error(await api.get("/webhook-endpoints"), 403, "forbidden")
            body = {"url": receiver.url, "events": ["*"]}
            error(await api.post("/webhook-endpoints", body), 403, "forbidden")
            assert ok(await api.get("/events"))["data"] == []  # any role reads events


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/in", "https"),
        ("ftp://hooks.example.com/in", "https"),
        ("hooks.example.com/in", "https"),
        ("https://user:pw@hooks.example.com/in", "password"),
        ("https://127.0.0.1/in", "private"),
        ("https://localhost/in", "private"),
        ("https://10.1.2.3/in", "private"),
        ("https://169.254.169.254/latest/meta-data", "private"),
        ("https://[::1]/in", "private"),
        ("https://[::ffff:127.0.0.1]/in", "private"),
        ("https://192.168.0.10/in", "private"),
        ("https://224.0.0.1/in", "private"),
        ("https://metadata.google.internal/x", "private"),
    ],
)
async def test_where_an_endpoint_may_not_point(alice: Api, url: str, why: str) -> None:
    """With the address rule on (the default): 422 on url, in our words."""
    response = await alice.post("/webhook-endpoints", {"url": url, "events": ["*"]})
    (message,) = field_errors(response)["url"]
    assert why in message.lower() or (why == "private" and "private network" in message)


PUBLIC = "https://93.184.215.14/in"  # a public address: no DNS asked


async def test_unknown_event_types_are_422(alice: Api) -> None:
    body = {"url": PUBLIC, "events": ["invoice.exploded"]}
    assert "events" in field_errors(await alice.post("/webhook-endpoints", body))
    assert "events" in field_errors(await alice.post("/webhook-endpoints", {**body, "events": []}))
    made = data(await alice.post("/webhook-endpoints", {**body, "events": ["invoice.*"]}), 201)
    assert made["events"] == ["invoice.*"] and made["enabled"] is True


async def test_a_host_that_resolves_to_a_private_address_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DNS is asked at creation and again before every delivery (it may change)."""
    answers = {"hooks.example.com": "93.184.215.14", "sneaky.example.com": "10.0.0.7"}

    async def getaddrinfo(host: str, port: int, **_: Any) -> list[Any]:
        return [(2, 1, 6, "", (answers[host], port))]

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", getaddrinfo)
    url = "https://hooks.example.com/in"
    assert await webhooks.check_url(url, allow_private=False) == url
    with pytest.raises(webhooks.ValidationFailed) as refused:
        await webhooks.check_url("https://sneaky.example.com/in", allow_private=False)
    assert "private network" in refused.value.fields["url"][0]
    answers["hooks.example.com"] = "127.0.0.1"  # the same name, moved
    with pytest.raises(webhooks.ValidationFailed):
        await webhooks.check_url(url, allow_private=False)


async def test_graphql_manages_endpoints_and_reads_deliveries(
    owner: Api, hooked: Services, receiver: Receiver
) -> None:
    made = await owner.graphql(
        """mutation($url: String!) { createWebhookEndpoint(input: {url: $url,
             events: ["customer.created"], description: "GQL"}) {
             endpoint { id url events enabled description } secret } }""",
        {"url": receiver.url},
    )
    assert "errors" not in made, made
    created = made["data"]["createWebhookEndpoint"]
    assert created["secret"].startswith("whsec_")
    assert created["endpoint"]["events"] == ["customer.created"]
    async with worker(hooked):
        await owner.create_customer()
        await until(lambda: _count(receiver, 1))
        await until(lambda: _status(owner, int(created["endpoint"]["id"]), "succeeded"))
    read = await owner.graphql(
        """query($id: ID!) { webhookEndpoint(id: $id) { url deliveries { status eventType
             attempts { number responseStatus } } } webhookEndpoints { id } }""",
        {"id": created["endpoint"]["id"]},
    )
    assert "errors" not in read, read
    (delivery,) = read["data"]["webhookEndpoint"]["deliveries"]
    assert delivery == {
        "status": "succeeded",
        "eventType": "customer.created",
        "attempts": [{"number": 1, "responseStatus": 200}],
    }
    bad = await owner.graphql(
        'mutation { createWebhookEndpoint(input: {url: "ftp://x", events: ["*"]}) { secret } }'
    )
    assert bad["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR", bad


@pytest.mark.postgres_only
async def test_a_delivery_whose_worker_is_killed_is_sent_by_another(
    owner: Api, hooked: Services, receiver: Receiver, backend: str
) -> None:
    """Real `invoiceflow worker` processes: the first is SIGKILLed while its attempt waits
    for an answer; once that attempt's lease ends, the second sends it, and it ends once."""
    receiver.delay = 1.5  # a slow 200, within the timeout
    made = await endpoint(owner, receiver.url, ["customer.created"])
    env = {
        **os.environ,
        "INVOICEFLOW_DATABASE_URL": hooked.settings.database_url,
        "INVOICEFLOW_WEBHOOK_ALLOW_PRIVATE": "true",
        "INVOICEFLOW_WEBHOOK_TIMEOUT": "3",  # an attempt's lease: 3 + 5 s
        "INVOICEFLOW_JOB_SWEEP_SECONDS": "1",
        "INVOICEFLOW_JOB_POLL_SECONDS": "0.2",
    }
    command = [str(Path(sys.executable).parent / "invoiceflow"), "worker", "--concurrency", "2"]

    async def start() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            *command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    first = await start()
    second = None
    try:
        await owner.create_customer()
        await until(lambda: _count(receiver, 1), seconds=30)
        first.send_signal(signal.SIGKILL)
        await asyncio.wait_for(first.wait(), 10)
        (taken,) = await deliveries(owner, made["id"])
        assert taken["status"] == "pending" and taken["attempts"] == []  # died mid-attempt
        second = await start()
        await until(lambda: _status(owner, made["id"], "succeeded"), seconds=60)
        await asyncio.sleep(2)  # and nothing more comes
    finally:
        for process in (first, second):
            if process is not None and process.returncode is None:
                process.terminate()
                await asyncio.wait_for(process.wait(), 20)
    (done,) = await deliveries(owner, made["id"])
    assert [a["response_status"] for a in done["attempts"]] == [200]
    assert len(receiver.received) == 2  # at least once: the killed attempt reached it
    assert len({h["webhook-id"] for h, _b in receiver.received}) == 1
