"""Loader.load_all: one batch for what is not cached, the cache for the rest, by key."""

from __future__ import annotations

import asyncio

import pytest

from invoiceflow.loaders import Loader, Loaders


def counting_loader() -> tuple[Loader[int, str], list[list[int]]]:
    batches: list[list[int]] = []

    async def batch(keys: list[int]) -> list[str]:
        batches.append(list(keys))
        return [f"v{key}" for key in keys]

    return Loader(batch), batches


async def test_load_all_reads_the_missing_keys_in_one_batch_and_caches_them() -> None:
    loader, batches = counting_loader()
    assert await loader.load(3) == "v3"
    found = await loader.load_all([1, 2, 3, 2, 1])
    assert found == {1: "v1", 2: "v2", 3: "v3"}
    assert list(found) == [1, 2, 3]
    assert batches == [[3], [1, 2]]  # 3 came from the cache, duplicates read once
    assert await loader.load(2) == "v2" and len(batches) == 2  # primed for later loads
    assert loader.load(1) is loader.cached[1]  # a key read is its cached future, as it is
    assert await loader.load_all([]) == {} and len(batches) == 2


async def test_load_all_waits_for_a_load_already_queued() -> None:
    loader, batches = counting_loader()
    queued = loader.load(5)  # queued, not dispatched yet
    found, value = await asyncio.gather(loader.load_all([5, 6]), queued)
    assert found == {5: "v5", 6: "v6"} and value == "v5"
    assert sorted(map(sorted, batches)) == [[5], [6]]  # 5 once, by the queued load


async def test_a_failing_batch_fails_load_all_and_caches_nothing() -> None:
    async def batch(keys: list[int]) -> list[str]:
        raise RuntimeError("database went away")

    loader: Loader[int, str] = Loader(batch)
    with pytest.raises(RuntimeError, match="went away"):
        await loader.load_all([1, 2])
    assert loader.cached == {}


async def test_a_requests_loaders_are_made_on_first_use_and_kept() -> None:
    loaders = Loaders(session=None, principal=None)  # type: ignore[arg-type]
    assert "customer" not in vars(loaders)
    first = loaders.customer
    assert isinstance(first, Loader) and loaders.customer is first
    made = [
        name for name in vars(loaders) if name not in ("session", "principal", "columns", "_newest")
    ]
    assert made == ["customer"]
    assert Loaders.customer.name == "customer"  # what resolvers/written.py keys it by


def test_what_resolvers_hand_over_names_a_loader_of_its_own() -> None:
    """remember() takes a Kept of resolvers/written.py, each a field of Loaders by its name
    and declared with it there: a resolver cannot hand a value to a loader that is not."""
    from invoiceflow.loaders import LoaderField
    from invoiceflow.resolvers import written

    kept = [v for v in vars(written).values() if isinstance(v, written.Kept)]
    assert kept, "resolvers/written.py declares what loaders may be handed"
    for one in kept:
        field = vars(Loaders)[one.name]
        assert isinstance(field, LoaderField) and field.kept is one
    # (Python 3.11 raises what __set_name__ raised as the cause of a RuntimeError)
    with pytest.raises((TypeError, RuntimeError)) as refused:

        class Wrong:
            invoice = LoaderField(lambda **_: [], written.CUSTOMER)  # type: ignore[arg-type,misc]

        del Wrong
    cause = refused.value.__cause__ or refused.value
    assert "Loaders.invoice is declared with written.customer" in str(cause)
