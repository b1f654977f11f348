"""The GraphQL schema: types, inputs and the two roots over resolvers/."""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from invoiceflow.resolvers.errors import DomainError
from invoiceflow.schema.checks import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS
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


def build_schema(*, introspection: bool = True) -> strawberry.Schema:
    """The schema; production may switch introspection off (INVOICEFLOW_INTROSPECTION=false)."""
    extensions: list[Any] = [] if introspection else [DisableIntrospection]
    return InvoiceFlowSchema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(scalar_map=SCALARS, disable_field_suggestions=True),
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
            lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
            *extensions,
        ],
    )


schema = build_schema()

__all__ = ["DomainError", "schema"]
