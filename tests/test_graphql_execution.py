"""The lean execution of leaf fields and loaded relations answers exactly as graphql-core's own
would: same data, same errors at the same paths, for every kind of field it reads directly or
hands back."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from types import SimpleNamespace
from typing import Any

import pytest
import strawberry
from aiodataloader import DataLoader

from invoiceflow.fast.execution import LeanExecutionContext
from invoiceflow.schema.relations import relation

pytestmark = pytest.mark.fast_paths  # these test invoiceflow/fast/ itself


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


async def both(query: str) -> tuple[Any, Any]:
    return await lean_and_stock(Query, query)


async def lean_and_stock(query_type: type, query: str) -> tuple[Any, Any]:
    """``query`` run by the lean executor and by stock graphql-core, on ``query_type``."""
    lean = strawberry.Schema(query=query_type, execution_context_class=LeanExecutionContext)
    stock = strawberry.Schema(query=query_type)
    return await lean.execute(query), await stock.execute(query)


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


@dataclass
class Odd:
    id: object
    name: object


@strawberry.type
class OddThing:
    id: strawberry.ID
    name: str


@strawberry.type
class OddQuery:
    @strawberry.field
    def odd(self) -> list[OddThing | None]:
        rows = [Odd(7, "seven"), Odd("x-8", 8), Odd(9.0, True), Odd(True, "t"), Odd(1, [1])]
        return rows  # type: ignore[return-value]


async def test_ids_and_strings_of_any_type_coerce_as_graphql_core_does() -> None:
    ours, theirs = await lean_and_stock(OddQuery, "{ odd { id name } }")
    assert ours.data == theirs.data
    assert ours.data["odd"][:3] == [
        {"id": "7", "name": "seven"},
        {"id": "x-8", "name": "8"},
        {"id": "9", "name": "true"},
    ]
    assert errors(ours) == errors(theirs) and len(errors(ours)) == 2  # True as an ID; a list


@strawberry.type
class Tinted:
    @strawberry.field
    def tint(self, root: strawberry.Parent[Any]) -> Colour | None:
        return root.value  # type: ignore[no-any-return]


@strawberry.type
class TintQuery:
    @strawberry.field
    def tints(self) -> list[Tinted]:
        values = [Colour.BLUE, "red", Colour.RED, None, "green"]
        return [SimpleNamespace(value=value) for value in values]  # type: ignore[misc]


async def test_enum_members_raw_values_and_strangers_coerce_as_strawberry_does() -> None:
    ours, theirs = await lean_and_stock(TintQuery, "{ tints { tint } }")
    assert ours.data == theirs.data
    assert [row["tint"] for row in ours.data["tints"]] == ["BLUE", "RED", "RED", None, None]
    assert errors(ours) == errors(theirs) and [path for _, path in errors(ours)] == [
        ["tints", 4, "tint"]
    ]


# Relations (schema/relations.relation): a loaded list or object goes straight to its rows'
# fields; what is not loaded yet, and every error, takes graphql-core's path. Both answer alike.


@dataclass
class Part:
    id: int
    name: str | None
    broken: bool = False


@strawberry.type
class PartType:
    id: strawberry.ID
    name: str | None

    @strawberry.field
    def label(self, root: strawberry.Parent[Part]) -> str:
        if root.broken:
            raise ValueError("no label for this part")
        return root.name or "?"


@dataclass
class Box:
    id: int
    owner_id: int | None

    @property
    def lost_id(self) -> int:  # the id of a part that is never found
        return self.id * 10


@strawberry.type
class BoxType:
    id: strawberry.ID
    parts: list[PartType] = relation("parts", "id")
    maybe_parts: list[PartType | None] = relation("maybe_parts", "id")
    strict_parts: list[PartType] = relation("maybe_parts", "id")  # nulls in it
    odd_parts: list[PartType | None] = relation("odd_parts", "id")
    owner: PartType | None = relation("part", "owner_id")
    required_owner: PartType = relation("part", "lost_id")


PARTS = {1: Part(1, "bolt"), 2: Part(2, None), 3: Part(3, "nut", broken=True)}
BOXES = [Box(1, 1), Box(2, None), Box(3, 3)]
PARTS_OF = {1: [PARTS[1], PARTS[2]], 2: [], 3: [PARTS[3]]}
MAYBE_PARTS_OF = {1: [PARTS[1], None], 2: [None], 3: [None, PARTS[3]]}
# a name a String takes (8 -> "8") and one it refuses (a list)
ODD_PARTS_OF = {1: [Part(8, 8)], 2: [Part(9, [9]), Part(10, "ten")], 3: []}  # type: ignore[arg-type]


@strawberry.type
class BoxQuery:
    @strawberry.field
    def boxes(self) -> list[BoxType]:
        return BOXES  # type: ignore[return-value]


def _loader(values: dict[int, Any]) -> DataLoader[int, Any]:
    async def batch(keys: list[int]) -> list[Any]:
        return [values.get(key) for key in keys]

    return DataLoader(batch_load_fn=batch)


class BoxContext:
    """A request's loaders, primed (as a list's look-ahead leaves them) or not."""

    def __init__(self, primed: bool) -> None:
        self.loaders = SimpleNamespace(
            parts=_loader(PARTS_OF),
            maybe_parts=_loader(MAYBE_PARTS_OF),
            odd_parts=_loader(ODD_PARTS_OF),
            part=_loader(PARTS),
        )
        if primed:
            for box in BOXES:
                self.loaders.odd_parts.prime(box.id, ODD_PARTS_OF[box.id])
                self.loaders.parts.prime(box.id, PARTS_OF[box.id])
                self.loaders.maybe_parts.prime(box.id, MAYBE_PARTS_OF[box.id])
                self.loaders.part.prime(box.id * 10, None)
            for part in PARTS.values():
                self.loaders.part.prime(part.id, part)


class CountingContext(LeanExecutionContext):
    """Counts the relations completed through graphql-core (their info is built), and the
    parts executed field by field (not answered as a row of leaves)."""

    infos = 0
    part_rows = 0

    def execute_fields(self, parent_type: Any, *args: Any) -> Any:
        if parent_type.name == "PartType":
            CountingContext.part_rows += 1
        return super().execute_fields(parent_type, *args)

    def build_resolve_info(self, field_def: Any, *args: Any) -> Any:
        info = super().build_resolve_info(field_def, *args)
        if info.parent_type.name == "BoxType":
            CountingContext.infos += 1
        return info


async def both_boxes(query: str, *, primed: bool) -> tuple[Any, Any]:
    lean = strawberry.Schema(query=BoxQuery, execution_context_class=CountingContext)
    stock = strawberry.Schema(query=BoxQuery)
    ours = await lean.execute(query, context_value=BoxContext(primed))
    theirs = await stock.execute(query, context_value=BoxContext(primed))
    return ours, theirs


@pytest.mark.parametrize("primed", [True, False])
async def test_loaded_relations_answer_alike_and_skip_graphql_core(primed: bool) -> None:
    CountingContext.infos = 0
    ours, theirs = await both_boxes(
        "{ boxes { id parts { id name } owner { id name } maybeParts { id } } }",
        primed=primed,
    )
    assert ours.errors is None and theirs.errors is None
    assert ours.data == theirs.data
    assert ours.data["boxes"][0] == {
        "id": "1",
        "parts": [
            {"id": "1", "name": "bolt"},
            {"id": "2", "name": None},
        ],
        "owner": {"id": "1", "name": "bolt"},
        "maybeParts": [{"id": "1"}, None],
    }
    assert ours.data["boxes"][1] == {"id": "2", "parts": [], "owner": None, "maybeParts": [None]}
    # Loaded: straight to the rows (no info built); not loaded yet: graphql-core's path.
    assert (CountingContext.infos == 0) is primed


@pytest.mark.parametrize("primed", [True, False])
async def test_a_failing_row_of_a_loaded_relation_is_reported_alike(primed: bool) -> None:
    # [PartType!]!: the error nulls the box, and the non-null list of boxes with it.
    ours, theirs = await both_boxes("{ boxes { id parts { label } } }", primed=primed)
    assert ours.data == theirs.data is None
    assert (
        errors(ours)
        == errors(theirs)
        == [("no label for this part", ["boxes", 2, "parts", 0, "label"])]
    )
    # [PartType]: the failing row alone is null.
    ours, theirs = await both_boxes("{ boxes { maybeParts { id label } } }", primed=primed)
    assert ours.data == theirs.data
    assert ours.data["boxes"][2] == {"maybeParts": [None, None]}
    assert (
        errors(ours)
        == errors(theirs)
        == [("no label for this part", ["boxes", 2, "maybeParts", 1, "label"])]
    )


@pytest.mark.parametrize("primed", [True, False])
async def test_null_for_a_non_null_relation_is_graphql_cores_error(primed: bool) -> None:
    ours, theirs = await both_boxes("{ boxes { id requiredOwner { id } } }", primed=primed)
    assert ours.data == theirs.data is None
    assert errors(ours) == errors(theirs)
    assert errors(ours)[0][1] == ["boxes", 0, "requiredOwner"]
    assert "Cannot return null for non-nullable field BoxType.requiredOwner" in errors(ours)[0][0]
    ours, theirs = await both_boxes("{ boxes { id strictParts { id } } }", primed=primed)
    assert ours.data == theirs.data is None
    assert errors(ours) == errors(theirs)
    assert errors(ours)[0][1] == ["boxes", 0, "strictParts", 1]


async def test_a_relation_with_a_directive_takes_graphql_cores_path() -> None:
    CountingContext.infos = 0
    query = "{ boxes { parts @include(if: true) { id } owner @skip(if: false) { id } } }"
    ours, theirs = await both_boxes(query, primed=True)
    assert ours.errors is None
    assert ours.data == theirs.data
    assert ours.data["boxes"][0] == {"parts": [{"id": "1"}, {"id": "2"}], "owner": {"id": "1"}}
    # two relations of three boxes, but for box 2's null owner (nothing to complete)
    assert CountingContext.infos == 5


async def test_loaded_rows_of_leaves_are_answered_whole_and_fall_back_on_any_error() -> None:
    CountingContext.part_rows = 0
    ours, theirs = await both_boxes("{ boxes { parts { id name } owner { id } } }", primed=True)
    assert ours.errors is None and ours.data == theirs.data
    assert CountingContext.part_rows == 0  # 3 parts and 2 owners, each answered as one row
    ours, theirs = await both_boxes("{ boxes { parts { id label } } }", primed=True)
    assert ours.data == theirs.data is None
    assert errors(ours) == errors(theirs)
    assert CountingContext.part_rows == 1  # the broken part alone, on graphql-core's path
    CountingContext.part_rows = 0
    ours, theirs = await both_boxes("{ boxes { oddParts { id name } } }", primed=True)
    assert ours.data == theirs.data
    assert [box["oddParts"] for box in ours.data["boxes"]] == [
        [{"id": "8", "name": "8"}],
        [{"id": "9", "name": None}, {"id": "10", "name": "ten"}],  # a nullable leaf fails alone
        [],
    ]
    assert errors(ours) == errors(theirs) and [path for _, path in errors(ours)] == [
        ["boxes", 1, "oddParts", 0, "name"]
    ]
    assert CountingContext.part_rows == 1
