"""Products and services, and atomic stock adjustments with a movement history."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, StrictBool, field_validator
from sqlalchemy import BigInteger, Select, bindparam, cast, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from invoiceflow.core.errors import InvalidState, NotFound, ValidationFailed
from invoiceflow.core.principal import Principal, require_writer
from invoiceflow.models import Product, StockMovement
from invoiceflow.models.sql import (
    grouped_by,
    in_team,
    is_postgres,
    live_in_team,
    newest_of_each,
    one_of_bound,
)
from invoiceflow.models.types import utcnow
from invoiceflow.resolvers import events
from invoiceflow.resolvers.pagination import Page, like_pattern, matches_search, paginate
from invoiceflow.resolvers.validation import (
    MAX_INT,
    NOT_BLANK,
    Input,
    Price,
    TaxRate,
    not_bool,
    not_null,
    parse,
    sent_fields,
)

TYPES = ("product", "service")
MAX_STOCK = MAX_INT + 1  # stock counts are INTEGER columns
Stock = Annotated[int, Field(ge=0, lt=MAX_STOCK), BeforeValidator(not_bool)]


class ProductFields(Input):
    description: str | None = Field(default=None, max_length=10_000)
    sku: str | None = Field(default=None, max_length=100)
    price: Price | None = None
    unit: str | None = Field(default=None, max_length=50)
    active: StrictBool | None = None
    tax_rate: TaxRate | None = None


class ProductCreate(ProductFields):
    # create_product's rule, for the OpenAPI document: a service has no stock.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"type": {"const": "service"}}, "required": ["type"]},
            "then": {"properties": {"stock_quantity": {"enum": [None, 0]}}},
        }
    )
    type: Literal["product", "service"] = "product"
    name: str = Field(min_length=1, max_length=255, json_schema_extra={"pattern": NOT_BLANK})
    stock_quantity: Stock | None = None


class ProductUpdate(ProductFields):
    name: str | None = Field(
        default=None, min_length=1, max_length=255, json_schema_extra=not_null(pattern=NOT_BLANK)
    )
    price: Price | None = Field(default=None, json_schema_extra=not_null())
    active: StrictBool | None = Field(default=None, json_schema_extra=not_null())


class StockAdjustment(Input):
    adjustment: int = Field(gt=-MAX_STOCK, lt=MAX_STOCK, json_schema_extra={"not": {"const": 0}})
    reason: str | None = Field(default=None, max_length=500)

    @field_validator("adjustment", mode="before")
    @classmethod
    def _not_a_boolean(cls, value: Any) -> Any:
        # pydantic's lax int takes true/false as 1/0; a JSON boolean is no stock count.
        if isinstance(value, bool):
            raise ValueError("Must be an integer.")
        return value

    @field_validator("adjustment")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("Must not be zero.")
        return value


def _visible(principal: Principal) -> Any:
    """The team's live products, the team inlined: for the stock UPDATE, where a parameter
    may not be named as a column (``principal.live_in_team`` binds ``team_id``)."""
    return (col(Product.team_id) == principal.team_id) & col(Product.deleted_at).is_(None)


async def list_products(
    *,
    session: AsyncSession,
    principal: Principal,
    search: str | None = None,
    type: str | None = None,
    active: bool | None = None,
    page: int | None = None,
    per_page: int | None = None,
    count: bool = True,
) -> Page[Product]:
    """Newest first; ``search`` matches name, SKU or description."""
    if type is not None and type not in TYPES:
        raise ValidationFailed.on("type", "Must be product or service.")
    params: dict[str, Any] = {"team_id": principal.team_id, "type": type, "active": active}
    if search:
        params["pattern"] = like_pattern(search)
    stmt = _list_statement(type is not None, active is not None, bool(search))
    return await paginate(session, stmt, page=page, per_page=per_page, count=count, params=params)


@functools.lru_cache(maxsize=16)
def _list_statement(by_type: bool, by_active: bool, search: bool) -> Select[Any]:
    """Built once for each combination of filters; bound with ``team_id``, and ``type``,
    ``active`` and ``pattern`` where they apply."""
    stmt = select(Product).where(*live_in_team(Product)).order_by(col(Product.id).desc())
    if by_type:
        stmt = stmt.where(col(Product.type) == bindparam("type"))
    if by_active:
        stmt = stmt.where(col(Product.active) == bindparam("active"))
    if search:
        stmt = stmt.where(
            matches_search(col(Product.name), col(Product.sku), col(Product.description))
        )
    return stmt


async def find_product(
    *, session: AsyncSession, principal: Principal, product_id: int
) -> Product | None:
    params = {"team_id": principal.team_id, "product_id": product_id}
    return (await session.execute(_find_statement(), params)).scalar_one_or_none()


@functools.cache
def _find_statement() -> Select[Product]:
    return select(Product).where(*live_in_team(Product), col(Product.id) == bindparam("product_id"))


async def get_product(*, session: AsyncSession, principal: Principal, product_id: int) -> Product:
    product = await find_product(session=session, principal=principal, product_id=product_id)
    if product is None:
        raise NotFound("Product not found.")
    return product


async def create_product(*, session: AsyncSession, principal: Principal, data: Any) -> Product:
    """A product (with stock, default 0) or a service (no stock)."""
    require_writer(principal)
    payload = parse(ProductCreate, data)
    if payload.type == "service" and payload.stock_quantity:
        raise ValidationFailed.on("stock_quantity", "A service has no stock.")
    fields = payload.model_dump(exclude_none=True)
    if payload.type == "product":
        fields["stock_quantity"] = payload.stock_quantity or 0
    else:
        fields.pop("stock_quantity", None)  # a service has none, not a stock of 0
    product = Product(team_id=principal.team_id, **fields)
    session.add(product)
    await session.flush()
    if product.stock_quantity:
        session.add(_movement(principal, product, product.stock_quantity, "Initial stock"))
        await session.flush()
    # Read back the stored values (prices at their 4 places), so the answer is what a read shows.
    await session.refresh(product)
    events.record(session, "product.created", product)
    return product


async def update_product(
    *, session: AsyncSession, principal: Principal, product_id: int, data: Any
) -> Product:
    """Change the fields sent. Stock changes only through adjust-stock."""
    require_writer(principal)
    product = await get_product(session=session, principal=principal, product_id=product_id)
    changes = sent_fields(parse(ProductUpdate, data))
    before = events.snapshot(product)
    for name in ("name", "price", "active"):
        if name in changes and changes[name] is None:
            raise ValidationFailed.on(name, f"The {name} field cannot be null.")
    for name, value in changes.items():
        setattr(product, name, value)
    product.updated_at = utcnow()
    await session.flush()
    await session.refresh(product)  # the stored values, as for create
    events.record(session, "product.updated", product, before=before)
    return product


async def delete_product(
    *, session: AsyncSession, principal: Principal, product_id: int
) -> Product:
    """Soft delete: lines that name the product keep their own copy of its details."""
    require_writer(principal)
    product = await get_product(session=session, principal=principal, product_id=product_id)
    product.deleted_at = utcnow()
    await session.flush()
    events.record(session, "product.deleted", product)
    return product


async def adjust_stock(
    *, session: AsyncSession, principal: Principal, product_id: int, data: Any
) -> Product:
    """Add ``adjustment`` (negative to take away) to a product's stock, never below zero.

    One conditional UPDATE does the check and the change together, so concurrent
    adjustments can neither lose an update nor take the stock negative.
    """
    require_writer(principal)
    payload = parse(StockAdjustment, data)
    stock = col(Product.stock_quantity)
    result = await session.execute(
        update(Product)
        .where(
            _visible(principal),
            col(Product.id) == product_id,
            col(Product.type) == "product",
            # Summed as BIGINT: two INTEGERs near the top would overflow on PostgreSQL.
            cast(stock, BigInteger) + payload.adjustment >= 0,
            cast(stock, BigInteger) + payload.adjustment < MAX_STOCK,
        )
        .values(stock_quantity=stock + payload.adjustment, updated_at=utcnow())
        .returning(stock)
        .execution_options(synchronize_session=False)
    )
    after = result.scalar_one_or_none()
    if after is None:
        current = await get_product(session=session, principal=principal, product_id=product_id)
        if current.type != "product":
            raise InvalidState("A service has no stock to adjust.")
        if payload.adjustment > 0:
            raise ValidationFailed.on("adjustment", f"The stock cannot go above {MAX_STOCK - 1}.")
        raise ValidationFailed.on(
            "adjustment", f"Only {current.stock_quantity} in stock: the stock cannot go below zero."
        )
    # The UPDATE above proved the product is the team's; reload it past the identity map.
    product = await session.get(Product, product_id, populate_existing=True)
    assert product is not None
    session.add(_movement(principal, product, payload.adjustment, payload.reason, after))
    await session.flush()
    before = events.snapshot(product) | {"stock_quantity": after - payload.adjustment}
    events.record(session, "product.stock_adjusted", product, before=before)
    return product


def _movement(
    principal: Principal,
    product: Product,
    adjustment: int,
    reason: str | None,
    after: int | None = None,
) -> StockMovement:
    assert product.id is not None
    return StockMovement(
        team_id=principal.team_id,
        product_id=product.id,
        user_id=principal.user_id,
        adjustment=adjustment,
        reason=reason,
        quantity_after=after if after is not None else product.stock_quantity or 0,
    )


# --- batch reads for the dataloaders ---------------------------------------------------------


async def products_by_ids(
    *, session: AsyncSession, principal: Principal, ids: Sequence[int]
) -> list[Product | None]:
    """Products by id, deleted ones included (old lines still name them)."""
    stmt = _by_ids_statement(is_postgres(session))
    params = {"team_id": principal.team_id, "ids": [int(i) for i in ids]}
    found = {p.id: p for p in (await session.execute(stmt, params)).scalars()}
    return [found.get(i) for i in ids]


@functools.cache
def _by_ids_statement(postgres: bool) -> Select[Product]:
    """Built once per database kind; bound with ``team_id`` and ``ids``."""
    return select(Product).where(
        in_team(Product), one_of_bound(col(Product.id), "ids", postgres=postgres)
    )


async def movements_by_product_ids(
    *, session: AsyncSession, principal: Principal, ids: Sequence[int], limit: int | None = None
) -> list[list[StockMovement]]:
    """Each product's stock movements, newest first (the ``limit`` newest when given)."""
    stmt = _movements_statement(is_postgres(session), limit is not None)
    params: dict[str, Any] = {"team_id": principal.team_id, "ids": [int(i) for i in ids]}
    if limit is not None:
        params["first"] = limit
    return grouped_by(ids, (await session.execute(stmt, params)).scalars(), "product_id")


@functools.cache
def _movements_statement(postgres: bool, limited: bool) -> Select[StockMovement]:
    """Built once per database kind; bound with ``team_id``, ``ids`` (and ``first``)."""
    stmt = (
        select(StockMovement)
        .where(
            in_team(StockMovement),
            one_of_bound(col(StockMovement.product_id), "ids", postgres=postgres),
        )
        .order_by(col(StockMovement.id).desc())
    )
    return (
        newest_of_each(stmt, col(StockMovement.id), col(StockMovement.product_id))
        if limited
        else stmt
    )
