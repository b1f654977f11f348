"""Schemathesis against /api/v1/openapi.json, in process, on a seeded database (SQLite, and
PostgreSQL when reachable, as the rest of the suite).

- every operation, generated positive and negative data, all of schemathesis' checks;
- stateful sequences (create, then read/update/delete what was made) with alice and bob as
  `peers`, so the object-level authorization check replays alice's reads as bob;
- every by-id operation sent by bob with team A's ids: each answers exactly like an id that
  does not exist, and no byte of team A's data comes back.

A few examples per operation and a fixed seed here; `make fuzz` runs the same with many more.
The tests are collected from test_fuzz_rest.py (SQLite) and test_fuzz_rest_postgres.py.
"""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis import Case

from tests.fuzz_support import (
    EXAMPLES,
    FUZZ_BACKENDS,
    PROBES,
    SECRET,
    SEED,
    World,
    build_world,
    config,
    unique_idempotency_key,
)


def world_on(backend: str) -> Any:
    """The module's seeded world, on ``backend`` (none where FUZZ_BACKENDS leaves it out).
    One module per backend: `make test` gives each test file a worker of its own, and these
    are the suite's longest."""

    @pytest.fixture(scope="module", params=[b for b in FUZZ_BACKENDS if b == backend])
    def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> World:
        return build_world(request, tmp_path_factory.mktemp("fuzz"))

    return world


def _load(world: World, **settings: Any) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi(
        "/api/v1/openapi.json",
        world.app(),
        config=schemathesis.Config.from_dict(config(**settings)),
    )


@pytest.fixture(scope="module")
def rest_schema(world: World) -> schemathesis.BaseSchema:
    """Fuzzed as alice; bob is loaded too, as alice's peer for the object-level check."""
    auth = {"wfc": {"path": str(world.wfc), "user": "alice", "peers": ["alice", "bob"]}}
    return _load(world, auth=auth)


@pytest.fixture(scope="module")
def bob_schema(world: World) -> schemathesis.BaseSchema:
    """The by-id operations, sent with bob's key (the ids are team A's)."""
    # Bodies and queries are not the point here (test_rest_operations covers them): only the
    # ids are, so no coverage phase; unexpected methods would never reach the object.
    phases = {"coverage": {"enabled": False}}
    return _load(world, mode="positive", examples=PROBES, phases=phases)


@pytest.fixture(autouse=True)
def _pytest_node_id(request: pytest.FixtureRequest) -> None:
    """schemathesis' `from_fixture` reads and renames `node._nodeid`, which pytest 9.2 dropped
    (its node id lives in `_id` now); without the attribute every lazy test fails at once."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


NOT_CRUD = r"/(teams|pdf|send-email|send-payment-link|payments|adjust-stock|convert-to-invoice)"
rest = schemathesis.pytest.from_fixture("rest_schema")
as_bob = schemathesis.pytest.from_fixture("bob_schema").include(path_regex=r"\{id\}")


@as_bob.parametrize()
def test_cross_team_ids(case: Case, world: World) -> None:
    resource = case.path.removeprefix("/api/v1/").split("/", 1)[0]
    case.path_parameters = {"id": world.ids[resource]}
    case.headers["Authorization"] = f"Bearer {world.bob}"
    case.headers.pop("Idempotency-Key", None)  # the two calls below differ by their path
    response = case.call()
    missing = case.operation.Case(
        path_parameters={"id": world.missing},
        query=case.query,
        headers=case.headers,
        body=case.body,
        media_type=case.media_type,
    ).call()
    assert not 200 <= response.status_code < 300, response.text
    assert SECRET not in response.text, response.text
    # Another team's object answers exactly like one that does not exist.
    assert (response.status_code, _code(response)) == (missing.status_code, _code(missing)), (
        response.text,
        missing.text,
    )


@rest.parametrize()
def test_rest_operations(case: Case) -> None:
    unique_idempotency_key(case)
    case.call_and_validate()


def test_rest_stateful(rest_schema: schemathesis.BaseSchema) -> None:
    # Create, read, update, delete: the steps that hand alice's new ids to reads, where the
    # object-level check replays them as bob. (The other operations get test_rest_operations;
    # here they would only spend the budget on random ids. `exclude`, because an `include`
    # on a schema loaded with `[[operations]]` settings is OR-ed with them and selects all.)
    crud = rest_schema.exclude(path_regex=NOT_CRUD)

    class Machine(crud.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Case) -> None:
            unique_idempotency_key(case)

    hypothesis.seed(SEED)(Machine).run(
        settings=hypothesis.settings(
            max_examples=max(30, EXAMPLES * 2),
            stateful_step_count=8,
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )


def _code(response: schemathesis.Response) -> object:
    try:
        return response.json().get("error")
    except ValueError:
        return None
