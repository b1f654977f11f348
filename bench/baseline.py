"""The raw baseline: a minimal Starlette app answering the bench's cases with hand-written SQL.

Same routes, same data, byte-identical JSON (orjson, same key order, same envelope) as the
product, and the same authentication work: the Bearer key's SHA-256 looked up in one SELECT
joining api_keys, users and memberships. No ORM, no GraphQL engine: the two GraphQL documents
the bench sends are recognised by their text.

Serve it with ``uvicorn --factory bench.baseline:create_app`` and BENCH_DATABASE_URL set
(a SQLAlchemy URL, as the product takes).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.baseline_queries import (
    AUTH,
    BUMP,
    COUNT,
    COUNT_SEARCH,
    CREATE_CUSTOMER,
    GQL_LINES,
    GQL_LIST,
    GQL_ONE,
    INSERT_INVOICE,
    LINE_COLUMNS,
    LINES,
    PAYMENTS,
    REST_LIST,
    REST_ONE,
    REST_SEARCH,
)
from bench.baseline_sql import Conn, Db, open_db

JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS
CENT = Decimal("0.01")
SELECTION = (
    "id invoiceNumber status total dueDate customer { id companyName } "
    "items { description quantity unitPrice }"
)
# A page of documents with their lines: 20 of up to 500 lines each is the most a GraphQL query
# may ask for (API.md §6, a cost of 10,000); until 2026-12-04 the case read 100.
GRAPHQL_PAGE = 20
GRAPHQL_LIST = f"{{ invoices(perPage: {GRAPHQL_PAGE}) {{ items {{ {SELECTION} }} }} }}"
GRAPHQL_ONE = "query Invoice($id: ID!) { invoice(id: $id) { " + SELECTION + " } }"
GRAPHQL_TYPENAME = "{ __typename }"


def json(payload: Any, status: int = 200) -> Response:
    return Response(
        orjson.dumps(payload, option=JSON_OPTIONS), status, media_type="application/json"
    )


def error(status: int, code: str, message: str) -> Response:
    return json({"success": False, "error": code, "message": message}, status)


class Unauthenticated(Exception):
    pass


async def authenticate(conn: Conn, db: Db, request: Request) -> Sequence[Any]:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated
    rows = await conn.fetch(db.sql(AUTH), hashlib.sha256(token.strip().encode()).hexdigest())
    if not rows:
        raise Unauthenticated
    return rows[0]


def summary(row: Sequence[Any]) -> dict[str, Any]:
    return {
        "id": row[0],
        "invoice_number": row[1],
        "status": row[2],
        "customer_id": row[3],
        "customer": None if row[4] is None else {"id": row[4], "name": row[5]},
        "subtotal": row[6],
        "tax": row[7],
        "total": row[8],
        "amount_paid": row[9],
        "balance_due": row[10],
        "currency": row[11],
        "issue_date": row[12],
        "due_date": row[13],
        "created_at": row[14],
    }


def line(row: Sequence[Any]) -> dict[str, Any]:
    keys = ("id", "product_id", "description", "quantity", "unit_price", "tax_rate", "amount")
    return {**dict(zip(keys, row, strict=False)), "tax": row[7]}


def payment(row: Sequence[Any]) -> dict[str, Any]:
    keys = ("id", "invoice_id", "amount", "paid_at", "method", "reference", "created_at")
    return dict(zip(keys, row, strict=True))


async def rest_list(request: Request) -> Response:
    db: Db = request.app.state.db
    try:
        page = int(request.query_params.get("page", 1))
        per_page = min(int(request.query_params.get("per_page", 15)), 100)
    except ValueError:
        return error(422, "validation_error", "page and per_page must be integers.")
    if page < 1 or per_page < 1:
        return error(422, "validation_error", "page and per_page must be 1 or more.")
    async with db.connection() as conn:
        try:
            principal = await authenticate(conn, db, request)
        except Unauthenticated:
            return error(401, "unauthenticated", "This API key is unknown or has been revoked.")
        team = principal[2]
        offset = (page - 1) * per_page
        search = request.query_params.get("search")
        if search:
            pattern = "%" + re.sub(r"([\\%_])", r"\\\1", search) + "%"
            rows = await conn.fetch(db.sql(REST_SEARCH), team, per_page, offset, pattern)
            total = (await conn.fetch(db.sql(COUNT_SEARCH), team, pattern))[0][0]
        else:
            rows = await conn.fetch(db.sql(REST_LIST), team, per_page, offset)
            total = (await conn.fetch(db.sql(COUNT), team))[0][0]
    meta = {
        "current_page": page,
        "per_page": per_page,
        "total": total,
        "last_page": max(1, -(-total // per_page)),
    }
    return json({"success": True, "data": [summary(r) for r in rows], "meta": meta})


async def rest_detail(conn: Conn, db: Db, team: int, invoice_id: int) -> dict[str, Any] | None:
    rows = await conn.fetch(db.sql(REST_ONE), team, invoice_id)
    if not rows:
        return None
    row = rows[0]
    found = summary(row)
    if found["customer"] is not None:
        found["customer"].update(company_name=row[5], contact_name=row[15], email=row[16])
    lines = await conn.fetch(db.sql(LINES), invoice_id)
    paid = await conn.fetch(db.sql(PAYMENTS), team, invoice_id)
    found["items"] = [line(r) for r in lines]
    found["payments"] = [payment(r) for r in paid]
    found["amount_overpaid"] = float(row[23])
    keys = ("notes", "payment_link_url", "estimate_id", "sent_at", "paid_at", "updated_at")
    found.update(zip(keys, row[17:23], strict=True))
    return found


async def rest_get(request: Request) -> Response:
    db: Db = request.app.state.db
    async with db.connection() as conn:
        try:
            principal = await authenticate(conn, db, request)
        except Unauthenticated:
            return error(401, "unauthenticated", "This API key is unknown or has been revoked.")
        found = await rest_detail(conn, db, principal[2], request.path_params["id"])
    if found is None:
        return error(404, "not_found", "Invoice not found.")
    return json({"success": True, "data": found})


def _exact(value: Any) -> Decimal:
    return Decimal(str(value)) if isinstance(value, float) else Decimal(value)


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


async def rest_create(request: Request) -> Response:
    db: Db = request.app.state.db
    try:
        body = orjson.loads(await request.body())
        customer_id = int(body["customer_id"])
        lines = []
        for item in body["items"]:
            quantity, price = _exact(item["quantity"]), _exact(item["unit_price"])
            rate = _exact(item.get("tax_rate", 0))
            amount = _money(quantity * price)
            lines.append((str(item["description"]), quantity, price, rate, amount))
    except (ValueError, KeyError, TypeError, InvalidOperation):
        return error(422, "validation_error", "The invoice is not valid.")
    if not lines:
        return error(422, "validation_error", "An invoice needs at least one line.")
    taxes = [_money(amount * rate / 100) for _, _, _, rate, amount in lines]
    subtotal = sum((ln[4] for ln in lines), Decimal("0.00"))
    tax = sum(taxes, Decimal("0.00"))
    async with db.transaction() as conn:
        try:
            principal = await authenticate(conn, db, request)
        except Unauthenticated:
            return error(401, "unauthenticated", "This API key is unknown or has been revoked.")
        if principal[3] == "viewer":
            return error(403, "forbidden", "A viewer cannot change anything.")
        team = principal[2]
        customers = await conn.fetch(db.sql(CREATE_CUSTOMER), team, customer_id)
        if not customers:
            return error(422, "validation_error", "No such customer in this team.")
        customer = customers[0]
        number, terms = (await conn.fetch(db.sql(BUMP), team))[0]
        now = datetime.now(UTC)
        issue = now.date()
        due = issue + timedelta(days=terms)
        currency = body.get("currency") or customer[4]
        money = [db.money(v, 2) for v in (subtotal, tax, subtotal + tax, Decimal("0.00"))]
        invoice_number = f"INV-{number:04d}"
        (invoice_id,) = (
            await conn.fetch(
                db.sql(INSERT_INVOICE),
                *(team, customer_id, number, invoice_number, currency),
                *(db.day(issue), db.day(due), body.get("notes"), *money, db.timestamp(now)),
            )
        )[0]
        values: list[str] = []
        args: list[Any] = []
        for position, (description, quantity, price, rate, amount) in enumerate(lines):
            first = len(args) + 1
            values.append("(" + ", ".join(f"${first + k}" for k in range(9)) + ")")
            args += [invoice_id, position, None, description, db.money(quantity, 4)]
            args += [db.money(price, 4), db.money(rate, 4), db.money(amount, 2)]
            args.append(db.money(taxes[position], 2))
        insert = (
            f"INSERT INTO invoice_items ({LINE_COLUMNS}) VALUES {', '.join(values)} RETURNING id"
        )
        line_ids = sorted(r[0] for r in await conn.fetch(db.sql(insert), *args))
    items = [
        {
            "id": line_id,
            "product_id": None,
            "description": description,
            "quantity": float(quantity),
            "unit_price": float(price),
            "tax_rate": float(rate),
            "amount": float(amount),
            "tax": float(line_tax),
        }
        for line_id, (description, quantity, price, rate, amount), line_tax in zip(
            line_ids, lines, taxes, strict=True
        )
    ]
    total = subtotal + tax
    data = {
        "id": invoice_id,
        "invoice_number": invoice_number,
        "status": "draft",
        "customer_id": customer_id,
        "customer": {
            "id": customer[0],
            "name": customer[1],
            "company_name": customer[1],
            "contact_name": customer[2],
            "email": customer[3],
        },
        "subtotal": float(subtotal),
        "tax": float(tax),
        "total": float(total),
        "amount_paid": 0.0,
        "balance_due": float(total),
        "currency": currency,
        "issue_date": issue,
        "due_date": due,
        "created_at": now,
        "items": items,
        "payments": [],
        "amount_overpaid": 0.0,
        "notes": body.get("notes"),
        "payment_link_url": None,
        "estimate_id": None,
        "sent_at": None,
        "paid_at": None,
        "updated_at": now,
    }
    return json({"success": True, "data": data, "message": "Invoice created"}, 201)


async def rest_invoices(request: Request) -> Response:
    return await (rest_create(request) if request.method == "POST" else rest_list(request))


async def graphql_invoices(
    conn: Conn, db: Db, team: int, sql: str, arg: int
) -> list[dict[str, Any]]:
    rows = await conn.fetch(db.sql(sql), team, arg)
    if not rows:
        return []
    grouped: dict[int, list[dict[str, Any]]] = {row[0]: [] for row in rows}
    ids = db.id_list(list(grouped))
    for invoice_id, description, quantity, unit_price in await conn.fetch(db.sql(GQL_LINES), ids):
        grouped[invoice_id].append(
            {"description": description, "quantity": quantity, "unitPrice": unit_price}
        )
    return [
        {
            "id": str(row[0]),
            "invoiceNumber": row[1],
            "status": row[2].upper(),
            "total": row[3],
            "dueDate": row[4],
            "customer": {"id": str(row[5]), "companyName": row[6]},
            "items": grouped[row[0]],
        }
        for row in rows
    ]


def _graphql_error(status: int, code: str, message: str) -> Response:
    body = {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(orjson.dumps(body), status, media_type="application/json")


async def graphql(request: Request) -> Response:
    db: Db = request.app.state.db
    try:
        sent = orjson.loads(await request.body())
        query, variables = sent["query"], sent.get("variables") or {}
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return _graphql_error(400, "BAD_REQUEST", "The request must carry a GraphQL document.")
    async with db.connection() as conn:
        try:
            principal = await authenticate(conn, db, request)
        except Unauthenticated:
            return _graphql_error(401, "UNAUTHENTICATED", "This API key is unknown or revoked.")
        team = principal[2]
        if query == GRAPHQL_TYPENAME:
            data: dict[str, Any] = {"__typename": "Query"}
        elif query == GRAPHQL_LIST:
            data = {
                "invoices": {
                    "items": await graphql_invoices(conn, db, team, GQL_LIST, GRAPHQL_PAGE)
                }
            }
        elif query == GRAPHQL_ONE:
            raw = str(variables.get("id", ""))
            found = (
                await graphql_invoices(conn, db, team, GQL_ONE, int(raw)) if raw.isdigit() else []
            )
            data = {"invoice": found[0] if found else None}
        else:
            return _graphql_error(
                400, "BAD_REQUEST", "The baseline knows only the bench's queries."
            )
    return Response(orjson.dumps({"data": data}), media_type="application/json")


def create_app(url: str | None = None) -> Starlette:
    db = open_db(url or os.environ["BENCH_DATABASE_URL"])

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await db.close()

    app = Starlette(
        routes=[
            Route("/api/v1/invoices", rest_invoices, methods=["GET", "POST"]),
            Route("/api/v1/invoices/{id:int}", rest_get),
            Route("/graphql", graphql, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
    app.state.db = db
    return app
