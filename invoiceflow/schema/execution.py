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
from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    Undefined,
    is_leaf_type,
)
from graphql.pyutils import Path
from graphql.pyutils.gather_with_cancel import gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

Getter = Callable[[Any], Any]
# response name, the field's nodes, and for a lean leaf: how to read it, its type, non-null
Step = tuple[str, Any, Getter | None, GraphQLLeafType | None, bool]


def _getter(field_def: GraphQLField) -> Getter | None:
    """How to read this field off its row without graphql-core, or None if it needs more."""
    field = field_def.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(field, StrawberryField) or field.extensions or field_def.args:
        return None
    resolver = field.base_resolver
    if resolver is None:
        if field.default_resolver is not getattr:
            return None
        return operator.attrgetter(field.python_name)
    if resolver.is_async or resolver.info_parameter is not None or resolver.arguments:
        return None
    function = resolver.wrapped_func
    names = [p.name for p in (resolver.root_parameter, resolver.parent_parameter) if p]
    if resolver.self_parameter is not None:
        if names:
            return lambda row: function(row, **dict.fromkeys(names, row))
        return function  # type: ignore[no-any-return]
    if len(names) == 1:
        name = names[0]
        return lambda row: function(**{name: row})
    return None


class LeanExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # id(grouped field set) -> (the set, kept alive so its id is not reused; its plan)
        self._plans: dict[int, tuple[Any, list[Step]]] = {}

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> list[Step]:
        steps: list[Step] = []
        for response_name, field_details_list in grouped_field_set.items():
            node = field_details_list[0].node
            field_def = self.schema.get_field(parent_type, node.name.value)
            getter = leaf = None
            non_null = False
            if field_def is not None and not node.arguments and len(field_details_list) == 1:
                field_type = field_def.type
                non_null = isinstance(field_type, GraphQLNonNull)
                named = field_type.of_type if non_null else field_type
                if is_leaf_type(named):
                    getter = _getter(field_def)
                    leaf = named if getter is not None else None
            steps.append((response_name, field_details_list, getter, leaf, non_null))
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
        entry = self._plans.get(id(grouped_field_set))
        if entry is None:
            entry = (grouped_field_set, self._plan(parent_type, grouped_field_set))
            self._plans[id(grouped_field_set)] = entry
        results: dict[str, Any] = {}
        awaitable: list[str] = []
        is_awaitable = self.is_awaitable
        try:
            for response_name, field_details_list, getter, leaf, non_null in entry[1]:
                if getter is not None:
                    try:
                        value = getter(source_value)
                        if value is None:
                            if not non_null:
                                results[response_name] = None
                                continue
                        else:
                            coerced = leaf.coerce_output_value(value)  # type: ignore[union-attr]
                            if coerced is not None and coerced is not Undefined:
                                results[response_name] = coerced
                                continue
                    except Exception:  # graphql-core's own path reports it, with its path
                        pass
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
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

    async def _gather(self, results: dict[str, Any], awaitable: list[str]) -> dict[str, Any]:
        if len(awaitable) == 1:
            results[awaitable[0]] = await results[awaitable[0]]
        else:
            values = await gather_with_cancel(*(results[name] for name in awaitable))
            results.update(zip(awaitable, values, strict=True))
        return results
