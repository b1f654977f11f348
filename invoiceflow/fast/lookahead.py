"""The look-ahead: lists load their relations once, reading only the columns the document
selects.

A root field looks ahead at its selection: ``prime`` batch-loads each relation selected below
a page's rows, so that the relation fields (schema/relations.py) answer from the loaders'
caches without awaiting; ``columns_for`` and ``columns_by_loader`` work out which columns the
rows need from what the fields say they read (``reads`` metadata); ``joined_columns`` names
what a page reads of its customers in its own statement. With the fast paths off, none of
it: every column is read, and the relations load through the loaders' futures (batched all
the same). ``selected_under`` answers in both modes (a page counts its total only when
``pageInfo`` is asked for).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

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

from invoiceflow import fast
from invoiceflow.context import Context
from invoiceflow.fast import reads
from invoiceflow.fast.memo import ByIdentity
from invoiceflow.fast.reads import NOTHING, Reads
from invoiceflow.loaders import Loader


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


def rows_read(
    info: Info[Context, None], type_: type, read: str, *path: str, joins: tuple[str, ...] = ()
) -> Reads:
    """What the query reads of the rows of ``type_`` below ``path``, as the read named
    ``read`` (fast/reads.py): their columns, and, for each relation field in ``joins`` that
    it selects there, the columns its loader reads for the whole document (rows in that
    loader's cache are shared), read in the rows' own statement (``read.field``). Nothing
    with the fast paths off."""
    if not fast.ON:
        return NOTHING
    selected = selected_under(info, *path)
    found: dict[str, tuple[str, ...]] = {}
    own = columns_for(type_, selected)
    if own is not None:
        found[read] = own
    relations = _relations_of(type_.__strawberry_definition__)  # type: ignore[attr-defined]
    for field in joins:
        joined = reads.columns(relations[field][0]) if field in selected else None
        if joined is not None:
            found[f"{read}.{field}"] = joined
    return Reads(found)


async def prime(
    info: Info[Context, None], rows: Sequence[Any | None], type_: type, *path: str
) -> None:
    """Batch-load, once each, the relation fields of ``type_`` (the Strawberry type of
    ``rows``) that the query selects below ``path`` (a page's rows are its "items"; a single
    object's fields are right below). A None row (a lookup that found nothing) has nothing
    to load. With the fast paths off nothing is primed: each relation field loads through the
    loader's futures, batched all the same."""
    if not fast.ON:
        return
    rows = [row for row in rows if row is not None]
    if not rows:
        return
    relations = _relations_of(type_.__strawberry_definition__)  # type: ignore[attr-defined]
    loaders = info.context.loaders
    for name in selected_under(info, *path) & relations.keys():
        attribute, key = relations[name]
        loader: Loader = getattr(loaders, attribute)
        await loader.load_all(value for value in map(key, rows) if value is not None)
