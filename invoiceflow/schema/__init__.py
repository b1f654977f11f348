"""The GraphQL schema: types, inputs and the two roots over resolvers/."""

from __future__ import annotations

import functools
import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from invoiceflow import fast
from invoiceflow.core.errors import DomainError
from invoiceflow.fast.execution import DocumentExecution, LeanExecutionContext
from invoiceflow.fast.memo import ValidatedOnce
from invoiceflow.schema.mutation import Mutation
from invoiceflow.schema.query import Query
from invoiceflow.schema.scalars import SCALARS

log = logging.getLogger("invoiceflow.graphql")


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
        # The fast paths' execution and validation cache, or Strawberry's own (fast/README.md).
        execution_context_class=LeanExecutionContext if fast.ON else DocumentExecution,
        extensions=[
            lambda: ParserCache(maxsize=256),
            ValidatedOnce if fast.ON else ValidationCache,
        ],
    )


schema = build_schema()

__all__ = ["DomainError", "schema"]
