"""Document checks before any SQL: size, depth, aliases (through fragments), validity, and
introspection where it is switched off.

The only place these limits are enforced (the GraphQL endpoint runs every document through
it before execution): a rejected document costs no database work at all, not even the key
lookup. The rules are graphql-core's, Strawberry's own validation rules and its limiters'.
Results are cached per document text.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.values import get_variable_values
from graphql.language import SelectionSetNode
from graphql.validation import NoSchemaIntrospectionCustomRule, ValidationRule
from strawberry.extensions.max_aliases import create_validator as alias_limit
from strawberry.extensions.query_depth_limiter import create_validator as depth_limit
from strawberry.schema.schema import validate_document

from invoiceflow.schema.cost import MAX_COST, document_cost

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000


class NoEmptySelection(ValidationRule):
    """``{ invoices { } }``: graphql-core parses a selection set of nothing (the spec's
    grammar wants one selection at least), and Strawberry's depth limit then fails on it."""

    def enter_selection_set(self, node: SelectionSetNode, *_args: object) -> None:
        if not node.selections:
            self.report_error(GraphQLError("A selection set must select a field.", node))


class DocumentCheck:
    def __init__(self, schema: strawberry.Schema, *, introspection: bool = True) -> None:
        self.schema = schema._schema
        limits = [depth_limit(MAX_DEPTH, None), alias_limit(MAX_ALIASES)]
        if not introspection:
            limits.append(NoSchemaIntrospectionCustomRule)
        self.limits = tuple(limits)
        self.errors = lru_cache(maxsize=1024)(self._errors)
        self._parsed = lru_cache(maxsize=1024)(self._parse)
        self._cost = lru_cache(maxsize=1024)(self._cost_of)
        self._operation = lru_cache(maxsize=1024)(self._chosen)

    def _parse(self, query: str) -> DocumentNode:
        return parse(query, max_tokens=MAX_TOKENS)

    def _errors(self, query: str) -> tuple[GraphQLError, ...]:
        """The document's problems; empty when it may run."""
        try:
            document = self._parsed(query)
        except GraphQLError as error:
            return (error,)
        # The standard rules first: they reject fragment cycles, which the limit rules
        # (walking fragments) must never see. They are the rules Strawberry validates with
        # during execution (graphql-core's and its own), so nothing that passes here is
        # refused there.
        errors = validate_document(self.schema, document, (*specified_rules, NoEmptySelection))
        if not errors:
            errors = validate(self.schema, document, self.limits)
        return tuple(errors)

    def too_complex(
        self, query: str, operation_name: str | None, variables: Mapping[str, Any] | None
    ) -> dict[str, Any] | None:
        """The QUERY_TOO_COMPLEX error of a valid document whose operation would cost more
        than MAX_COST with these variables (schema/cost.py); None when it may run.

        The variables are costed as execution will read them, coerced by the operation's
        definitions (``100.0`` is the Int 100; an explicit null leaves the field its own
        default, not the variable's); only integers and nulls can size a list, so the cost
        is kept by the document and those. Variables that do not coerce are refused by the
        execution itself, before any field runs."""
        operation = self._operation(query, operation_name)
        if operation is None:
            return None  # none or several: the endpoint refuses it (describe)
        sizes: tuple[tuple[str, int | None], ...] = ()
        if operation.variable_definitions:
            values = get_variable_values(
                self.schema, operation.variable_definitions, dict(variables or {}), max_errors=1
            )
            if isinstance(values, list):  # errors: execution refuses them, nothing runs
                return None
            coerced = values.coerced
            sizes = tuple(sorted((k, v) for k, v in coerced.items() if v is None or type(v) is int))
        cost = self._cost(query, operation_name, sizes)
        if cost <= MAX_COST:
            return None
        return {
            "message": (
                f"This query would cost {cost:,}; at most {MAX_COST:,} is allowed. Ask for "
                "smaller pages (perPage, first) or fewer nested lists."
            ),
            "extensions": {"code": "QUERY_TOO_COMPLEX", "cost": cost, "maxCost": MAX_COST},
        }

    def _chosen(self, query: str, operation_name: str | None) -> OperationDefinitionNode | None:
        document = self._parsed(query)
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        chosen = [
            op
            for op in operations
            if operation_name is None or (op.name and op.name.value == operation_name)
        ]
        return chosen[0] if len(chosen) == 1 else None

    def _cost_of(
        self, query: str, operation_name: str | None, sizes: tuple[tuple[str, int | None], ...]
    ) -> int:
        operation = self._operation(query, operation_name)
        assert operation is not None  # too_complex found it
        document = self._parsed(query)
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        # The coerced values stand as sent, an explicit null included (the variable's own
        # default is already in them when it was left out).
        return document_cost(self.schema, operation, fragments, dict(sizes), coerced=True)
