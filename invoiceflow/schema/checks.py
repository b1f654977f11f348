"""Document checks before any SQL: size, depth, aliases (through fragments), validity, and
introspection where it is switched off.

The only place these limits are enforced (the GraphQL endpoint runs every document through
it before execution): a rejected document costs no database work at all, not even the key
lookup. The rules are graphql-core's, Strawberry's own validation rules and its limiters'.
Results are cached per document text.
"""

from __future__ import annotations

from functools import lru_cache

import strawberry
from graphql import GraphQLError, parse, specified_rules, validate
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions.max_aliases import create_validator as alias_limit
from strawberry.extensions.query_depth_limiter import create_validator as depth_limit
from strawberry.schema.schema import validate_document

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000


class DocumentCheck:
    def __init__(self, schema: strawberry.Schema, *, introspection: bool = True) -> None:
        self.schema = schema._schema
        limits = [depth_limit(MAX_DEPTH, None), alias_limit(MAX_ALIASES)]
        if not introspection:
            limits.append(NoSchemaIntrospectionCustomRule)
        self.limits = tuple(limits)
        self.errors = lru_cache(maxsize=1024)(self._errors)

    def _errors(self, query: str) -> tuple[GraphQLError, ...]:
        """The document's problems; empty when it may run."""
        try:
            document = parse(query, max_tokens=MAX_TOKENS)
        except GraphQLError as error:
            return (error,)
        # The standard rules first: they reject fragment cycles, which the limit rules
        # (walking fragments) must never see. They are the rules Strawberry validates with
        # during execution (graphql-core's and its own), so nothing that passes here is
        # refused there.
        errors = validate_document(self.schema, document, tuple(specified_rules))
        if not errors:
            errors = validate(self.schema, document, self.limits)
        return tuple(errors)
