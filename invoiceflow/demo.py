"""Demo data for a first run: a team with customers, a catalog, estimates and invoices in
every status. Made through the resolvers, so the demo obeys the same rules as the API."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from invoiceflow.core.principal import Principal
from invoiceflow.models import Customer, Membership, User
from invoiceflow.resolvers import customers, estimates, invoices, payments, products
from invoiceflow.resolvers.api_keys import key_is_active, provision

DEMO_EMAIL = "demo@example.com"
DEMO_TEAM = "My Company"

CUSTOMERS: list[dict[str, Any]] = [
    {
        "company_name": "Acme Corp",
        "contact_name": "John Doe",
        "email": "john@acme.example",
        "phone": "+1 555-0100",
        "city": "Springfield",
        "country": "US",
    },
    {
        "company_name": "Müller & Söhne GmbH",
        "contact_name": "Jürgen Müller",
        "email": "j.mueller@mueller.example",
        "city": "München",
        "country": "DE",
        "currency": "EUR",
    },
    {
        "company_name": "Ёлка и Партнёры ООО",
        "contact_name": "Иван Петров",
        "email": "ivan@elka.example",
        "city": "Москва",
        "country": "RU",
        "currency": "EUR",
    },
    {
        "company_name": "東京デザイン株式会社",
        "contact_name": "山田 太郎",
        "email": "yamada@tokyo-design.example",
        "city": "東京",
        "country": "JP",
        "currency": "JPY",
    },
    {
        "company_name": "Café Olé SARL",
        "contact_name": "Amélie Dubois",
        "email": "amelie@cafe-ole.example",
        "city": "Lyon",
        "country": "FR",
        "currency": "EUR",
    },
]

PRODUCTS: list[dict[str, Any]] = [
    {"type": "service", "name": "Web Development", "price": "150.00", "unit": "hour"},
    {
        "type": "service",
        "name": "Design Review",
        "price": "95.00",
        "unit": "hour",
        "tax_rate": "8.25",
    },
    {
        "type": "product",
        "name": "USB-C Dock",
        "sku": "DOCK-01",
        "price": "129.90",
        "stock_quantity": 25,
        "tax_rate": "8.25",
    },
    {
        "type": "product",
        "name": "Ergonomic Keyboard",
        "sku": "KB-02",
        "price": "89.50",
        "stock_quantity": 40,
        "tax_rate": "8.25",
    },
    {
        "type": "product",
        "name": "Monitor Arm",
        "sku": "ARM-03",
        "price": "59.00",
        "stock_quantity": 3,
        "active": False,
    },
]


async def ensure_demo(session: AsyncSession, kept_key: str | None) -> tuple[str, bool]:
    """The demo team, seeded once, and a working key: (key, whether data was created now)."""
    plain = kept_key if kept_key and await key_is_active(session, kept_key) else None
    if plain is None:
        _user, _team, plain = await provision(
            session=session, email=DEMO_EMAIL, team_name=DEMO_TEAM, key_name="demo"
        )
    principal = await _demo_principal(session)
    count = await session.scalar(
        select(func.count()).select_from(Customer).where(col(Customer.team_id) == principal.team_id)
    )
    if count:
        return plain, False
    await seed(session, principal)
    return plain, True


async def _demo_principal(session: AsyncSession) -> Principal:
    user = await session.scalar(select(User).where(col(User.email) == DEMO_EMAIL))
    assert user is not None and user.id is not None and user.current_team_id is not None
    membership = await session.scalar(
        select(Membership).where(
            col(Membership.user_id) == user.id, col(Membership.team_id) == user.current_team_id
        )
    )
    assert membership is not None
    return Principal(
        user_id=user.id,
        team_id=user.current_team_id,
        role=membership.role,
        is_owner=membership.is_owner,
    )


async def seed(session: AsyncSession, principal: Principal) -> None:
    """Customers, a catalog, estimates in each status and invoices in each status."""
    ctx: dict[str, Any] = {"session": session, "principal": principal}
    people = [await customers.create_customer(**ctx, data=data) for data in CUSTOMERS]
    catalog = [await products.create_product(**ctx, data=data) for data in PRODUCTS]
    web, design, dock, keyboard = (p.id for p in catalog[:4])
    assert dock is not None  # flushed on create
    await products.adjust_stock(
        **ctx, product_id=dock, data={"adjustment": -2, "reason": "Sold to Acme Corp"}
    )
    today = invoices.today()

    def day(offset: int) -> str:
        return (today + timedelta(days=offset)).isoformat()

    async def invoice(
        who: int, lines: list[dict[str, Any]], issued: int, due: int, **extra: Any
    ) -> Any:
        data = {
            "customer_id": people[who].id,
            "items": lines,
            "issue_date": day(issued),
            "due_date": day(due),
            **extra,
        }
        return await invoices.create_invoice(**ctx, data=data)

    async def send(created: Any) -> None:
        await invoices.update_invoice(**ctx, invoice_id=created.id, data={"status": "sent"})

    async def pay(created: Any, amount: Decimal, method: str) -> None:
        await payments.record_payment(
            **ctx,
            invoice_id=created.id,
            data={
                "amount": amount,
                "method": method,
                "reference": f"DEMO-{created.invoice_number}",
            },
        )

    # draft
    await invoice(0, [{"product_id": web, "quantity": 12}], -1, 29, notes="Sprint 42")
    # sent, due in the future
    sent = await invoice(
        1,
        [
            {"product_id": design, "quantity": 6},
            {"description": "Travel costs", "quantity": 1, "unit_price": "240"},
        ],
        -5,
        25,
    )
    await send(sent)
    # overdue: sent, due date passed
    overdue = await invoice(2, [{"product_id": web, "quantity": 8}], -45, -15, notes="Спасибо!")
    await send(overdue)
    # partial
    partial = await invoice(
        0, [{"product_id": dock, "quantity": 2}, {"product_id": keyboard, "quantity": 4}], -20, 10
    )
    await send(partial)
    await pay(partial, Decimal("200.00"), "bank_transfer")
    # paid
    paid = await invoice(
        3, [{"description": "ロゴデザイン", "quantity": 1, "unit_price": "180000"}], -30, 0
    )
    await send(paid)
    await pay(paid, paid.total, "card")
    # cancelled
    cancelled = await invoice(4, [{"product_id": web, "quantity": 2}], -10, 20)
    await invoices.cancel_invoice(**ctx, invoice_id=cancelled.id)

    # estimates: draft, sent, approved, rejected, converted
    lines = [{"product_id": web, "quantity": 20}, {"product_id": design, "quantity": 4}]
    for who, status in ((0, None), (1, "sent"), (4, "approved"), (2, "rejected"), (0, "approved")):
        created = await estimates.create_estimate(
            **ctx, data={"customer_id": people[who].id, "items": lines, "expiry_date": day(30)}
        )
        assert created.id is not None  # flushed on create
        if status:
            await estimates.update_estimate(**ctx, estimate_id=created.id, data={"status": status})
    assert created.id is not None  # the last one created above
    await estimates.convert_estimate(**ctx, estimate_id=created.id)
