"""Timestamps are stored in UTC and read back timezone-aware in UTC, on both backends, by
the quick read path and by the general one it falls back to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import Column, Integer, MetaData, Table, select, text

from invoiceflow.models.types import UTCDateTime
from invoiceflow.services import Services

EAST = timezone(timedelta(hours=5, minutes=30))


async def test_timestamps_come_back_aware_in_utc(services: Services) -> None:
    table = Table(
        "timestamp_probe",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime()),
    )
    written = {
        1: datetime(2026, 11, 30, 21, 2, 6, 123456, tzinfo=UTC),
        2: datetime(2026, 11, 30, 21, 2, 6, tzinfo=UTC),  # no fraction
        3: datetime(2026, 12, 1, 2, 32, 6, 500000, tzinfo=EAST),  # another offset
        4: datetime(2026, 11, 30, 21, 2, 6),  # naive: taken as UTC
        5: None,
    }
    async with services.db.engine.begin() as conn:
        await conn.run_sync(table.create)
        try:
            await conn.execute(table.insert(), [{"id": k, "at": v} for k, v in written.items()])
            if conn.dialect.name == "sqlite":  # text another writer might have left
                await conn.execute(
                    text("INSERT INTO timestamp_probe VALUES (6, '2026-11-30T21:02:06+00:00')")
                )
            rows = dict((await conn.execute(select(table.c.id, table.c.at))).all())
        finally:
            await conn.run_sync(table.drop)
    expected = {
        1: datetime(2026, 11, 30, 21, 2, 6, 123456, tzinfo=UTC),
        2: datetime(2026, 11, 30, 21, 2, 6, tzinfo=UTC),
        3: datetime(2026, 11, 30, 21, 2, 6, 500000, tzinfo=UTC),
        4: datetime(2026, 11, 30, 21, 2, 6, tzinfo=UTC),
        5: None,
    }
    if 6 in rows:
        expected[6] = datetime(2026, 11, 30, 21, 2, 6, tzinfo=UTC)
    assert rows == expected
    for value in rows.values():
        assert value is None or value.utcoffset() == timedelta(0)
