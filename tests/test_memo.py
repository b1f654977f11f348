"""Answers kept by object identity (fast/memo.py): once per object, never lent to an equal
one, the oldest let go past the bound."""

from __future__ import annotations

import pytest

from invoiceflow.fast.memo import ByIdentity

pytestmark = pytest.mark.fast_paths  # these test invoiceflow/fast/ itself


class Same:
    """Equal to every other Same, as parsed documents of one text are."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Same)

    def __hash__(self) -> int:
        return 0


def test_an_answer_is_worked_out_once_per_object_and_key() -> None:
    memo: ByIdentity[int] = ByIdentity(kept=2)
    calls: list[str] = []

    def compute(name: str) -> int:
        calls.append(name)
        return len(calls)

    first, second = Same(), Same()
    assert memo((first,), lambda: compute("first")) == 1
    assert memo((first,), lambda: compute("again")) == 1
    assert memo((second,), lambda: compute("second")) == 2  # equal, but another object
    assert memo((first,), lambda: compute("keyed"), ("items",)) == 3
    assert calls == ["first", "second", "keyed"]
    # past two answers, the oldest (first, no key) goes
    assert memo((first,), lambda: compute("anew")) == 4


def test_the_objects_are_held_while_their_answer_stands() -> None:
    memo: ByIdentity[str] = ByIdentity(kept=None)
    memo((Same(),), lambda: "kept")  # no other reference to it remains
    assert all(isinstance(objects[0], Same) for objects, _ in memo._answers.values())
