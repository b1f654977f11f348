"""Column types that keep money exact and timestamps in UTC on every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class Money(TypeDecorator[Decimal]):
    """An exact decimal with a fixed number of places.

    PostgreSQL stores it as NUMERIC. SQLite has no exact decimal type (its NUMERIC affinity
    is a float), so there the value is kept as a scaled integer: sums and comparisons in SQL
    stay exact, and reads come back as ``Decimal``.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, scale: int = 2, precision: int = 18) -> None:
        super().__init__()
        self.scale = scale
        self.precision = precision
        self._quantum = Decimal(1).scaleb(-scale)

    def __repr__(self) -> str:  # rendered into migrations as written here
        return f"Money(scale={self.scale}, precision={self.precision})"

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def stored(self, value: Any) -> Decimal | None:
        """``value`` as this column stores it and reads it back (at its scale)."""
        return None if value is None else Decimal(value).quantize(self._quantum)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        exact = self.stored(value)
        if exact is None:
            return None
        if dialect.name == "sqlite":
            return int(exact.scaleb(self.scale))
        return exact

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        """Reads back a ``Decimal`` at this scale. Built once per dialect (in place of
        ``process_result_value``, which would test the dialect on every value): lists read
        thousands of amounts."""
        quantum = self._quantum
        if dialect.name == "sqlite":

            def from_scaled(value: Any) -> Decimal | None:
                # An integer count of the smallest unit, times that unit: exact, at the
                # column's scale (and quicker than scaleb).
                return None if value is None else Decimal(value) * quantum

            return from_scaled
        impl = self.load_dialect_impl(dialect).result_processor(dialect, coltype)

        def from_numeric(value: Any) -> Decimal | None:
            if value is None:
                return None
            if impl is not None:
                value = impl(value)
            return (value if type(value) is Decimal else Decimal(value)).quantize(quantum)

        return from_numeric


class StoredMoney(Money):
    """Money read straight from a column of its own type, for lean reads of plain columns.

    PostgreSQL hands back every value of a NUMERIC(p, s) column at exactly scale s, and
    asyncpg reads it as a ``Decimal`` of that scale: the quantize ``Money`` does per value
    (some 2,000 of them in a GraphQL list of 100 invoices with their lines) changes nothing
    there. An expression (a sum, a difference, a coalesce) has no declared scale and keeps
    ``Money``. On SQLite the stored value is a scaled integer and is read as ``Money`` reads it.
    """

    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        if dialect.name == "sqlite":
            return super().result_processor(dialect, coltype)
        return self.load_dialect_impl(dialect).result_processor(dialect, coltype)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        """The read path, quick for what the database hands back: on SQLite the text
        SQLAlchemy stored (naive UTC) parsed as UTC in one call, about 0.1 us where parsing
        and then ``replace(tzinfo=UTC)`` took 0.9; on PostgreSQL a value already in UTC as
        it is. Anything else takes the general path above."""
        general = super().result_processor(dialect, coltype)
        assert general is not None
        if dialect.name == "sqlite":
            parse = datetime.fromisoformat

            def from_text(value: Any) -> datetime | None:
                if value is None:
                    return None
                try:
                    return parse(value + "+00:00")
                except (TypeError, ValueError):  # not naive text: an offset, or no text
                    return general(value)

            return from_text

        def in_utc(value: Any) -> datetime | None:
            if value is None or value.tzinfo is UTC:
                return value
            return general(value)

        return in_utc


def utcnow() -> datetime:
    return datetime.now(UTC)
