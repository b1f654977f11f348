"""Helpers for the REST test files: unwrap the envelopes, make dates, force stored states."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import update
from sqlmodel import col

from invoiceflow.models import Invoice
from invoiceflow.services import Services


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    """The whole success envelope, after checking the status and ``success``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is True, body
    return dict(body)


def data(response: httpx.Response, status: int = 200) -> Any:
    """The ``data`` of a success envelope."""
    return ok(response, status)["data"]


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The error envelope, after checking the status, the code and a human message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False, body
    assert body["error"] == code, body
    assert isinstance(body["message"], str), body
    assert body["message"], body
    return dict(body)


def field_errors(response: httpx.Response) -> dict[str, list[str]]:
    """The ``errors`` of a 422 ``validation_error``, each field with at least one message."""
    body = error(response, 422, "validation_error")
    fields = body["errors"]
    assert isinstance(fields, dict), body
    for name, messages in fields.items():
        assert isinstance(messages, list), (name, messages)
        assert messages, name
        assert all(isinstance(m, str) and m for m in messages), (name, messages)
    return dict(fields)


def exact_json(response: httpx.Response) -> Any:
    """The body with every JSON number that has a fraction read as an exact Decimal."""
    return json.loads(response.text, parse_float=Decimal)


def today() -> date:
    return datetime.now(UTC).date()


def day(offset: int) -> str:
    """Today (UTC) plus ``offset`` days, as the API writes dates."""
    return (today() + timedelta(days=offset)).isoformat()


def parse_timestamp(value: str) -> datetime:
    """An API timestamp: ISO 8601 in UTC with a ``Z``."""
    assert value.endswith("Z"), value
    return datetime.fromisoformat(value.removesuffix("Z") + "+00:00")


async def force_invoice(services: Services, invoice_id: int, **values: Any) -> None:
    """Write an invoice's stored columns directly (states no endpoint can reach yet)."""
    async with services.db.write_sessions.begin() as session:
        await session.execute(update(Invoice).where(col(Invoice.id) == invoice_id).values(**values))


async def mark_paid(services: Services, invoice: dict[str, Any]) -> None:
    total = Decimal(str(invoice["total"]))
    await force_invoice(
        services, invoice["id"], status="paid", amount_paid=total, paid_at=datetime.now(UTC)
    )


async def mark_partial(services: Services, invoice: dict[str, Any], paid: str = "100.00") -> None:
    await force_invoice(services, invoice["id"], status="partial", amount_paid=Decimal(paid))
