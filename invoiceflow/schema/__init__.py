"""The GraphQL schema: types, inputs and the two roots over resolvers/."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

from invoiceflow.core.errors import DomainError
from invoiceflow.schema.execution import LeanExecutionContext
from invoiceflow.schema.memo import ByIdentity
from invoiceflow.schema.mutation import Mutation
from invoiceflow.schema.query import Query
from invoiceflow.schema.scalars import SCALARS

log = logging.getLogger("invoiceflow.graphql")


class ValidatedOnce(ValidationCache):
    """Strawberry's ValidationCache keyed by the parsed document's identity, not its value.

    ParserCache hands every request of one text the same document, and the stock cache's
    key hashed that document by value on every request, all of its nodes: 4% of a GraphQL
    get's instructions. The rules are keyed by value (each request has its own tuple of
    the same rules)."""

    _ERRORS: ByIdentity[list[GraphQLError]] = ByIdentity(kept=256)

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        schema, document, rules = (
            context.schema._schema,
            context.graphql_document,
            context.validation_rules,
        )
        assert document is not None  # parsed before it is validated
        context.pre_execution_errors = self._ERRORS(
            (schema, document), lambda: validate_document(schema, document, rules), rules
        )
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
        extensions=[lambda: ParserCache(maxsize=256), ValidatedOnce],
    )


schema = build_schema()

__all__ = ["DomainError", "schema"]
