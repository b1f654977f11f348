"""The GraphQL schema: types, inputs and the two roots over resolvers/."""

from __future__ import annotations

import functools
import logging
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

from invoiceflow.resolvers.errors import DomainError
from invoiceflow.schema.execution import LeanExecutionContext
from invoiceflow.schema.mutation import Mutation
from invoiceflow.schema.query import Query
from invoiceflow.schema.scalars import SCALARS

log = logging.getLogger("invoiceflow.graphql")


class ValidatedOnce(ValidationCache):
    """Strawberry's ValidationCache keyed by the parsed document's identity, not its value.

    ParserCache hands every request of one text the same document, and the stock cache's
    key hashed that document by value on every request, all of its nodes: 6% of a GraphQL
    get's instructions. The rules are keyed by value (each request has its own tuple of
    the same rules)."""

    # (id(schema), id(document), rules) -> (the schema and document, kept alive so that
    # their ids are not reused; the errors)
    _KNOWN: OrderedDict[tuple[int, int, tuple[Any, ...]], tuple[Any, Any, list[GraphQLError]]]
    _KNOWN = OrderedDict()

    def __init__(self, maxsize: int) -> None:
        super().__init__(maxsize=maxsize)
        self.maxsize = maxsize

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        schema, document = context.schema._schema, context.graphql_document
        assert document is not None  # parsed before it is validated
        key = (id(schema), id(document), context.validation_rules)
        known = self._KNOWN.get(key)
        if known is None:
            errors = validate_document(schema, document, context.validation_rules)
            known = self._KNOWN[key] = (schema, document, errors)
            if len(self._KNOWN) > self.maxsize:
                self._KNOWN.popitem(last=False)
        context.pre_execution_errors = known[2]
        yield


class InvoiceFlowSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Domain errors are answers, not incidents; only unexpected ones are logged
        # (once, where they are translated: see failures.as_domain_error).
        return None


@functools.cache
def build_schema() -> strawberry.Schema:
    """The schema. Built once: it holds no request's state, and building it takes about
    12 ms (every app of the test suite made its own).

    The document limits (tokens, depth, aliases) and the introspection switch are not
    among its extensions: ``schema.checks.DocumentCheck`` enforces them before execution,
    before any SQL, for every document the endpoint runs. As extensions too they were
    enforced twice, and their five per-request instances cost about 40 µs of every
    request (``{ __typename }`` 91 -> 50 µs in ``schema.execute``)."""
    return InvoiceFlowSchema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(scalar_map=SCALARS, disable_field_suggestions=True),
        execution_context_class=LeanExecutionContext,
        extensions=[lambda: ParserCache(maxsize=256), lambda: ValidatedOnce(maxsize=256)],
    )


schema = build_schema()

__all__ = ["DomainError", "schema"]
