"""What the answer being built reads of the rows it loads: columns and amounts, by read.

A request says it once, before its work runs: REST from its route's shape (each shape
knows the columns its keys read, rest_compat/shapes/fields.py), GraphQL from the document's
selection (each field says what it reads, fast/lookahead.py). A lean read then asks for
its own (``columns("customer")``) and reads no more; where nothing was said, and always
with the fast paths off, it reads every column. The domain's functions never take it as
an argument: it is the request's, not the rule's.

A read is named by the request's loader that answers it (``customer``, ``invoice_items``,
``estimate_items``) or by the rows a root reads: ``invoices`` (a page, or one invoice by
id) and ``invoices.customer`` (their customers, read in the same statement and handed to
the customer loader). Amounts of a read named in ``as_floats`` are read as the floats a
JSON number prints (``models.sql.money_as_float``), for an answer that only prints them.

It is kept in a context variable: a GraphQL document's root fields run side by side, each
with its own, and what a request says is gone when its work ends (``scope``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from invoiceflow import fast


@dataclass(frozen=True)
class Reads:
    # read name -> the only columns the answer reads of its rows (every one, where absent)
    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # the reads whose amounts the answer only prints as JSON numbers
    as_floats: frozenset[str] = frozenset()

    def merged(self, other: Reads) -> Reads:
        """These reads, and ``other``'s over them."""
        return Reads({**self.columns, **other.columns}, self.as_floats | other.as_floats)


NOTHING = Reads()
_NOW: ContextVar[Reads] = ContextVar("invoiceflow.reads", default=NOTHING)


def columns(read: str) -> tuple[str, ...] | None:
    """The only columns the answer reads of ``read``'s rows, or None (all of them)."""
    return _NOW.get().columns.get(read)


def as_floats(read: str) -> bool:
    """Whether ``read``'s amounts may be read as floats (the answer only prints them)."""
    return read in _NOW.get().as_floats


@contextmanager
def scope() -> Iterator[None]:
    """A request's work: what it says (``declare``) is forgotten when the block ends."""
    token = _NOW.set(NOTHING)
    try:
        yield
    finally:
        _NOW.reset(token)


def declare(reads: Reads) -> None:
    """What the rest of this request's work reads (within its ``scope``); nothing with the
    fast paths off."""
    if fast.ON:
        _NOW.set(reads)


@contextmanager
def declared(reads: Reads) -> Iterator[None]:
    """``reads`` over what was said before, for the block (one GraphQL root field's rows)."""
    if not fast.ON:
        yield
        return
    token = _NOW.set(_NOW.get().merged(reads))
    try:
        yield
    finally:
        _NOW.reset(token)
