"""One structured log line per request, with the request id echoed; never the key."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from tests.conftest import Api

ACCESS = "invoiceflow.access"


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == ACCESS]


async def test_rest_request_logs_one_line(alice: Api, caplog: pytest.LogCaptureFixture) -> None:
    # given
    caplog.set_level(logging.INFO, logger=ACCESS)
    # when
    response = await alice.get("/invoices", headers={"X-Request-ID": "req-123"})
    # then
    assert response.headers["X-Request-ID"] == "req-123"
    (line,) = access_lines(caplog)
    assert line["method"] == "GET"
    assert line["path"] == "/api/v1/invoices"
    assert line["status"] == 200
    assert line["request_id"] == "req-123"
    assert isinstance(line["team_id"], int)
    assert isinstance(line["duration_ms"], float)
    assert alice.key not in caplog.text


async def test_graphql_request_logs_the_operation(
    alice: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS)
    # when
    await alice.graphql("query Latest { invoices { items { id } } }")
    # then
    (line,) = access_lines(caplog)
    assert line["path"] == "/graphql"
    assert line["operation"] == "Latest"
    assert line["status"] == 200
    assert len(str(line["request_id"])) == 32  # a fresh one when the caller sent none
    assert alice.key not in caplog.text


async def test_failed_auth_is_logged_without_the_key(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS)
    bad = "ifk_this-key-does-not-exist-but-must-never-be-logged"
    # when
    response = await client.get("/api/v1/customers", headers={"Authorization": f"Bearer {bad}"})
    # then
    assert response.status_code == 401
    (line,) = access_lines(caplog)
    assert line["status"] == 401
    assert line["team_id"] is None
    assert bad not in caplog.text
