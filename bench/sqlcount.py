"""SQL statements per request, counted in-process for one request of each case (after one
warm-up request of the same case), for the product and for the baseline.

"SQL" counts statements as tests/test_statement_budget.py does (BEGIN, COMMIT, ROLLBACK and
savepoints apart). "Trips" counts every round trip to the database the request causes:
statements, transaction control, and on PostgreSQL the product's pool pre-ping (SQLAlchemy's
asyncpg ping is BEGIN; ";"; ROLLBACK on every checkout), which no statement hook sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import event

from bench import baseline
from bench.cases import Case, send
from bench.servers import RATE_LIMIT
from invoiceflow.app import create_app
from invoiceflow.services import Services
from invoiceflow.settings import Settings

CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
ASYNCPG_PING_TRIPS = 3


@dataclass(frozen=True)
class Count:
    sql: int
    trips: int
    statements: list[str]


class EngineCounter:
    """Listens on the product's engine."""

    def __init__(self, services: Services) -> None:
        engine = services.db.engine.sync_engine
        self.postgres = engine.dialect.name == "postgresql"
        self.pings = bool(getattr(engine.pool, "_pre_ping", False)) and self.postgres
        self.reset()
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "commit", self._control)
        event.listen(engine, "rollback", self._control)
        event.listen(engine, "checkout", self._checkout)

    def reset(self) -> None:
        self.sql: list[str] = []
        self.trips = 0

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.trips += 1
        head = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        if head not in CONTROL:
            self.sql.append(" ".join(statement.split()))

    def _begin(self, conn: Any) -> None:
        # On SQLite the BEGIN is sent in the hop of the first statement (sqlite_onetrip):
        # no trip of its own. On PostgreSQL reads run in autocommit: no BEGIN at all.
        if self.postgres and not _autocommit(conn):
            self.trips += 1

    def _control(self, conn: Any) -> None:
        if not _autocommit(conn):
            self.trips += 1

    def _checkout(self, *_args: Any) -> None:
        if self.pings:
            self.trips += ASYNCPG_PING_TRIPS

    def count(self) -> Count:
        return Count(sql=len(self.sql), trips=self.trips, statements=list(self.sql))


def _autocommit(conn: Any) -> bool:
    return bool(conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT")


def _check(case: Case, response: httpx.Response, who: str) -> None:
    if not 200 <= response.status_code < 300:
        raise RuntimeError(f"{who} {case.name}: {response.status_code} {response.text[:300]}")


async def count_product(url: str, cases: list[Case], key: str) -> dict[str, Count]:
    settings = Settings(database_url=url, rate_limit=RATE_LIMIT, log_level="WARNING")
    services = Services.from_settings(settings)
    counter = EngineCounter(services)
    app = create_app(services=services)
    counts: dict[str, Count] = {}
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for case in cases:
                _check(case, await send(client, case, key), "product")  # warm-up
                counter.reset()
                _check(case, await send(client, case, key), "product")
                counts[case.name] = counter.count()
    finally:
        await services.db.dispose()
    return counts


async def count_baseline(url: str, cases: list[Case], key: str) -> dict[str, Count]:
    app = baseline.create_app(url)
    db = app.state.db
    counts: dict[str, Count] = {}
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for case in cases:
                _check(case, await send(client, case, key), "baseline")  # warm-up
                before = (db.statements, db.trips)
                _check(case, await send(client, case, key), "baseline")
                counts[case.name] = Count(
                    sql=db.statements - before[0], trips=db.trips - before[1], statements=[]
                )
    finally:
        await db.close()
    return counts
