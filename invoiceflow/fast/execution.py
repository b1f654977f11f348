"""A leaner execution of leaf fields: the cost of a list is its rows, not its fields.

graphql-core executes every field of every row alike: a path, an info object, the resolver
through Strawberry's wrappers, then value completion. A list of 100 invoices with their
customers and lines is about 1,800 such fields, and most of them read one attribute.

``LeanExecutionContext`` plans each selection set once per request (its identity is
memoised by graphql-core for all rows of a list) and answers the leaf fields that need
nothing from the request directly: a plain attribute, or a synchronous resolver of the row
alone (``self``/``root``, no arguments, no ``info``, no field extensions), coerced by the
field's own scalar or enum. Everything else (relations, fields with arguments or ``info``,
async resolvers, root fields, anything that fails or answers null where null is not
allowed) goes through graphql-core's own ``execute_field``, so errors carry the same
messages and paths as before.
"""

from __future__ import annotations

import operator
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeGuard, cast

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLID,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
    OperationType,
    Undefined,
    is_leaf_type,
)
from graphql.pyutils import Path
from graphql.pyutils.gather_with_cancel import gather_with_cancel
from graphql.type.definition import GraphQLResolveInfoHelpers
from sqlalchemy.engine import Row
from sqlmodel import SQLModel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from invoiceflow.context import Context
from invoiceflow.fast import reads
from invoiceflow.fast.lookahead import columns_by_loader
from invoiceflow.fast.memo import ByIdentity

Getter = Callable[[Any], Any]
Coerce = Callable[[Any], Any]
Load = Callable[[Any, Any], Any]
# response name, the field's nodes; for a lean leaf: how to read it, how its type coerces a
# value, non-null; for a relation (``lean`` metadata, see prefetch.relation): its definition
# and load(row, ctx)
Step = tuple[str, Any, Getter | None, Coerce | None, bool, GraphQLField | None, Load | None]


# A lean leaf as a row's answer needs it: response name, getter, coercion, non-null.
Leaf = tuple[str, Getter, Coerce, bool]


def _leaf_row(leaves: tuple[Leaf, ...], row: Any) -> dict[str, Any] | None:
    """The answer for ``row`` when every field of its selection is a lean leaf and each
    reads and coerces cleanly; None when any does not (a raise, a null where none is
    allowed, a value its type refuses): graphql-core's path then runs the row again and
    reports it as it would. The getters only read, so running them twice is harmless."""
    results: dict[str, Any] = {}
    try:
        for response_name, getter, coerce, non_null in leaves:
            value = getter(row)
            if value is None:
                if non_null:
                    return None
                results[response_name] = None
                continue
            coerced = coerce(value)
            if coerced is None or coerced is Undefined:
                return None
            results[response_name] = coerced
    except Exception:
        return None
    return results


@dataclass(frozen=True, slots=True)
class _Relation:
    """How a relation field's loaded value completes: the same for every row of a request."""

    is_list: bool
    # the list's item type (non-null wrapper included) or the object type
    item_type: Any
    item_non_null: bool
    # the object type of the item and the item's grouped field set
    direct: tuple[GraphQLObjectType, Any]
    # every field of the item a lean leaf: a row is answered by _leaf_row
    leaves: tuple[Leaf, ...] | None


def _unwrapped(field_def: GraphQLField) -> StrawberryField | None:
    """The Strawberry field behind ``field_def`` when no field extension wraps its resolver
    (the only fields read here without graphql-core)."""
    field = field_def.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(field, StrawberryField) or field.extensions:
        return None
    return field


def _getter(field_def: GraphQLField) -> Getter | None:
    """How to read this field off its row without graphql-core, or None if it needs more."""
    field = _unwrapped(field_def)
    if field is None or field_def.args:
        return None
    resolver = field.base_resolver
    if resolver is None:
        if field.default_resolver is not getattr:
            return None
        return operator.attrgetter(field.python_name)
    if resolver.is_async or resolver.info_parameter is not None or resolver.arguments:
        return None
    # Strawberry types it as the function, staticmethod or classmethod it was declared with;
    # on a schema's field it is the plain (bound) function.
    function = cast("Callable[..., Any]", resolver.wrapped_func)
    names = [p.name for p in (resolver.root_parameter, resolver.parent_parameter) if p]
    if resolver.self_parameter is not None:
        if names:
            return lambda row: function(row, **dict.fromkeys(names, row))
        return function
    if len(names) == 1:
        name = names[0]
        return lambda row: function(**{name: row})
    return None


def _coerce(leaf: GraphQLLeafType) -> Coerce:
    """``leaf.coerce_output_value``, answering at once for what a row's column usually is: a
    str for String and ID, an int for ID (``str(int)``, as graphql-core's serialize_id), and a
    member of a Strawberry enum by a lookup (Strawberry compares it with each value in turn).
    Anything else, and a member without a name, goes to the type's own coercion."""
    coerce = leaf.coerce_output_value
    if leaf is GraphQLString:
        return lambda value: value if type(value) is str else coerce(value)
    if leaf is GraphQLID:
        return lambda value: (
            str(value) if type(value) is int else value if type(value) is str else coerce(value)
        )
    members = getattr(leaf, "wrapped_cls", None)
    if (
        isinstance(leaf, GraphQLEnumType)
        and isinstance(members, type)
        and issubclass(members, Enum)
    ):
        names: dict[Any, str] = {}
        for name, enum_value in leaf.values.items():  # the first name of a value, as Strawberry
            for member in members:
                if member.value == enum_value.value:
                    names.setdefault(member, name)

        def enum_name(value: Any) -> Any:
            if type(value) is members:
                found = names.get(value)
                if found is not None:
                    return found
            return coerce(value)

        return enum_name
    return coerce


def _load(field_def: GraphQLField) -> Load | None:
    """A relation's ``load(row, context)``, when the field declares one and nothing wraps it."""
    field = _unwrapped(field_def)
    if field is None:
        return None
    load = field.metadata.get("lean")
    return load if callable(load) else None


Reading = tuple[bool, Getter | None, Coerce | None, Load | None]
_READINGS: ByIdentity[Reading] = ByIdentity(kept=None)  # a schema's fields are few


def _reading(field_def: GraphQLField) -> Reading:
    """How a field without arguments is answered: whether it is non-null; for a leaf, how
    to read and coerce it (or None); for a relation, how to load it (or None). Worked out
    once per field of the schema, not once per request: a GraphQL get planned its fields
    anew each time, about 7% of its instructions."""
    return _READINGS((field_def,), lambda: _read(field_def))


def _read(field_def: GraphQLField) -> Reading:
    field_type = field_def.type
    non_null = isinstance(field_type, GraphQLNonNull)
    named = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
    getter = coerce = None
    if is_leaf_type(named):
        getter = _getter(field_def)
        coerce = _coerce(named) if getter is not None else None
    return non_null, getter, coerce, _load(field_def)


# Values graphql-core asks "is this awaitable?" about, thousands of times per list. For rows
# (SQLAlchemy's Row answers a missing attribute by raising, slowly; lean rows are named
# tuples) and models (Pydantic's __getattr__) the generic check is the costly part; none of
# them is ever awaitable, nor are completed objects (dicts) and lists.
_NEVER_AWAITABLE: frozenset[type] = frozenset(
    {Row, Decimal, date, datetime, str, int, float, bool, type(None), dict, list}
)


def _gather_async_work(values: Any) -> Awaitable[list[Any]]:
    """graphql-core's ``gather_async_work``, which does not need its context."""
    return gather_with_cancel(*values)


def _track_on(context: weakref.ref[LeanExecutionContext]) -> Callable[[Any], None]:
    def track(values: Any) -> None:
        live = context()
        if live is not None:  # a context already gone has no work left to settle
            live.track_async_work(values)

    return track


class DocumentExecution(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's own execution, with each root field of a mutation reading afresh: the
    schema's execution with the fast paths off (and the base of the lean one)."""

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        # Mutations run one after the other; each starts with fresh loaders, so that it
        # reads what the mutations before it wrote, not their answers again.
        if path.prev is None and self.operation.operation == OperationType.MUTATION:
            fresh_reads = getattr(self.context_value, "fresh_reads", None)
            if fresh_reads is not None:
                fresh_reads()
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )


class LeanExecutionContext(DocumentExecution):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # graphql-core's helpers hold this context's bound methods, and the context holds
        # them: a cycle that kept each request's context, session, loaders and rows alive
        # until a garbage collection (one every 12 or so GraphQL lists, 3.7-6.7 ms each).
        # Through a weak reference the whole request is freed when its answer is.
        self.async_helpers = GraphQLResolveInfoHelpers(
            gather=_gather_async_work, track=_track_on(weakref.ref(self))
        )
        generic = self.is_awaitable

        def is_awaitable(value: Any) -> TypeGuard[Awaitable[Any]]:
            if type(value) in _NEVER_AWAITABLE or isinstance(value, (SQLModel, tuple)):
                return False
            return generic(value)

        self.is_awaitable = is_awaitable
        # id(grouped field set) -> (the set, kept alive so its id is not reused; its plan)
        self._plans: dict[int, tuple[Any, list[Step], tuple[Leaf, ...] | None]] = {}
        # (id(item type), id(field details)) -> (both, kept alive; _direct_fields' answer)
        self._directs: dict[tuple[int, int], tuple[Any, Any, Any]] = {}
        # (id(return type), id(field details)) -> (both, kept alive; how the value completes)
        self._relations: dict[tuple[int, int], tuple[Any, Any, _Relation | None]] = {}
        # Rows of leaves are answered without execute_fields unless middleware (an extension
        # that wraps resolvers) must see every field.
        manager = self.middleware_manager
        self._leaves_alone = manager is None or not manager.middlewares
        # A query reads what it selects; a mutation whole rows (the events it records show
        # them whole: resolvers/events.py).
        if isinstance(self.context_value, Context) and self.operation.operation.value == "query":
            reads.declare(reads.Reads(self._columns_by_loader()))

    # An operation node comes from the parser's cache: the same query text, the same node.
    _COLUMNS: ByIdentity[dict[str, tuple[str, ...]]] = ByIdentity(kept=256)

    def _columns_by_loader(self) -> dict[str, tuple[str, ...]]:
        """The columns the document's rows need, by loader (see prefetch.columns_by_loader),
        worked out once per document."""
        schema, operation, fragments = self.schema, self.operation, self.fragments
        return dict(
            self._COLUMNS(
                (schema, operation),
                lambda: columns_by_loader(schema, operation, fragments.values()),
            )
        )

    def _plan_of(
        self, parent_type: GraphQLObjectType, grouped_field_set: Any
    ) -> tuple[list[Step], tuple[Leaf, ...] | None]:
        """The plan of a selection set, and its leaves when it has nothing else; planned once
        per request (graphql-core hands every row of a list the same grouped field set)."""
        entry = self._plans.get(id(grouped_field_set))
        if entry is None:
            plan = self._plan(parent_type, grouped_field_set)
            found = [
                (name, getter, coerce, non_null)
                for name, _, getter, coerce, non_null, _, _ in plan
                if getter is not None and coerce is not None
            ]
            entry = (grouped_field_set, plan, tuple(found) if len(found) == len(plan) else None)
            self._plans[id(grouped_field_set)] = entry
        return entry[1], entry[2]

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> list[Step]:
        steps: list[Step] = []
        for response_name, field_details_list in grouped_field_set.items():
            node = field_details_list[0].node
            field_def = self.schema.get_field(parent_type, node.name.value)
            getter = coerce = load = None
            non_null = False
            if field_def is not None and not node.arguments and not field_def.args:
                non_null, leaf_getter, leaf_coerce, field_load = _reading(field_def)
                if leaf_getter is not None and len(field_details_list) == 1:
                    getter, coerce = leaf_getter, leaf_coerce
                else:
                    load = field_load
            relation = field_def if load is not None else None
            steps.append(
                (response_name, field_details_list, getter, coerce, non_null, relation, load)
            )
        return steps

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        # Strawberry passes a manager on every request; only one holding middleware (an
        # extension that wraps resolvers) must see every field.
        manager = self.middleware_manager
        if path is None or (manager is not None and manager.middlewares):
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        plan, leaves = self._plan_of(parent_type, grouped_field_set)
        if leaves is not None:
            answered = _leaf_row(leaves, source_value)
            if answered is not None:
                return answered
        results: dict[str, Any] = {}
        awaitable: list[str] = []
        is_awaitable = self.is_awaitable
        try:
            for response_name, field_details_list, getter, coerce, non_null, relation, load in plan:
                if getter is not None:
                    try:
                        value = getter(source_value)
                        if value is None:
                            if not non_null:
                                results[response_name] = None
                                continue
                        else:
                            coerced = coerce(value)  # type: ignore[misc]
                            if coerced is not None and coerced is not Undefined:
                                results[response_name] = coerced
                                continue
                    except Exception:  # graphql-core's own path reports it, with its path
                        pass
                field_path = Path(path, response_name, parent_type.name)
                if load is not None:
                    result = self._execute_relation(
                        parent_type,
                        source_value,
                        field_details_list,
                        field_path,
                        position_context,
                        relation,  # type: ignore[arg-type]
                        load,
                    )
                else:
                    result = self.execute_field(
                        parent_type, source_value, field_details_list, field_path, position_context
                    )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable.append(response_name)
        except Exception:
            if awaitable:  # as graphql-core does: let the others settle, they may fail too
                self.settle_in_background([results[name] for name in awaitable])
            raise
        if not awaitable:
            return results
        return self._gather(results, awaitable)

    def complete_list_item_value(
        self,
        item: Any,
        complete_results: list[Any],
        item_type: Any,
        field_details_list: Any,
        info: Any,
        item_path: Path,
        position_context: Any,
    ) -> bool:
        """An object of a list, straight to its fields: graphql-core's path (complete_value,
        twice with a non-null wrapper, complete_object_value, collect_and_execute_subfields)
        for each of a list's rows does nothing an object type without ``is_type_of`` and a
        selection without ``@defer`` needs. Anything else takes that path."""
        direct = None
        if item is not None and position_context is None:
            direct = self._direct_fields(item_type, field_details_list)
        if direct is None:
            return super().complete_list_item_value(
                item, complete_results, item_type, field_details_list, info, item_path,
                position_context,
            )  # fmt: skip
        completed = self._complete_row(direct, item, item_type, field_details_list, item_path)
        complete_results.append(completed)
        return self.is_awaitable(completed)

    def _complete_row(
        self,
        direct: tuple[GraphQLObjectType, Any],
        item: Any,
        item_type: Any,
        field_details_list: Any,
        item_path: Path,
    ) -> Any:
        """One object of a list executed straight to its fields: its dict, None when a field
        error nulls it, or an awaitable of either."""
        try:
            completed = self.execute_fields(direct[0], item, item_path, direct[1], None)
        except Exception as raw_error:
            self.handle_field_error(raw_error, item_type, field_details_list, item_path)
            return None
        if type(completed) is dict:
            return completed
        return self._await_completed(completed, item_type, field_details_list, item_path)

    def _direct_fields(
        self, item_type: Any, field_details_list: Any
    ) -> tuple[GraphQLObjectType, Any] | None:
        """The object type and the fields of a list's item (or a relation's object), when
        they can be executed directly (see complete_list_item_value); None otherwise. Asked
        once per request for each field of the document, not once per row."""
        key = (id(item_type), id(field_details_list))
        known = self._directs.get(key)
        if known is not None:
            return known[2]
        direct: tuple[GraphQLObjectType, Any] | None = None
        object_type = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if isinstance(object_type, GraphQLObjectType) and object_type.is_type_of is None:
            grouped_field_set, new_defer_usages, _ = self.collect_subfields(
                object_type, field_details_list
            )
            direct = None if new_defer_usages else (object_type, grouped_field_set)
        self._directs[key] = (item_type, field_details_list, direct)
        return direct

    def _execute_relation(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
        field_def: GraphQLField,
        load: Load,
    ) -> Any:
        """graphql-core's ``execute_field`` with ``load(row, context)`` as the resolver: the
        same completion and error handling, without Strawberry's Info and argument parsing."""
        return_type = field_def.type
        try:
            result = load(source, self.context_value)
            pending = self.is_awaitable(result)
            completed: Any = Undefined
            if position_context is None and not pending:
                completed = self._complete_loaded(return_type, field_details_list, path, result)
            if completed is Undefined:
                info = self.build_resolve_info(
                    field_def, [details.node for details in field_details_list], parent_type, path
                )
                if pending:
                    return self.complete_awaitable_value(
                        return_type, field_details_list, info, path, result, position_context
                    )
                completed = self.complete_value(
                    return_type, field_details_list, info, path, result, position_context
                )
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        if self.is_awaitable(completed):
            return self._await_completed(completed, return_type, field_details_list, path)
        return completed

    def _complete_loaded(
        self, return_type: Any, field_details_list: Any, path: Path, result: Any
    ) -> Any:
        """A relation's loaded value (an object, a list of objects or null) completed straight
        to its fields, as complete_list_item_value does for a list's rows: for the 300 lines
        and 100 customers of a page, graphql-core's info, complete_value, complete_list_value
        and complete_iterable_value per row add nothing, and a row of leaves alone is answered
        by _leaf_row without a path. Undefined when graphql-core must complete it: an abstract
        type, ``is_type_of``, a directive on the field (``@stream``), ``@defer`` below,
        anything but a list where a list is due, or a null where none is allowed (its error is
        graphql-core's to word)."""
        if result is None:
            return Undefined if isinstance(return_type, GraphQLNonNull) else None
        relation = self._relation(return_type, field_details_list)
        if relation is None:
            return Undefined
        leaves = relation.leaves
        if not relation.is_list:
            answered = _leaf_row(leaves, result) if leaves is not None else None
            if answered is not None:
                return answered
            direct = relation.direct
            return self.execute_fields(direct[0], result, path, direct[1], None)
        if type(result) is not list:
            return Undefined
        if relation.item_non_null and None in result:
            return Undefined
        completed: list[Any] = []
        awaitable: list[int] = []
        try:
            for index, item in enumerate(result):
                value = None
                if item is not None:
                    if leaves is not None:
                        value = _leaf_row(leaves, item)
                    if value is None:
                        value = self._complete_row(
                            relation.direct,
                            item,
                            relation.item_type,
                            field_details_list,
                            Path(path, index, None),
                        )
                        if self.is_awaitable(value):
                            awaitable.append(index)
                completed.append(value)
        except Exception:  # as graphql-core does: let the others settle, they may fail too
            if awaitable:
                self.settle_in_background([completed[index] for index in awaitable])
            raise
        if not awaitable:
            return completed
        return self._gather_items(completed, awaitable)

    def _relation(self, return_type: Any, field_details_list: Any) -> _Relation | None:
        """How this relation field completes (see _complete_loaded), worked out once per
        request; None when graphql-core must complete it."""
        key = (id(return_type), id(field_details_list))
        known = self._relations.get(key)
        if known is not None:
            return known[2]
        relation: _Relation | None = None
        if not any(details.node.directives for details in field_details_list):
            nullable = (
                return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
            )
            is_list = isinstance(nullable, GraphQLList)
            item_type = nullable.of_type if is_list else nullable
            direct = self._direct_fields(item_type, field_details_list)
            if direct is not None:
                leaves = self._plan_of(*direct)[1] if self._leaves_alone else None
                relation = _Relation(
                    is_list=is_list,
                    item_type=item_type,
                    item_non_null=isinstance(item_type, GraphQLNonNull),
                    direct=direct,
                    leaves=leaves,
                )
        self._relations[key] = (return_type, field_details_list, relation)
        return relation

    async def _gather_items(self, completed: list[Any], awaitable: list[int]) -> list[Any]:
        if len(awaitable) == 1:
            completed[awaitable[0]] = await completed[awaitable[0]]
        else:
            values = await gather_with_cancel(*(completed[index] for index in awaitable))
            for index, value in zip(awaitable, values, strict=True):
                completed[index] = value
        return completed

    async def _await_completed(
        self, completed: Any, return_type: Any, field_details_list: Any, path: Path
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None

    async def _gather(self, results: dict[str, Any], awaitable: list[str]) -> dict[str, Any]:
        if len(awaitable) == 1:
            results[awaitable[0]] = await results[awaitable[0]]
        else:
            values = await gather_with_cancel(*(results[name] for name in awaitable))
            results.update(zip(awaitable, values, strict=True))
        return results
