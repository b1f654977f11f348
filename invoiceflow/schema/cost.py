"""What a GraphQL document may cost, worked out before any SQL (API.md §6).

A list counts as its size times the cost of what each of its items selects (at least 1: an
item is an object); an object field counts as what it selects (a loaded relation adds no rows
of its own); a scalar counts nothing. The size of a list is

- a page's (``perPage``: 15 unless given, at most 100) for the ``items`` of a paged field;
- its ``first`` argument (20 unless given, at most 100) for the nested lists that take one
  (a customer's invoices, payments; an invoice's payments and emails; stock movements), and
  for the ``edges`` of a connection that takes one (the events: 50 unless given);
- its own cap, stated on the field (``cap`` metadata: 500 lines of a document, 10 recent
  invoices, a user's teams and keys);

so ``{ invoices(perPage: 20) { items { customer { id } items { id } } } }`` costs 20 x 500 =
10,000, the most allowed, and the fan-out of ``customer { invoices { customer { ... } } }``
grows by 20 at each step. Introspection (``__schema``, ``__type``) costs nothing: it is the
schema's own, bounded, text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter

MAX_COST = 10_000
# The size of a list that says nothing of its own (none in this schema: a test checks).
UNSTATED = 100
MAX_FIRST = 100
DEFAULT_FIRST = 20


def document_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any] | None,
    *,
    coerced: bool = False,
) -> int:
    """The cost of running ``operation`` (a document that passed validation) with
    ``variables``: as sent (the variables' defaults filled in here), or ``coerced`` by
    graphql-core (defaults in already; an explicit null stays null)."""
    root = schema.get_root_type(operation.operation)
    assert root is not None  # validation found the operation's root type
    given = dict(variables or {})
    if not coerced:
        defaults = {
            d.variable.name.value: int(d.default_value.value)
            for d in operation.variable_definitions or ()
            if isinstance(d.default_value, IntValueNode)
        }
        given = {**defaults, **given}
    walk = _Walk(schema, fragments, given)
    return walk.selection(root, operation.selection_set, page=None)


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selection(
        self, parent: GraphQLObjectType, selection_set: SelectionSetNode, page: int | None
    ) -> int:
        """What the fields of ``selection_set`` on ``parent`` cost, together (validation has
        refused fragment cycles and the depth limit bounds the recursion)."""
        total = 0
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                total += self.field(parent, node, page)
            elif isinstance(node, InlineFragmentNode):
                on = self._type(node.type_condition.name.value) if node.type_condition else None
                total += self.selection(on or parent, node.selection_set, page)
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.fragments[node.name.value]
                on = self._type(fragment.type_condition.name.value)
                total += self.selection(on or parent, fragment.selection_set, page)
        return total

    def field(self, parent: GraphQLObjectType, node: FieldNode, page: int | None) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 0
        definition = parent.fields[name]
        named, is_list = named_type(definition.type)
        if not isinstance(named, GraphQLObjectType) or node.selection_set is None:
            return 0  # a scalar or an enum (or a list of them)
        inner_page = self._page_size(definition, node)
        below = self.selection(named, node.selection_set, inner_page)
        if not is_list:
            return below
        return self._size(definition, node, page) * max(1, below)

    def _page_size(self, definition: GraphQLField, node: FieldNode) -> int | None:
        """The page a paged field (one with ``perPage``, or a connection: an object with
        ``first``) reads, for the list inside it."""
        _named, is_list = named_type(definition.type)
        for name in ("perPage", *(() if is_list else ("first",))):
            if name in definition.args:
                default = definition.args[name].default_value
                return _clamp(self._argument(node, name, default), MAX_FIRST)
        return None

    def _size(self, definition: GraphQLField, node: FieldNode, page: int | None) -> int:
        if page is not None:
            return page
        if "first" in definition.args:
            default = definition.args["first"].default_value
            return _clamp(self._argument(node, "first", default), MAX_FIRST)
        return int(_metadata(definition).get("cap", UNSTATED))

    def _argument(self, node: FieldNode, name: str, default: Any) -> Any:
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            value = argument.value
            if isinstance(value, VariableNode):
                sent = self.variables.get(value.name.value)
                return default if sent is None else sent
            if isinstance(value, IntValueNode):
                return int(value.value)
            return default  # null: the field's default
        return default

    def _type(self, name: str) -> GraphQLObjectType | None:
        found = self.schema.get_type(name)
        return found if isinstance(found, GraphQLObjectType) else None


def _clamp(value: Any, maximum: int) -> int:
    """A size as the field will read it: at most ``maximum``; a value it will refuse (not an
    integer, below 1) costs the maximum here, never less."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        return maximum
    return min(value, maximum)


def named_type(type_: Any) -> tuple[Any, bool]:
    """The named type of a field's type, and whether it is a list."""
    is_list = False
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        is_list = is_list or isinstance(type_, GraphQLList)
        type_ = type_.of_type
    return type_, is_list


def _metadata(definition: GraphQLField) -> Mapping[str, Any]:
    field = definition.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return getattr(field, "metadata", None) or {}
