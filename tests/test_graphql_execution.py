"""The lean execution of leaf fields answers exactly as graphql-core's own would: same data,
same errors at the same paths, for every kind of field it reads directly or hands back."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

import strawberry

from invoiceflow.schema.execution import LeanExecutionContext


@strawberry.enum
class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@dataclass
class Row:
    id: int
    name: str | None
    colour: str
    broken: bool = False


@strawberry.type
class Thing:
    id: strawberry.ID
    name: str | None
    required_name: str = strawberry.field(resolver=lambda root: root.name)

    @strawberry.field
    def colour(self, root: strawberry.Parent[Row]) -> Colour:
        if root.broken:
            raise ValueError("no colour for this one")
        return Colour(root.colour)

    @strawberry.field
    def shout(self, root: strawberry.Parent[Row], times: int = 1) -> str:
        return (root.name or "") * times

    @strawberry.field
    async def later(self, root: strawberry.Parent[Row]) -> int:
        return root.id * 10


ROWS = [Row(1, "a", "red"), Row(2, None, "blue"), Row(3, "c", "red", broken=True)]


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing]:
        return ROWS  # type: ignore[return-value]

    @strawberry.field
    def maybe_things(self) -> list[Thing | None]:
        return [ROWS[0], None, ROWS[2]]  # type: ignore[list-item]


def schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    lean = strawberry.Schema(query=Query, execution_context_class=LeanExecutionContext)
    return lean, strawberry.Schema(query=Query)


async def both(query: str) -> tuple[Any, Any]:
    lean, stock = schemas()
    ours, theirs = await lean.execute(query), await stock.execute(query)
    return ours, theirs


def errors(result: Any) -> list[tuple[str, list[Any]]]:
    return sorted((e.message, e.path) for e in result.errors or [])


async def test_plain_fields_enums_and_root_resolvers_answer_alike() -> None:
    ours, theirs = await both(
        "{ things { id name later shout(times: 2) ... on Thing { x: name } } }"
    )
    assert ours.data == theirs.data
    assert ours.data["things"][0] == {"id": "1", "name": "a", "later": 10, "shout": "aa", "x": "a"}
    assert ours.errors is None


async def test_a_failing_leaf_is_reported_at_its_path_and_nulls_its_parent() -> None:
    ours, theirs = await both("{ things { id colour } }")
    assert ours.data == theirs.data is None  # Thing! is non-null in the list: the list goes
    assert errors(ours) == errors(theirs) == [("no colour for this one", ["things", 2, "colour"])]


async def test_null_in_a_non_null_leaf_is_the_same_error() -> None:
    ours, theirs = await both("{ things { requiredName } }")
    assert ours.data == theirs.data is None
    assert errors(ours) == errors(theirs)
    assert errors(ours)[0][1] == ["things", 1, "requiredName"]
    assert "Cannot return null for non-nullable field Thing.requiredName" in errors(ours)[0][0]


async def test_a_failing_item_of_a_nullable_list_is_null_alone() -> None:
    ours, theirs = await both("{ maybeThings { id colour later } }")
    assert (
        ours.data
        == theirs.data
        == {"maybeThings": [{"id": "1", "colour": "RED", "later": 10}, None, None]}
    )
    assert (
        errors(ours) == errors(theirs) == [("no colour for this one", ["maybeThings", 2, "colour"])]
    )
