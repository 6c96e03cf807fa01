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

# A (key, agent) entry. Declared a tuple of any length, not a pair: the compiled build (setup.py)
# keeps a pair as two unboxed fields and makes a new tuple each time one is passed on, so the entry
# in the index would never be the very object given back to `remove`.
Entry = tuple[Any, ...]


class Entries:
    """Sorted (key, agent) entries, one per agent; keys are unique (their last item is the agent's
    order)."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[Entry] = ()) -> None:
        self._items: list[Entry] = sorted(items)

    def add(self, entry: Entry) -> None:
        """Put `entry` in its place. Most often that is the end (an agent freed now has been idle the
        shortest time), found with one comparison instead of a search's dozen."""
        items = self._items
        if not items or items[-1] < entry:
            items.append(entry)
        else:
            insort(items, entry)

    def remove(self, entry: Entry) -> None:
        """Take `entry` out; ValueError when it is not there. Most often it is the first (the best
        agent was offered a call) or the last, found by its agent without comparing keys."""
        items, agent = self._items, entry[1]
        if items and items[0][1] is agent:
            del items[0]
            return
        if items and items[-1][1] is agent:
            items.pop()
            return
        i = bisect_left(items, entry)
        if i == len(items) or items[i] != entry:
            raise ValueError(f"{entry!r} is not in the index")
        del items[i]

    def irange(self, low: Entry, high: Entry | None) -> Iterator[Entry]:
        """The entries from `low` (included) up to `high` (excluded; None: to the end)."""
        items = self._items
        start = bisect_left(items, low)
        stop = len(items) if high is None else bisect_left(items, high)
        return iter(items[start:stop])

    def clear(self) -> None:
        self._items.clear()

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:  # said, not left to __len__: compiled code does not fall back to it
        return bool(self._items)

    def __getitem__(self, i: int) -> Entry:
        return self._items[i]
