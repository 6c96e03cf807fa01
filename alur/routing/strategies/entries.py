"""A strategy's index of free agents: (key, agent) entries kept in key order.

A plain list kept sorted with the standard library's `bisect` (in C): a change costs a binary search
and the move of the entries after it. sortedcontainers' `SortedList` splits its list to keep that
move short, but takes each step in Python, which at the sizes a queue's free agents reach (tens to a
few thousand) costs more than the move it saves: with this index a simulated call is 4% cheaper in
plain Python and 7% in the compiled engine, and decisions at 10,000 agents are as fast as before
(benchmarks/simulate.py, benchmarks/routing.py).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator
from typing import Any


class Entries:
    """Sorted (key, agent) entries; keys are unique (their last item is the agent's order)."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[Any] = ()) -> None:
        self._items: list[Any] = sorted(items)

    def add(self, entry: Any) -> None:
        insort(self._items, entry)

    def remove(self, entry: Any) -> None:
        """Take `entry` out; ValueError when it is not there."""
        items = self._items
        i = bisect_left(items, entry)
        if i == len(items) or items[i] != entry:
            raise ValueError(f"{entry!r} is not in the index")
        del items[i]

    def irange(self, low: Any, high: Any | None) -> Iterator[Any]:
        """The entries from `low` (included) up to `high` (excluded; None: to the end)."""
        items = self._items
        start = bisect_left(items, low)
        stop = len(items) if high is None else bisect_left(items, high)
        return iter(items[start:stop])

    def clear(self) -> None:
        self._items.clear()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:  # said, not left to __len__: compiled code does not fall back to it
        return bool(self._items)

    def __getitem__(self, i: int) -> Any:
        return self._items[i]
