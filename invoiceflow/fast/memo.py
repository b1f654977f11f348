"""Answers kept per object identity, for objects that live long and compare by value: a
parsed document's nodes (the parser's cache hands every request of one text the same
nodes) and a schema's definitions. Hashing such an object by value walks all of its parts,
on every request; its identity costs nothing."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Any, Generic, TypeVar

from graphql import GraphQLError
from strawberry.extensions import ValidationCache
from strawberry.schema.schema import validate_document

V = TypeVar("V")


class ByIdentity(Generic[V]):
    """``compute()``'s answer for some objects (by identity) and a key of plain values,
    worked out once. The objects are held with the answer, so that their ids are not reused
    while it stands; past ``kept`` answers the oldest go."""

    def __init__(self, kept: int | None = 1024) -> None:
        self.kept = kept
        self._answers: OrderedDict[tuple[Hashable, ...], tuple[tuple[Any, ...], V]]
        self._answers = OrderedDict()

    def __call__(self, objects: tuple[Any, ...], compute: Callable[[], V], key: Hashable = ()) -> V:
        found = (*map(id, objects), key)
        known = self._answers.get(found)
        if known is None:
            known = self._answers[found] = (objects, compute())
            if self.kept is not None and len(self._answers) > self.kept:
                self._answers.popitem(last=False)
        return known[1]


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
