"""Schemathesis against the REST API on PostgreSQL (the cases: fuzz_rest_cases.py)."""

from __future__ import annotations

from tests.fuzz_rest_cases import (  # noqa: F401 (the cases, collected here)
    _pytest_node_id,
    bob_schema,
    rest_schema,
    test_cross_team_ids,
    test_rest_operations,
    test_rest_stateful,
    world_on,
)

world = world_on("postgres")
