"""Clocks: the only source of time for the engine.

The live server uses `RealClock`; tests and the simulator use `VirtualClock`, whose scheduled
callbacks run in (time, priority, seq) order so that a seeded run is reproducible bit for bit.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Protocol


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class Clock:
    """What the engine needs of time: the current instant and timers. A base class rather than a
    Protocol: the compiled build (setup.py) then calls a clock's methods directly, ten times a call."""

    def now(self) -> float:
        """Seconds since the Unix epoch (virtual or real)."""
        raise NotImplementedError

    def call_at(self, when: float, callback: Callable[[], None], priority: int = 0) -> TimerHandle:
        raise NotImplementedError

    def call_later(self, delay: float, callback: Callable[[], None], priority: int = 0) -> TimerHandle:
        raise NotImplementedError


class _Timer:
    """A scheduled callback; cancelling clears it and the clock drops it when its instant comes.

    Timers due at the same instant form a chain (`next`) in (priority, order of scheduling) order;
    the first of a longer chain also knows its `last`, so a timer of equal or lower rank joins at the
    end in one step. (None, not the timer itself, when it is alone: a timer that points at itself is
    a reference cycle, garbage that only the cyclic collector would free.)"""

    __slots__ = ("callback", "priority", "next", "last")  # its time is the key of its chain, not a slot

    def __init__(self, callback: Callable[[], None], priority: int) -> None:
        self.callback: Callable[[], None] | None = callback
        self.priority = priority
        self.next: _Timer | None = None
        self.last: _Timer | None = None

    def cancel(self) -> None:
        self.callback = None


class VirtualClock(Clock):
    """Discrete-event clock: time jumps to the next timer; nothing ever waits on the wall clock.

    Timers run in (time, priority, order of scheduling) order. The heap holds each pending instant
    once, as a plain float, and a dict leads from the instant to its chain of timers: keeping the heap
    in order is the hot path of a simulation, and a float compares in one step where a
    (time, priority, seq) tuple takes several; with a thousand calls in progress (1,200 agents) the
    tuples' comparisons were a fifth of a compiled call.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._times: list[float] = []  # a heap of the instants that have timers
        self._due: dict[float, _Timer] = {}  # instant -> the first timer of its chain

    def now(self) -> float:
        return self._now

    def call_at(self, when: float, callback: Callable[[], None], priority: int = 0) -> _Timer:
        if when < self._now:
            when = self._now
        elif when != when:
            raise ValueError("a timer's time is not a number (NaN)")
        timer = _Timer(callback, priority)
        first = self._due.get(when)
        if first is None:
            self._due[when] = timer
            heapq.heappush(self._times, when)
            return timer
        last = first if first.last is None else first.last
        if priority >= last.priority:
            last.next = first.last = timer
        elif priority < first.priority:
            timer.next, timer.last = first, last
            self._due[when] = timer
        else:
            before = first  # the last timer of rank equal to or better than this one
            while before.next is not None and before.next.priority <= priority:
                before = before.next
            timer.next, before.next = before.next, timer
        return timer

    def call_later(self, delay: float, callback: Callable[[], None], priority: int = 0) -> _Timer:
        return self.call_at(self._now + delay, callback, priority)

    def _take(self, when: float, first: _Timer) -> None:
        """Take the first timer of `when`'s chain off the clock."""
        rest = first.next
        if rest is None:
            del self._due[when]
            heapq.heappop(self._times)
        else:
            rest.last = None if first.last is rest else first.last
            self._due[when] = rest
            first.next = first.last = None

    def next_time(self) -> float | None:
        """When the next live timer fires, or None if nothing is scheduled."""
        times, due = self._times, self._due
        while times:
            when = times[0]
            first = due[when]
            if first.callback is not None:
                return when
            self._take(when, first)
        return None

    def step(self) -> bool:
        """Run the next timer; False when there is none."""
        return self.run_due(float("inf"), 1) == 1

    def run_due(self, until: float, limit: int) -> int:
        """Run at most `limit` timers due by `until`; how many ran. The simulator's loop: one call
        per batch rather than `next_time` and `step` per timer, in the same order."""
        times, due = self._times, self._due
        ran = 0
        while times and ran < limit:
            when = times[0]
            if when > until:
                break
            first = due[when]
            self._take(when, first)
            callback = first.callback
            if callback is None:
                continue
            self._now = when
            first.callback = None
            callback()
            ran += 1
        return ran

    def run(self, until: float | None = None) -> None:
        """Run timers in order until none are left or the next one is later than `until`."""
        while True:
            nxt = self.next_time()
            if nxt is None or (until is not None and nxt > until):
                break
            self.step()
        if until is not None and until > self._now:
            self._now = until


class RealClock(Clock):
    """Wall-clock time on an asyncio loop (timers via loop.call_later; no transports)."""

    def __init__(self, loop: AbstractEventLoopLike, now: Callable[[], float] = time.time) -> None:
        self._loop = loop
        self._time = now  # the wall clock; a test may give a fixed instant (timers still run on the loop)

    def now(self) -> float:
        return self._time()

    def call_at(self, when: float, callback: Callable[[], None], priority: int = 0) -> TimerHandle:
        return self._loop.call_later(max(0.0, when - self._time()), partial(_guarded, callback))

    def call_later(self, delay: float, callback: Callable[[], None], priority: int = 0) -> TimerHandle:
        return self._loop.call_later(max(0.0, delay), partial(_guarded, callback))


def _guarded(callback: Callable[[], None]) -> None:
    """No exception escapes a timer: it is logged with the callback that raised it."""
    try:
        callback()
    except Exception:
        logging.getLogger("alur.clock").exception("timer callback %r failed", callback)


class AbstractEventLoopLike(Protocol):
    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle: ...
