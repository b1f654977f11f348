"""The teams' live-document counts (teams.live_invoices, teams.live_estimates), kept by the
database's triggers (migration 0010), against a count of the rows: random creates, conversions
and deletes, through every write route of REST and GraphQL that makes or removes a document,
by two teams, failures included (a second delete, a paid invoice's, a converted estimate's)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tests.conftest import Api, KeyFactory
from tests.fuzz_support import FUZZ_BACKENDS
from tests.server_support import InProcess, module_database_url

EXAMPLES = int(os.environ.get("LIVE_COUNT_EXAMPLES", "25"))
LINE = {"description": "Audit", "quantity": 1, "unit_price": 10}
GQL_LINE = '{description: "Audit", quantity: "1", unitPrice: "10"}'
CREATE_INVOICE = "mutation ($c: ID!) { createInvoice(input: {customerId: $c, items: [%s]}) { id } }"
CREATE_ESTIMATE = (
    "mutation ($c: ID!) { createEstimate(input: {customerId: $c, items: [%s]}) { id } }"
)
COUNTS = """
SELECT t.id, t.live_invoices, t.live_estimates,
  (SELECT count(*) FROM invoices i WHERE i.team_id = t.id AND i.deleted_at IS NULL),
  (SELECT count(*) FROM estimates e WHERE e.team_id = t.id AND e.deleted_at IS NULL)
FROM teams t ORDER BY t.id
"""

# What a step does: (kind, which API, which document of those made so far).
Step = tuple[str, str, int]
steps = st.tuples(
    st.sampled_from(
        ["create invoice", "create estimate", "convert", "delete invoice", "delete estimate",
         "pay invoice"]
    ),
    st.sampled_from(["rest", "graphql"]),
    st.integers(0, 30),
)  # fmt: skip


@dataclass
class Caller:
    api: Api
    customer: int
    invoices: list[int]
    estimates: list[int]


class World(InProcess):
    """Two teams' callers over one app, served in process on one event loop."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.callers = self.run(self._callers())

    async def _callers(self) -> list[Caller]:
        keys = KeyFactory(self.services, self.http)
        callers = []
        for email, team in (("alice@a.example", "Team A"), ("bob@b.example", "Team B")):
            api = await keys.api(email, team)
            callers.append(Caller(api, (await api.create_customer())["id"], [], []))
        return callers

    def take(self, caller: Caller, step: Step) -> None:
        self.run(_step(caller, step))

    def counts(self) -> list[tuple[int, ...]]:
        async def read() -> list[tuple[int, ...]]:
            async with self.services.db.read_sessions() as session:
                return [tuple(int(v) for v in row) for row in await session.execute(text(COUNTS))]

        return self.run(read())


async def _step(caller: Caller, step: Step) -> None:
    kind, api_kind, pick = step
    api, rest = caller.api, api_kind == "rest"
    chosen = {"invoice": caller.invoices, "estimate": caller.estimates}
    if kind == "create invoice" or kind == "create estimate":
        document = kind.split()[1]
        if rest:
            made = await api.post(
                f"/{document}s", {"customer_id": caller.customer, "items": [LINE]}
            )
            assert made.status_code == 201, made.text
            chosen[document].append(made.json()["data"]["id"])
        else:
            query = (CREATE_INVOICE if document == "invoice" else CREATE_ESTIMATE) % GQL_LINE
            body = await api.graphql(query, {"c": str(caller.customer)})
            field = "createInvoice" if document == "invoice" else "createEstimate"
            chosen[document].append(int(body["data"][field]["id"]))
        return
    document = "estimate" if kind in ("convert", "delete estimate") else "invoice"
    if not chosen[document]:
        return
    target = chosen[document][pick % len(chosen[document])]
    if kind == "convert":  # an invoice made from it, or a 409 the second time
        if rest:
            done = await api.post(f"/estimates/{target}/convert-to-invoice")
            if done.status_code in (200, 201):
                caller.invoices.append(done.json()["data"]["invoice_id"])
        else:
            body = await api.graphql(
                f'mutation {{ convertEstimateToInvoice(id: "{target}") {{ id }} }}'
            )
            if body.get("data"):
                caller.invoices.append(int(body["data"]["convertEstimateToInvoice"]["id"]))
    elif kind == "pay invoice":  # a paid invoice cannot be deleted (409)
        await api.patch(f"/invoices/{target}", {"status": "sent"})
        await api.post(f"/invoices/{target}/payments", {"amount": 11})
    elif rest:  # a delete, perhaps a second one (404), perhaps refused (409)
        await api.delete(f"/{document}s/{target}")
    else:
        field = "deleteInvoice" if document == "invoice" else "deleteEstimate"
        await api.graphql(f'mutation {{ {field}(id: "{target}") }}')


@pytest.fixture(scope="module", params=FUZZ_BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    made = World(module_database_url(request, tmp_path_factory))
    yield made
    made.close()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=st.lists(st.tuples(st.integers(0, 1), steps), min_size=1, max_size=12))
def test_the_kept_counts_are_the_counted_rows(world: World, plan: list[tuple[int, Step]]) -> None:
    for who, step in plan:
        # when
        world.take(world.callers[who], step)
        # then: each team's kept counts are its live rows, after every step
        for team, invoices, estimates, live_invoices, live_estimates in world.counts():
            assert (invoices, estimates) == (live_invoices, live_estimates), (team, step)
