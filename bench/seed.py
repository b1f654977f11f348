"""Seed a fresh database for the benchmark: one team, 1,000 customers, N invoices of 3 lines.

Bulk inserts with SQLAlchemy Core (after ``invoiceflow.migrate.upgrade``), in chunks, with
explicit ids so the lines can name their invoice; PostgreSQL's id sequences are moved past
them afterwards so the product's own inserts keep working. The data are deterministic
(a fixed random seed, dates relative to today) and cover every stored status, overdue
invoices, non-ASCII and quoted names, fractional quantities and prices, and microseconds in
the timestamps (which both APIs must drop).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from invoiceflow import migrate
from invoiceflow.db import make_engine
from invoiceflow.models import (
    ApiKey,
    Customer,
    Invoice,
    InvoiceItem,
    Membership,
    Payment,
    Team,
    User,
)
from invoiceflow.resolvers.api_keys import new_key

PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
CHUNK = 5_000
CENT = Decimal("0.01")
STATUSES = ("draft", "sent", "sent", "partial", "paid", "paid", "cancelled")
QUANTITIES = tuple(Decimal(q) for q in ("1", "2", "3", "0.5", "1.25", "10"))
PRICES = tuple(Decimal(p) for p in ("150", "99.99", "1200", "12.5", "0.3333", "49"))
RATES = tuple(Decimal(r) for r in ("0", "10", "20", "7.5"))
SEQUENCED = ("teams", "users", "memberships", "api_keys", "customers", "invoices", "invoice_items")
NAMES = ("Acme", "Müller & Söhne", 'The "Quoted" Co', "Ωmega Ltd", "北京贸易", "O'Brien")


@dataclass(frozen=True)
class Seeded:
    """What the bench needs to know about a seeded database."""

    url: str
    key: str
    team_id: int
    invoices: int
    customers: int
    seconds: float


def table(model: Any) -> Any:
    return model.__table__


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _customers(team_id: int, count: int, now: datetime) -> list[dict[str, Any]]:
    rows = []
    for n in range(1, count + 1):
        rows.append(
            {
                "id": n,
                "team_id": team_id,
                "company_name": f"{NAMES[n % len(NAMES)]} {n:04d}",
                "contact_name": f"Contact {n}" if n % 3 else None,
                "email": f"billing{n}@example.com" if n % 4 else None,
                "currency": "USD" if n % 10 else "EUR",
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


Rows = list[dict[str, Any]]


def _invoice_chunk(
    rng: random.Random, team_id: int, first: int, last: int, customers: int, today: date
) -> tuple[Rows, Rows, Rows]:
    invoices: Rows = []
    items: Rows = []
    payments: Rows = []
    for n in range(first, last + 1):
        issue = today - timedelta(days=rng.randrange(0, 400))
        subtotal = tax = Decimal("0.00")
        for position in range(3):
            quantity, price = rng.choice(QUANTITIES), rng.choice(PRICES)
            rate = rng.choice(RATES)
            amount = _money(quantity * price)
            line_tax = _money(amount * rate / 100)
            subtotal, tax = subtotal + amount, tax + line_tax
            items.append(
                {
                    "id": (n - 1) * 3 + position + 1,
                    "invoice_id": n,
                    "position": position,
                    "product_id": None,
                    "description": f"Consulting, phase {position + 1} — invoice {n}",
                    "quantity": quantity,
                    "unit_price": price,
                    "tax_rate": rate,
                    "amount": amount,
                    "tax_amount": line_tax,
                }
            )
        total = subtotal + tax
        status = rng.choice(STATUSES)
        paid = {"paid": total, "partial": _money(total / 2)}.get(status, Decimal("0.00"))
        created = datetime.combine(issue, datetime.min.time(), UTC) + timedelta(
            seconds=rng.randrange(86_400), microseconds=rng.randrange(1, 1_000_000)
        )
        invoices.append(
            {
                "id": n,
                "team_id": team_id,
                "customer_id": rng.randrange(1, customers + 1),
                "number": n,
                "invoice_number": f"INV-{n:04d}",
                "status": status,
                "currency": "USD",
                "issue_date": issue,
                "due_date": issue + timedelta(days=30),
                "notes": None if n % 5 else f"Thanks for your business ({n}).",
                "subtotal": subtotal,
                "tax": tax,
                "total": total,
                "amount_paid": paid,
                "sent_at": created if status != "draft" else None,
                "paid_at": created if status == "paid" else None,
                "created_at": created,
                "updated_at": created,
            }
        )
        if paid:
            payments.append(
                {
                    "team_id": team_id,
                    "invoice_id": n,
                    "amount": paid,
                    "paid_at": issue + timedelta(days=10),
                    "method": "bank_transfer",
                    "reference": f"REF-{n}",
                    "recorded_by": 1,
                    "created_at": created + timedelta(days=10),
                }
            )
    return invoices, items, payments


async def _bulk(conn: AsyncConnection, model: Any, rows: Rows) -> None:
    """Insert many rows: a Core executemany on SQLite, COPY on PostgreSQL (several times faster
    there, which matters for --invoices 1000000)."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        await conn.execute(table(model).insert(), rows)
        return
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None
    # COPY is binary; the product's engine reads NUMERIC as text (db._numeric_as_text)
    await raw.reset_type_codec("numeric", schema="pg_catalog")
    columns = list(rows[0])
    records = [tuple(row[c] for c in columns) for row in rows]
    await raw.copy_records_to_table(model.__tablename__, records=records, columns=columns)


async def seed(url: str, *, invoices: int = 10_000, customers: int = 1_000) -> Seeded:
    """Migrate ``url`` (a fresh database) and fill it; returns the plain API key."""
    started = time.perf_counter()
    await asyncio.to_thread(migrate.upgrade, url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    today = now.date()
    rng = random.Random(20260101)
    plain, prefix, digest = new_key()
    try:
        async with engine.begin() as conn:
            await conn.execute(
                table(Team).insert(),
                {
                    "id": 1,
                    "name": "Bench Team",
                    "plan_name": "Free",
                    "currency": "USD",
                    "payment_terms_days": 30,
                    "invoice_seq": invoices,
                    "live_invoices": 0,  # each invoice's insert counts itself (0010)
                    "estimate_seq": 0,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            await conn.execute(
                table(User).insert(),
                {"id": 1, "email": "bench@example.com", "name": "Bench", "current_team_id": 1},
            )
            await conn.execute(
                table(Membership).insert(),
                {"id": 1, "team_id": 1, "user_id": 1, "role": "admin", "is_owner": True},
            )
            await conn.execute(
                table(ApiKey).insert(),
                {
                    "id": 1,
                    "user_id": 1,
                    "name": "bench",
                    "prefix": prefix,
                    "key_hash": digest,
                    "created_at": now,
                    # Fresh, so the product's once-a-minute "last used" write stays out of the way.
                    "last_used_at": now,
                },
            )
            await conn.execute(table(Customer).insert(), _customers(1, customers, now))
        for first in range(1, invoices + 1, CHUNK):
            last = min(invoices, first + CHUNK - 1)
            rows, lines, paid = _invoice_chunk(rng, 1, first, last, customers, today)
            async with engine.begin() as conn:
                await _bulk(conn, Invoice, rows)
                await _bulk(conn, InvoiceItem, lines)
                await _bulk(conn, Payment, paid)
        if not url.startswith("sqlite"):
            async with engine.begin() as conn:
                # Explicit ids do not move PostgreSQL's sequences: move them past the rows.
                for name in SEQUENCED:
                    await conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                            f"(SELECT coalesce(max(id), 1) FROM {name}))"
                        )
                    )
                await conn.execute(text("ANALYZE"))
        else:
            async with engine.connect() as conn:
                await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return Seeded(
        url=url,
        key=plain,
        team_id=1,
        invoices=invoices,
        customers=customers,
        seconds=time.perf_counter() - started,
    )


async def create_pg_database(admin_dsn: str = PG_ADMIN_DSN) -> str:
    """A fresh, empty ``invoiceflow_bench_<random>`` database; returns its async URL."""
    name = f"invoiceflow_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin_dsn, timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{name}"


async def drop_pg_database(url: str, admin_dsn: str = PG_ADMIN_DSN) -> None:
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(admin_dsn, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
