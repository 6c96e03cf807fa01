"""The strategies' sorted index of free agents (alur.routing.strategies.entries)."""

from __future__ import annotations

import random

import pytest

from alur.routing.strategies.entries import Entries


def test_entries_stay_in_key_order_through_adds_and_removes() -> None:
    rng = random.Random(3)
    index, kept = Entries(), []
    for n in range(2000):
        if kept and rng.random() < 0.45:
            entry = kept.pop(rng.randrange(len(kept)))
            index.remove(entry)
        else:
            entry = ((rng.random(), n), f"agent{n}")
            kept.append(entry)
            index.add(entry)
        assert len(index) == len(kept)
    assert list(index) == sorted(kept)
    assert index[0] == min(kept)


def test_an_empty_index_is_false_and_a_missing_entry_is_an_error() -> None:
    # compiled code decides truth without falling back to __len__: the index says it itself
    index = Entries([((2.0, 1), "b")])
    assert index
    index.remove(((2.0, 1), "b"))
    assert not index
    with pytest.raises(ValueError, match="not in the index"):
        index.remove(((1.0, 0), "a"))


def test_a_range_runs_from_its_low_entry_up_to_its_high_one() -> None:
    index = Entries(((i,), f"a{i}") for i in range(10))
    assert [a for _, a in index.irange(((3,),), ((6,),))] == ["a3", "a4", "a5"]
    assert [a for _, a in index.irange(((8,),), None)] == ["a8", "a9"]
    index.clear()
    assert list(index.irange(((0,),), None)) == []
