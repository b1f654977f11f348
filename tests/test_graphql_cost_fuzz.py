"""Generated read queries over a team of 50 customers with 20 invoices each (API.md §6): within
the limits, none runs longer than 2 s or answers more than 5 MB; past them, each is refused.

The queries come from the schema itself: at each object a random choice of its fields (every
scalar of the type more often than not, for the largest answers), lists nested in lists, and
the largest sizes (perPage 100, first 100) as often as small ones.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLObjectType, GraphQLSchema
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from invoiceflow.core.principal import Principal
from invoiceflow.schema import build_schema
from invoiceflow.schema.cost import named_type
from tests.conftest import KeyFactory
from tests.fuzz_support import FUZZ_BACKENDS
from tests.server_support import InProcess, module_database_url

CUSTOMERS, INVOICES_EACH = 50, 20
EXAMPLES = int(os.environ.get("COST_EXAMPLES", "40"))
MAX_SECONDS, MAX_BYTES = 2.0, 5 * 1024 * 1024
SCHEMA: GraphQLSchema = build_schema()._schema
LIMIT_CODES = {"QUERY_TOO_COMPLEX", "BAD_REQUEST"}  # cost; depth, aliases, tokens
# Root fields a read may start from, and the arguments each is given.
ROOTS = ("invoices", "customers", "estimates", "products", "invoice", "customer", "me")


class Team(InProcess):
    """The big team, served in process on one event loop kept across examples."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.key = self.run(self._seed())

    async def _seed(self) -> str:
        from invoiceflow.resolvers import customers, invoices, payments

        key = await KeyFactory(self.services, self.http).key("alice@a.example", "Team A")
        principal = Principal(user_id=1, team_id=1, role="admin", is_owner=True)
        async with self.services.db.write_sessions.begin() as session:
            for c in range(CUSTOMERS):
                customer = await customers.create_customer(
                    session=session,
                    principal=principal,
                    data={"company_name": f"Customer {c:02d}", "email": f"c{c}@x.example"},
                )
                for n in range(INVOICES_EACH):
                    lines = [
                        {"description": f"Line {i} " + "x" * 40, "quantity": i + 1,
                         "unit_price": "12.5", "tax_rate": 10}
                        for i in range(1 + n % 3)
                    ]  # fmt: skip
                    invoice = await invoices.create_invoice(
                        session=session,
                        principal=principal,
                        data={"customer_id": customer.id, "items": lines},
                    )
                    if n % 4 == 0:
                        await invoices.update_invoice(
                            session=session,
                            principal=principal,
                            invoice_id=invoice.id,
                            data={"status": "sent"},
                        )
                        await payments.record_payment(
                            session=session,
                            principal=principal,
                            invoice_id=invoice.id,
                            data={"amount": "1.00"},
                        )
        return key

    def ask(self, query: str) -> tuple[float, httpx.Response]:
        async def send() -> httpx.Response:
            return await self.http.post(
                "/graphql",
                json={"query": query},
                headers={"Authorization": f"Bearer {self.key}"},
            )

        started = time.perf_counter()
        response = self.run(send())
        return time.perf_counter() - started, response


@pytest.fixture(scope="module", params=FUZZ_BACKENDS)
def team(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Team]:
    seeded = Team(module_database_url(request, tmp_path_factory))
    yield seeded
    seeded.close()


def _is_object(type_: Any) -> bool:
    return isinstance(named_type(type_)[0], GraphQLObjectType)


@st.composite
def selection(draw: st.DrawFn, type_: GraphQLObjectType, depth: int) -> str:
    """A selection set of ``type_`` at most ``depth`` levels deep (never empty)."""
    fields = type_.fields
    scalars = [
        n for n, f in fields.items() if not isinstance(named_type(f.type)[0], GraphQLObjectType)
    ]
    objects = [n for n in fields if n not in scalars]
    parts: list[str] = []
    if scalars:
        every = draw(st.booleans())
        some = st.lists(st.sampled_from(scalars), min_size=1, max_size=4, unique=True)
        parts += scalars if every else draw(some)
    if objects and (depth > 1 or not parts):
        for name in draw(
            st.lists(st.sampled_from(objects), min_size=not parts, max_size=3, unique=True)
        ):
            field = fields[name]
            inner = draw(selection(named_type(field.type)[0], max(1, depth - 1)))
            parts.append(f"{name}{draw(arguments(field.args))} {{ {inner} }}")
    return " ".join(parts)


@st.composite
def arguments(draw: st.DrawFn, args: dict[str, Any]) -> str:
    given_ = []
    if "perPage" in args:
        given_.append(f"perPage: {draw(st.sampled_from([100, 50, 15, 1]))}")
    if "first" in args:
        given_.append(f"first: {draw(st.sampled_from([100, 20, 1]))}")
    if "id" in args:
        given_.append(f'id: "{draw(st.integers(1, CUSTOMERS))}"')
    return f"({', '.join(given_)})" if given_ else ""


@st.composite
def read_queries(draw: st.DrawFn) -> str:
    query = SCHEMA.query_type
    assert query is not None
    roots = draw(st.lists(st.sampled_from(ROOTS), min_size=1, max_size=3, unique=True))
    parts = []
    for name in roots:
        field = query.fields[name]
        inner = draw(selection(named_type(field.type)[0], draw(st.integers(2, 8))))
        parts.append(f"{name}{draw(arguments(field.args))} {{ {inner} }}")
    return "{ " + " ".join(parts) + " }"


def scalars_of(name: str) -> str:
    found = SCHEMA.get_type(name)
    assert isinstance(found, GraphQLObjectType)
    leaves = [
        n
        for n, f in found.fields.items()
        if not isinstance(named_type(f.type)[0], GraphQLObjectType)
    ]
    return " ".join(leaves)


INVOICE, CUSTOMER, LINE = scalars_of("Invoice"), scalars_of("Customer"), scalars_of("InvoiceItem")
# The largest answers within the limits, each at a cost of 10,000 exactly.
WORST = (
    f"{{ customers(perPage: 100) {{ items {{ {CUSTOMER} "
    f"invoices(first: 100) {{ {INVOICE} }} }} }} }}",
    f"{{ invoices(perPage: 100) {{ items {{ {INVOICE} customer {{ {CUSTOMER} "
    f"invoices(first: 100) {{ {INVOICE} }} }} }} }} }}",
    f"{{ invoices(perPage: 20) {{ items {{ {INVOICE} items {{ {LINE} product {{ id }} }} }} }} }}",
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=read_queries())
@example(query=WORST[0])
@example(query=WORST[1])
@example(query=WORST[2])
def test_no_query_within_the_limits_is_slow_or_huge(team: Team, query: str) -> None:
    # when
    elapsed, response = team.ask(query)
    # then
    assert response.status_code == 200, (query, response.text[:2000])
    body = response.json()
    codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}
    if codes & LIMIT_CODES:
        assert "data" not in body or body["data"] is None, query  # refused, never half-run
        return
    assert not codes, (query, body["errors"])
    assert elapsed < MAX_SECONDS, (elapsed, query)
    assert len(response.content) < MAX_BYTES, (len(response.content), query)
