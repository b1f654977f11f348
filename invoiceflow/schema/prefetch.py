"""Lists load their relations once: look ahead at the selection, batch-load what it asks
for, and let the relation fields answer from the loaders' caches without awaiting.

Relation fields are plain functions returning ``now_or_later(loader, key)``: the value
itself when it is already loaded (no coroutine, no await per row), or the loader's future
when it is not (deeper nestings, single objects), which graphql-core awaits and the loader
still batches.
"""

from __future__ import annotations

import functools
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from typing import Annotated, Any

import strawberry
from aiodataloader import DataLoader
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    visit,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection
from strawberry.utils.str_converters import to_camel_case

from invoiceflow.context import Context
from invoiceflow.core.errors import ValidationFailed
from invoiceflow.loaders import Loader
from invoiceflow.schema.cost import DEFAULT_FIRST, MAX_FIRST
from invoiceflow.schema.memo import ByIdentity


def now_or_later(loader: DataLoader[Any, Any], key: Any) -> Any:
    future = loader.load(key)
    return future.result() if future.done() else future


def relation(
    loader: str, column: str, *, description: str | None = None, cap: int | None = None
) -> Any:
    """A field answered by ``loader`` (a name on the request's Loaders) for the row's
    ``column`` (the key: ``id``, or a foreign key like ``customer_id``); null when it is.
    ``cap``: for a list, the most items it can hold (what a query's cost counts it as,
    schema/cost.py).

    The field's ``lean`` metadata is the same function of (row, context), so that the
    executor (schema/execution.py) can call it without building Strawberry's Info.
    """

    key = operator.attrgetter(column)

    def load(root: Any, context: Context) -> Any:
        value = key(root)
        if value is None:
            return None
        return now_or_later(getattr(context.loaders, loader), value)

    def resolve(root: strawberry.Parent[Any], info: Info[Context, None]) -> Any:
        return load(root, info.context)

    metadata = {"lean": load, "reads": (column,), "relation": (loader, key)}
    if cap is not None:
        metadata["cap"] = cap
    return strawberry.field(resolver=resolve, description=description, metadata=metadata)


def newest(loader: str, column: str, *, description: str) -> Any:
    """A list field answered by ``loader`` for the row's ``column``, cut to the ``first``
    newest items (20 unless asked, at most 100): a list with no bound of its own, capped so
    that a query's cost stays known before it runs (API.md §6, schema/cost.py)."""

    key = operator.attrgetter(column)

    def resolve(
        root: strawberry.Parent[Any],
        info: Info[Context, None],
        first: Annotated[
            int | None,
            strawberry.argument(description=f"How many, newest first (at most {MAX_FIRST})."),
        ] = DEFAULT_FIRST,
    ) -> Any:
        if first is None:
            first = DEFAULT_FIRST
        if first < 1:
            raise ValidationFailed.on("first", "Must be 1 or more.")
        value = key(root)
        if value is None:
            return None
        return now_or_later(info.context.loaders.newest(loader, min(first, MAX_FIRST)), value)

    return strawberry.field(
        resolver=resolve, description=description, metadata={"reads": (column,)}
    )


def _graphql_name(field: Any) -> str:
    return str(field.graphql_name or to_camel_case(field.python_name))


@functools.cache
def _relations_of(definition: Any) -> dict[str, tuple[str, Callable[[Any], Any]]]:
    """GraphQL field name -> (loader, key of a row) of each relation field of a type."""
    return {
        _graphql_name(field): field.metadata["relation"]
        for field in definition.fields
        if "relation" in field.metadata
    }


@functools.cache
def _columns_read(definition: Any) -> dict[str, frozenset[str]]:
    """GraphQL field name -> the columns of a row the field reads, for the fields of a
    type's definition that say: a plain field reads its own attribute, a resolver or
    relation what its ``reads`` metadata names. A field that says nothing is absent."""
    reads: dict[str, frozenset[str]] = {"__typename": frozenset()}
    for field in definition.fields:
        name = _graphql_name(field)
        if field.base_resolver is None:
            reads[name] = frozenset({field.python_name})
        elif "reads" in field.metadata:
            reads[name] = frozenset(field.metadata["reads"])
    return reads


def columns_for(type_: Any, selected: AbstractSet[str]) -> tuple[str, ...] | None:
    """The columns rows of ``type_`` (a Strawberry type or its definition) need for the
    ``selected`` fields, or None (all of them) when one of those fields does not say what
    it reads. (The reads themselves always add a row's id.)"""
    reads = _columns_read(getattr(type_, "__strawberry_definition__", type_))
    if not selected <= reads.keys():
        return None
    return tuple(sorted(set().union(*(reads[name] for name in selected))))


# The loaders whose reads take ``columns``, and the GraphQL type their rows answer as.
NARROWED_LOADERS = {
    "customer": "Customer",
    "invoice_items": "InvoiceItem",
    "estimate_items": "EstimateItem",
}


def columns_by_loader(
    schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: Iterable[Any]
) -> dict[str, tuple[str, ...]]:
    """Loader name -> the columns its rows need for everything the document selects of
    their type, anywhere in it (every field of the operation and of its fragments, whether
    a directive skips it or not: never less than the execution reads). A loader is absent
    (reads every column) when its type's selection includes a field that does not say what
    it reads, or when the document selects fields of an interface or union."""
    selected: dict[str, set[str]] = defaultdict(set)
    abstract = False
    type_info = TypeInfo(schema)

    class Collect(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            nonlocal abstract
            parent = type_info.get_parent_type()
            if isinstance(parent, GraphQLObjectType):
                selected[parent.name].add(node.name.value)
            else:
                abstract = True

    document = DocumentNode(definitions=(operation, *fragments))
    visit(document, TypeInfoVisitor(type_info, Collect()))
    found: dict[str, tuple[str, ...]] = {}
    if abstract:
        return found
    for loader, type_name in NARROWED_LOADERS.items():
        graphql_type = schema.get_type(type_name)
        if type_name not in selected or graphql_type is None:
            continue
        definition = graphql_type.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
        columns = columns_for(definition, selected[type_name])
        if columns is not None:
            found[loader] = columns
    return found


def _names(selections: Iterable[Selection]) -> dict[str, SelectedField]:
    found: dict[str, SelectedField] = {}
    for selection in selections:
        if isinstance(selection, SelectedField):
            found.setdefault(selection.name, selection)
        elif isinstance(selection, (FragmentSpread, InlineFragment)):
            for name, field in _names(selection.selections).items():
                found.setdefault(name, field)
    return found


# By operation node (the parser's cache hands every request of one text the same node),
# the field's response path and the path below it.
_SELECTED: ByIdentity[frozenset[str]] = ByIdentity(kept=1024)


def selected_under(info: Info[Context, None], *path: str) -> frozenset[str]:
    """Field names selected below ``path`` (e.g. "items") of the field being resolved.

    Worked out once per document and field: the names are the document's alone (a field a
    directive skips still counts, as in Strawberry's ``selected_fields``), and converting
    the selection into Strawberry's form cost a GraphQL get about 5% of its instructions."""
    return _SELECTED(
        (info.operation,),
        lambda: frozenset(_selected(info, path)),
        (tuple(info.path.as_list()), path),
    )


def _selected(info: Info[Context, None], path: tuple[str, ...]) -> Iterable[str]:
    children: dict[str, SelectedField] = {}
    for field in info.selected_fields:
        children.update(_names(field.selections))
    for step in path:
        child = children.get(step)
        if child is None:
            return ()
        children = _names(child.selections)
    return children


def joined_columns(
    info: Info[Context, None], type_: type, field: str, *path: str
) -> tuple[str, ...] | None:
    """The columns to read, in the rows' own statement, of what relation ``field`` of
    ``type_`` loads for the rows below ``path``: its loader's columns for the whole document
    (rows in that loader's cache are shared). None when the query does not select ``field``
    there, or when a field of the document does not say what it reads."""
    if field not in selected_under(info, *path):
        return None
    loader, _ = _relations_of(type_.__strawberry_definition__)[field]  # type: ignore[attr-defined]
    return info.context.columns.get(loader)


async def prime(
    info: Info[Context, None], rows: Sequence[Any | None], type_: type, *path: str
) -> None:
    """Batch-load, once each, the relation fields of ``type_`` (the Strawberry type of
    ``rows``) that the query selects below ``path`` (a page's rows are its "items"; a single
    object's fields are right below). A None row (a lookup that found nothing) has nothing
    to load."""
    rows = [row for row in rows if row is not None]
    if not rows:
        return
    relations = _relations_of(type_.__strawberry_definition__)  # type: ignore[attr-defined]
    loaders = info.context.loaders
    for name in selected_under(info, *path) & relations.keys():
        attribute, key = relations[name]
        loader: Loader = getattr(loaders, attribute)
        await loader.load_all(value for value in map(key, rows) if value is not None)
