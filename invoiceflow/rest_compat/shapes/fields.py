"""A REST object written once, as a list of its keys.

Each key says what it prints: a column of the row (typed as the model types it, an amount
printed as a JSON number: API.md §2), or a value the shape's function hands in (a relation
it loaded, a status it worked out). From that one list follow the object's TypedDict (its
OpenAPI schema), the columns it reads of its rows (what its route says it reads,
fast/reads.py), and ``Shape.build``, which makes the object from a row.
"""

from __future__ import annotations

import decimal
import types
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NotRequired, Union, get_args, get_origin

from typing_extensions import TypedDict

from invoiceflow.fast import shapes as fast_shapes
from invoiceflow.fast.reads import NOTHING, Reads
from invoiceflow.models.shown import shown


@dataclass(frozen=True)
class Key:
    name: str
    # its type in the object: a Python type, a Shape, or One/Many of a Shape
    annotation: Any
    # the row's attribute it prints; None: the shape's function hands the value in
    attribute: str | None = None
    # an amount (a Decimal): printed as a JSON number
    money: bool = False
    # may be null (an amount: printed as null)
    nullable: bool = False
    # the columns of the row it reads
    reads: tuple[str, ...] = ()
    # absent from some objects of the shape
    required: bool = True


@dataclass(frozen=True)
class Many:
    """A list of objects of ``shape``."""

    shape: Shape


@dataclass(frozen=True)
class Maybe:
    """An object of ``shape``, or null."""

    shape: Shape


def columns(model: Any, *names: str, **renamed: str) -> tuple[Key, ...]:
    """Keys printing these columns of ``model``, typed as it types them, and each of
    ``renamed`` (key=column) under its own key."""
    wanted = [(name, name) for name in names] + list(renamed.items())
    return tuple(_column(key, _annotation(model, name), name) for key, name in wanted)


def _annotation(model: Any, name: str) -> Any:
    """How ``model`` types its column ``name`` (a column it keeps private included)."""
    for attribute in shown(model):
        if attribute.name == name:
            return attribute.annotation
    return model.model_fields[name].annotation


def rest_of(model: Any, *keys: Iterable[Key]) -> tuple[Key, ...]:
    """A key for each column ``model`` shows that none of ``keys`` prints, in the model's
    order: where a column added to the model appears, with no edit here."""
    printed = {name for group in keys for key in group for name in (key.name, key.attribute)}
    return tuple(
        _column(attribute.name, attribute.annotation, attribute.name)
        for attribute in shown(model)
        if attribute.name not in printed
    )


def given(name: str, annotation: Any, *, reads: Iterable[str] = ()) -> Key:
    """A key whose value the shape's function hands in; ``reads``: the columns of the row
    it needs for that."""
    return Key(name, annotation, reads=tuple(reads))


def optional(keys: Iterable[Key]) -> tuple[Key, ...]:
    """``keys``, absent from some objects of the shape (the short form of a reference)."""
    return tuple(
        Key(k.name, k.annotation, k.attribute, k.money, k.nullable, k.reads, required=False)
        for k in keys
    )


def _column(key: str, annotation: Any, attribute: str) -> Key:
    members = _members(annotation)
    return Key(
        key,
        annotation,
        attribute,
        money=decimal.Decimal in members,
        nullable=type(None) in members,
        reads=(attribute,),
    )


def _members(annotation: Any) -> tuple[Any, ...]:
    if get_origin(annotation) in (Union, types.UnionType):
        return get_args(annotation)
    return (annotation,)


class Shape:
    """A REST object: its keys, and what follows from them."""

    def __init__(self, name: str, *keys: Key | Iterable[Key]) -> None:
        self.name = name
        self.keys: tuple[Key, ...] = tuple(_flat(keys))
        # the columns of its rows it reads (a row's id always comes)
        self.reads: tuple[str, ...] = tuple(dict.fromkeys(c for k in self.keys for c in k.reads))
        self.build: Callable[..., dict[str, Any]] = fast_shapes.builder(self.keys)
        self._typed: Any = None

    def reading(
        self, read: str, loads: Mapping[str, Shape] | None = None, *, as_floats: bool = False
    ) -> Reads:
        """What an answer of this shape reads (fast/reads.py): the columns of its rows, read
        as ``read`` (their amounts as floats where ``as_floats``: an answer that only prints
        them), and for each read in ``loads`` the columns its shape reads."""
        found = {read: self.reads, **{name: shape.reads for name, shape in (loads or {}).items()}}
        return Reads(found, frozenset({read}) if as_floats else frozenset())

    @property
    def typed(self) -> Any:
        """The TypedDict of its objects (what the OpenAPI document reads)."""
        if self._typed is None:
            fields = {key.name: _typed(key) for key in self.keys}
            make: Any = TypedDict  # a TypedDict of keys known only at run time
            self._typed = make(self.name, fields)
            self._typed.__module__ = "invoiceflow.rest_compat.shapes"
        return self._typed


def _flat(keys: Iterable[Key | Iterable[Key]]) -> Iterable[Key]:
    for key in keys:
        if isinstance(key, Key):
            yield key
        else:
            yield from key


def _typed(key: Key) -> Any:
    annotation = _json_type(key.annotation)
    return annotation if key.required else NotRequired[annotation]


def _json_type(annotation: Any) -> Any:
    """A key's type as its JSON carries it: amounts as floats, shapes as their TypedDicts."""
    if isinstance(annotation, Shape):
        return annotation.typed
    if isinstance(annotation, Many):
        return list[annotation.shape.typed]
    if isinstance(annotation, Maybe):
        return annotation.shape.typed | None
    members = tuple(float if m is decimal.Decimal else m for m in _members(annotation))
    if len(members) == 1:
        return members[0]
    return Union[members]  # noqa: UP007 (built from members known only at run time)


AnswerFn = Callable[[Any, Any], Awaitable[Any]]


@dataclass(frozen=True)
class Answer:
    """A route's shape function, with the shape it answers in (the OpenAPI document's
    schema) and what it reads of the rows (fast/reads.py)."""

    build: AnswerFn
    shape: Shape
    reads: Reads = NOTHING

    async def __call__(self, ctx: Any, result: Any) -> Any:
        return await self.build(ctx, result)


def answers(shape: Shape, reads: Reads = NOTHING) -> Callable[[AnswerFn], Answer]:
    """Declare what a shape function answers in, and what it reads of its rows."""

    def declare(build: AnswerFn) -> Answer:
        return Answer(build, shape, reads)

    return declare
