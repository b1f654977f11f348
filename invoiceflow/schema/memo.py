"""Answers kept per object identity, for objects that live long and compare by value: a
parsed document's nodes (the parser's cache hands every request of one text the same
nodes) and a schema's definitions. Hashing such an object by value walks all of its parts,
on every request; its identity costs nothing."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

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
