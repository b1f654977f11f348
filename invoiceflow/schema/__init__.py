"""The GraphQL schema: types, inputs and the two roots over resolvers/."""

from __future__ import annotations

import functools
import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from invoiceflow.resolvers.errors import DomainError
from invoiceflow.schema.checks import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS
from invoiceflow.schema.execution import LeanExecutionContext
from invoiceflow.schema.mutation import Mutation
from invoiceflow.schema.query import Query
from invoiceflow.schema.scalars import SCALARS

log = logging.getLogger("invoiceflow.graphql")


# Strawberry's limiters build a new rule class in every instance, and the rules are part of
# ValidationCache's key: made per request, they would make every validation a miss. These
# are the same rules, built once, so a document already seen is not validated again.
_DEPTH_RULE = depth_rule(MAX_DEPTH, None, None)
_ALIASES_RULE = aliases_rule(MAX_ALIASES)


class DepthLimit(QueryDepthLimiter):
    def __init__(self) -> None:
        AddValidationRules.__init__(self, [_DEPTH_RULE])


class AliasLimit(MaxAliasesLimiter):
    def __init__(self) -> None:
        AddValidationRules.__init__(self, [_ALIASES_RULE])


class InvoiceFlowSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Domain errors are answers, not incidents; only unexpected ones are logged
        # (once, where they are translated: see failures.as_domain_error).
        return None


@functools.cache
def build_schema(*, introspection: bool = True) -> strawberry.Schema:
    """The schema; production may switch introspection off (INVOICEFLOW_INTROSPECTION=false).

    Built once per setting: it holds no request's state, and building it takes about 12 ms
    (every app of the test suite made its own)."""
    extensions: list[Any] = [] if introspection else [DisableIntrospection]
    return InvoiceFlowSchema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(scalar_map=SCALARS, disable_field_suggestions=True),
        execution_context_class=LeanExecutionContext,
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            DepthLimit,
            AliasLimit,
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
            *extensions,
        ],
    )


schema = build_schema()

__all__ = ["DomainError", "schema"]
